package regen_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/check")

// TestCheckFormatsGolden asserts the json, github and text outputs exactly.
// The project trips many rules with fixed file names; a snapshot folder
// named "a,b:c" and a table name with "%" and a newline exercise GitHub's
// escaping of properties and data.
func TestCheckFormatsGolden(t *testing.T) {
	p := regentest.NewProject(t)
	mig := "priv/repo/migrations/"
	p.Write(mig+"2030010100000_add_x.exs", migrationSource("AddX", "", ""))
	p.Write(mig+"20300102000000_add_a.exs", migrationSource("AddA", "", ""))
	p.Write(mig+"20300102000000_add_b.exs", migrationSource("AddB", "", ""))
	p.Write(mig+"20300103000000_add_a.exs", migrationSource("AddA", "", ""))
	p.Write(mig+"20300104000000_migrate_resources1_dev.exs", migrationSource("MigrateResources1Dev", "", ""))
	p.Write("priv/resource_snapshots/repo/posts/20300101000000.json", `{"table": "posts", "attributes": [`)
	p.Write("priv/resource_snapshots/repo/a,b:c/20300101000000.json", `{"table": "100%\nposts", "attributes": []}`)
	commitAll(p, "findings")
	p.Write(mig+"20300105000000_drop_body.exs", migrationSource("DropBody", "    alter table(:posts) do\n      remove :body\n    end\n", "    alter table(:posts) do\n      add :body, :text\n    end\n"))

	rep := runCheck(t, p, regen.CheckOptions{Codegen: regen.CodegenNever, Unsafe: true})
	for _, format := range []string{regen.FormatJSON, regen.FormatGitHub, regen.FormatText} {
		var buf bytes.Buffer
		if err := regen.WriteCheckReport(&buf, format, rep); err != nil {
			t.Fatal(err)
		}
		got := strings.ReplaceAll(buf.String(), p.Root, "$ROOT")
		golden := filepath.Join("testdata", "check", "report."+format+".golden")
		if *updateGolden {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run `go test ./regen/ -run TestCheckFormatsGolden -update`)", err)
		}
		if got != string(want) {
			t.Errorf("%s output differs from %s:\n--- got\n%s\n--- want\n%s", format, golden, got, want)
		}
	}
}

// TestCheckGitHubPrefix: annotations name repository paths when the
// project sits in a subfolder of the repository.
func TestCheckGitHubPrefix(t *testing.T) {
	rep := &regen.CheckReport{GitPrefix: "apps/blog", Findings: []regen.Finding{
		{Rule: regen.RuleUntracked, Severity: regen.SeverityError, File: "priv/x.json", Line: 3, Message: "m", Fix: "f"},
		{Rule: regen.RuleCodegenDrift, Severity: regen.SeverityError, Message: "50% done\r\nnext", Fix: "f"},
	}}
	var buf bytes.Buffer
	if err := regen.WriteCheckReport(&buf, regen.FormatGitHub, rep); err != nil {
		t.Fatal(err)
	}
	want := "::error file=apps/blog/priv/x.json,line=3,title=untracked::m — f\n" +
		"::error title=codegen-drift::50%25 done%0D%0Anext — f\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}
