package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// status lists the applied versions by file (not only a count) and ends
// with the one command to run next.
func TestStatusListsAppliedVersionsAndTheNextCommand(t *testing.T) {
	p := regentest.NewProject(t)
	out, errOut, code := run(t, p, "status")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	applied := regexp.MustCompile(`(?m)^  applied\s+(\d{14})  priv/repo/migrations/\d{14}_initial_blog\.exs  \(tracked\)$`)
	if !applied.MatchString(out) {
		t.Fatalf("the applied version is not listed:\n%s", out)
	}
	if !strings.HasSuffix(out, "next: nothing to do: no untracked migrations or snapshots\n") {
		t.Fatalf("a clean project should end with nothing to do:\n%s", out)
	}

	attrs := []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true", "attribute :subtitle, :string, public?: true"}
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", attrs, nil))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	out, _, code = run(t, p, "status")
	if code != 0 || !regexp.MustCompile(`(?m)^\s+\d{14}  priv/repo/migrations/\d{14}_add_subtitle\.exs  \(untracked\)$`).MatchString(out) {
		t.Fatalf("exit %d; the untracked applied version is not listed:\n%s", code, out)
	}
	if !strings.Contains(out, "\nnext: `regen <name> -m`") {
		t.Fatalf("with untracked migrations, next should be `regen <name> -m`:\n%s", out)
	}

	// An interrupted run: next is `regen recover`.
	cmd := p.RegenCmd("add_subtitle", "-m")
	cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:after:backup")
	cmd.Run()
	out, _, code = run(t, p, "status")
	if code != 0 || !strings.Contains(out, "\nnext: `regen recover`") {
		t.Fatalf("exit %d; with a journal open, next should be `regen recover`:\n%s", code, out)
	}
}
