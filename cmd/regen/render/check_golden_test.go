package render_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/render"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/check"
	"github.com/regen-tool/regen/regen/regentest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/check")

// TestCheckFormatsGolden asserts the json, github (regen/check) and text
// (render.Check) outputs exactly.
// The project trips many rules with fixed file names; a snapshot folder
// named "a,b:c" and a table name with "%" and a newline exercise GitHub's
// escaping of properties and data.
func TestCheckFormatsGolden(t *testing.T) {
	p := regentest.NewProject(t)
	mig := "priv/repo/migrations/"
	p.Write(mig+"2030010100000_add_x.exs", regentest.MigrationSource("AddX", "", ""))
	p.Write(mig+"20300102000000_add_a.exs", regentest.MigrationSource("AddA", "", ""))
	p.Write(mig+"20300102000000_add_b.exs", regentest.MigrationSource("AddB", "", ""))
	p.Write(mig+"20300103000000_add_a.exs", regentest.MigrationSource("AddA", "", ""))
	p.Write(mig+"20300104000000_migrate_resources1_dev.exs", regentest.MigrationSource("MigrateResources1Dev", "", ""))
	p.Write("priv/resource_snapshots/repo/posts/20300101000000.json", `{"table": "posts", "attributes": [`)
	p.Write("priv/resource_snapshots/repo/a,b:c/20300101000000.json", `{"table": "100%\nposts", "attributes": []}`)
	p.CommitAll("findings")
	p.Write(mig+"20300105000000_drop_body.exs", regentest.MigrationSource("DropBody", "    alter table(:posts) do\n      remove :body\n    end\n", "    alter table(:posts) do\n      add :body, :text\n    end\n"))

	e, err := regen.Open(regen.Options{Dir: p.Root, Getenv: p.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := check.Run(context.Background(), e, check.Options{Codegen: check.CodegenNever, Unsafe: true})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	writers := map[string]func(io.Writer, *check.Report) error{
		check.FormatJSON:   check.WriteJSON,
		check.FormatGitHub: check.WriteGitHub,
		check.FormatText:   render.Check,
	}
	for _, format := range []string{check.FormatJSON, check.FormatGitHub, check.FormatText} {
		var buf bytes.Buffer
		if err := writers[format](&buf, rep); err != nil {
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
			t.Fatalf("%v (run `go test ./cmd/regen/render/ -run TestCheckFormatsGolden -update`)", err)
		}
		if got != string(want) {
			t.Errorf("%s output differs from %s:\n--- got\n%s\n--- want\n%s", format, golden, got, want)
		}
	}
}
