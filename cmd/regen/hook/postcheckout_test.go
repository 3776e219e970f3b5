package hook_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/hook"
	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	"github.com/regen-tool/regen/regen/regentest"
)

// checkout runs `git checkout` as a developer does, so that git runs the
// post-checkout hook: regen (the test build) on PATH unless withRegen is false.
func checkout(t *testing.T, p *regentest.Project, withRegen bool, args ...string) (string, int) {
	t.Helper()
	path := hookPATH(t, withRegen)
	cmd := exec.Command("git", append([]string{"checkout", "-q"}, args...)...)
	cmd.Dir = p.Root
	cmd.Env = append(append(os.Environ(), p.GitEnv()...), "PATH="+path, "REGEN_MIX="+regentest.Mixsim(t), "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

// The post-checkout hook follows the pre-commit hook's rules: core.hooksPath,
// a foreign hook never replaced without --chain or --force, the chained
// hook runs first with its exit status kept, uninstall puts it back
// byte for byte; and the pre-commit hook is left alone.
func TestPostCheckoutHookChainForceUninstall(t *testing.T) {
	p := regentest.NewProject(t)
	p.Git("config", "core.hooksPath", ".githooks")
	p.Git("branch", "other")
	hooks := filepath.Join(p.Root, ".githooks")
	os.MkdirAll(hooks, 0o755)
	ran := filepath.Join(t.TempDir(), "orig-ran")
	original := "#!/bin/sh\necho \"$3\" >> '" + ran + "'\nexit 3\n"
	target := filepath.Join(hooks, "post-checkout")
	if err := os.WriteFile(target, []byte(original), 0o750); err != nil {
		t.Fatal(err)
	}
	if out, code := p.Regen("hook", "install"); code != 0 {
		t.Fatalf("pre-commit install: exit %d\n%s", code, out)
	}
	preCommit, _ := os.ReadFile(filepath.Join(hooks, "pre-commit"))

	out, code := p.Regen("hook", "install", "--post-checkout")
	if code != 2 || !strings.Contains(out, "--post-checkout --chain") {
		t.Fatalf("install over a foreign hook: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(target); string(data) != original {
		t.Fatal("the foreign hook was touched")
	}
	if out, code := p.Regen("hook", "install", "--post-checkout", "--chain"); code != 0 || !strings.Contains(out, "post-checkout.regen-chained") {
		t.Fatalf("--chain: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(target); !strings.Contains(string(data), hook.PostCheckoutMarker) {
		t.Fatal("regen's hook is not in place")
	}
	// The chained hook runs and its status stays the checkout's; regen's
	// part prints its one line.
	out, code = checkout(t, p, true, "other")
	if code == 0 || strings.Count(out, "regen: ") != 1 || !strings.Contains(out, "same commit") {
		t.Fatalf("checkout with the chained hook: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(ran); string(data) != "1\n" {
		t.Fatalf("the chained hook ran with %q", data)
	}
	if out, code := p.Regen("hook", "uninstall", "--post-checkout"); code != 0 || !strings.Contains(out, "previous hook is back") {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(target); string(data) != original {
		t.Fatal("uninstall did not put the original back")
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o750 {
		t.Fatalf("the original's mode is %o", fi.Mode().Perm())
	}
	// --force moves it aside, never deletes it.
	if out, code := p.Regen("hook", "install", "--post-checkout", "--force"); code != 0 || !strings.Contains(out, "post-checkout.regen-replaced") {
		t.Fatalf("--force: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(filepath.Join(hooks, "post-checkout.regen-replaced")); string(data) != original {
		t.Fatal("--force lost the original")
	}
	if data, _ := os.ReadFile(filepath.Join(hooks, "pre-commit")); string(data) != string(preCommit) {
		t.Fatal("the pre-commit hook changed")
	}
	// Without regen on PATH the checkout still succeeds, with one line.
	out, code = checkout(t, p, false, "main")
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "not on PATH") {
		t.Fatalf("without regen on PATH: exit %d\n%s", code, out)
	}
	// Its own failures never fail the checkout either: a broken config.
	p.Write(".regen.toml", "this is = = not toml\n")
	p.Git("add", ".regen.toml")
	p.Git("commit", "-q", "--no-verify", "-m", "broken config")
	out, code = checkout(t, p, true, "other")
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "regen: database not synced") {
		t.Fatalf("with a broken config: exit %d\n%s", code, out)
	}
}

// `regen hook run post-checkout` (what the script runs) never fails and
// prints one line on stderr, whatever git gives it.
func TestHookRunPostCheckoutOneLineNeverFails(t *testing.T) {
	p := regentest.NewProject(t)
	head := strings.TrimSpace(p.Git("rev-parse", "HEAD"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "post-checkout", "x"}, "unexpected arguments"},
		{[]string{"run", "post-checkout", head, head, "0"}, "a file checkout"},
		{[]string{"run", "post-checkout", "not-a-commit", head, "1"}, "no commit ids"},
		{[]string{"run", "post-checkout", strings.Repeat("0", 40), head, "1"}, "first checkout of a new clone"},
		{[]string{"run", "post-checkout", head, head, "1"}, "the same commit"},
	} {
		env := cmdtest.New(t, p.Root, p.Getenv)
		if code := env.Exec(hook.NewCmdHook(env.F), c.args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", c.args, code, env.ErrOut)
		}
		got := env.ErrOut.String()
		if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "regen: ") || !strings.Contains(got, c.want) || env.Out.Len() != 0 {
			t.Fatalf("%v: stdout %q, stderr %q, want one line saying %q", c.args, env.Out, got, c.want)
		}
	}
}
