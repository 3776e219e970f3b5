package hook_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// The pre-commit hook at zero cost: a commit touching no resource starts no
// mix; a resource change without codegen is refused; the check of staged
// content that a clean check already saw (`regen check --staged`, then
// `git commit`) starts no mix and says so in one line; a check that runs
// starts mix once.
func TestHookSkipsWhatTheLastCleanCheckSaw(t *testing.T) {
	p := regentest.NewProject(t)
	log := filepath.Join(t.TempDir(), "mix.log")
	p.Env = append(p.Env, "MIXSIM_LOG="+log)
	if out, code := p.Regen("hook", "install"); code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	seen := 0
	starts := func() int { n := lines(t, log); d := n - seen; seen = n; return d }

	p.Write("README.md", "docs\n")
	p.Git("add", "README.md")
	if out, code := commit(t, p, true, p.Env...); code != 0 || starts() != 0 {
		t.Fatalf("README commit: exit %d, mix started\n%s", code, out)
	}

	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true", "attribute :subtitle, :string, public?: true"}, nil))
	p.Git("add", "lib")
	out, code := commit(t, p, true, p.Env...)
	if code == 0 || !strings.Contains(out, "codegen-drift") {
		t.Fatalf("a resource change without codegen was committed: exit %d\n%s", code, out)
	}
	if n := starts(); n != 1 {
		t.Fatalf("the refused check started mix %d times, want 1", n)
	}

	p.Mix("ash.codegen", "add_subtitle")
	starts()
	p.Git("add", "-A")
	if out, code := p.Regen("check", "--staged"); code != 0 || starts() != 1 {
		t.Fatalf("check --staged: exit %d\n%s", code, out)
	}
	out, code = commit(t, p, true, p.Env...)
	if code != 0 {
		t.Fatalf("commit after a clean check: exit %d\n%s", code, out)
	}
	if n := starts(); n != 0 {
		t.Fatalf("the hook started mix %d times over content the last clean check saw\n%s", n, out)
	}
	if strings.Count(out, "codegen check skipped: its inputs are those of the clean check") != 1 {
		t.Fatalf("the skip is not said in one line:\n%s", out)
	}
}
