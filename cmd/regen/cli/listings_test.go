package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/cmd/regen/iostreams"
	"github.com/regen-tool/regen/regen/regentest"
)

// manySnapshots is a feature branch with n untracked snapshot files left
// behind (say, by a script that ran codegen in a loop).
func manySnapshots(t *testing.T, n int) *regentest.Project {
	t.Helper()
	p := regentest.NewProject(t)
	attrs := []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true"}
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", append(attrs, "attribute :subtitle, :string, public?: true"), nil))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	dir := filepath.Join(p.Root, "priv", "resource_snapshots", "repo", "posts")
	ms, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	data, err := os.ReadFile(ms[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("2001%010d.json", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// run runs regen through the cmd layer with buffers for its streams.
func run(t *testing.T, p *regentest.Project, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: p.Getenv, Dir: func() (string, error) { return p.Root, nil }, Now: time.Now}
	code = Run(context.Background(), f, args)
	return out.String(), errOut.String(), code
}

func lines(s string) int { return strings.Count(s, "\n") }

// With 1,000 untracked snapshot files (the end-to-end test in cmd/regen
// has 10,000), status, the run and undo each print a screenful and count
// the rest; --verbose lists all, and status --json stays complete.
func TestListingsAreSummarisedThroughTheCmdLayer(t *testing.T) {
	const n = 1000
	p := manySnapshots(t, n)
	summary := "… and 982 more (use --verbose to list all)" // 1,002 files to remove: 20 shown

	out, errOut, code := run(t, p, "status")
	if code != 0 || lines(out) > 120 || !strings.Contains(out, summary) {
		t.Fatalf("status: exit %d, %d lines\n%s%s", code, lines(out), out, errOut)
	}
	if !strings.Contains(out, "next: `regen <name> -m`") {
		t.Fatalf("status names no next command:\n%s", out)
	}
	out, _, code = run(t, p, "status", "--verbose")
	if code != 0 || lines(out) < n {
		t.Fatalf("status --verbose: exit %d, %d lines", code, lines(out))
	}
	out, _, code = run(t, p, "status", "--json")
	var st struct {
		Plan struct {
			Repos []struct {
				Remove []string `json:"remove"`
			} `json:"repos"`
		} `json:"plan"`
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || len(st.Plan.Repos[0].Remove) != n+2 {
		t.Fatalf("status --json: exit %d, %v, %d files", code, err, len(st.Plan.Repos[0].Remove))
	}

	_, errOut, code = run(t, p, "add_subtitle", "-m")
	if code != 0 || lines(errOut) > 200 || !strings.Contains(errOut, summary) {
		t.Fatalf("run: exit %d, %d lines\n%s", code, lines(errOut), errOut)
	}
	_, errOut, code = run(t, p, "undo")
	if code != 0 || lines(errOut) > 100 || !strings.Contains(errOut, "more (use --verbose to list all)") {
		t.Fatalf("undo: exit %d, %d lines\n%s", code, lines(errOut), errOut)
	}
	if got := len(p.Untracked("priv/resource_snapshots")); got != n+1 {
		t.Fatalf("undo brought back %d untracked snapshots, want %d", got, n+1)
	}
	// And with --verbose, the run and undo list everything.
	_, errOut, code = run(t, p, "add_subtitle", "-m", "--verbose")
	if code != 0 || lines(errOut) < n {
		t.Fatalf("run --verbose: exit %d, %d lines", code, lines(errOut))
	}
	_, errOut, code = run(t, p, "undo", "--verbose")
	if code != 0 || lines(errOut) < n {
		t.Fatalf("undo --verbose: exit %d, %d lines", code, lines(errOut))
	}
}
