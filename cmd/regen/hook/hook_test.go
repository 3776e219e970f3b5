package hook_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/hook"
	"github.com/regen-tool/regen/regen/regentest"
)

// commit runs `git commit` the way a developer does, so that git runs the
// hook: regen (the test build) on PATH unless withRegen is false.
func commit(t *testing.T, p *regentest.Project, withRegen bool, env ...string) (string, int) {
	t.Helper()
	path := hookPATH(t, withRegen)
	cmd := exec.Command("git", "commit", "-q", "-m", "work")
	cmd.Dir = p.Root
	cmd.Env = append(append(append(os.Environ(), p.GitEnv()...), "PATH="+path, "REGEN_MIX="+regentest.Mixsim(t), "NO_COLOR=1"), env...)
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

func lines(t *testing.T, p string) int {
	data, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

// The acceptance scenario: core.hooksPath set, a hook already there.
func TestHookChainWithHooksPath(t *testing.T) {
	p := regentest.NewProject(t)
	p.Git("config", "core.hooksPath", ".githooks")
	ran := filepath.Join(t.TempDir(), "orig-ran")
	original := "#!/bin/sh\n# the team's own hook\necho ran >> '" + ran + "'\nif [ -n \"$FAIL_ORIG\" ]; then echo 'orig hook says no' >&2; exit 3; fi\n"
	hooks := filepath.Join(p.Root, ".githooks")
	os.MkdirAll(hooks, 0o755)
	target := filepath.Join(hooks, "pre-commit")
	if err := os.WriteFile(target, []byte(original), 0o750); err != nil {
		t.Fatal(err)
	}

	// A foreign hook is never overwritten without --force/--chain.
	out, code := p.Regen("hook", "install")
	if code != 2 || !strings.Contains(out, "--chain") || !strings.Contains(out, "--force") {
		t.Fatalf("install over a foreign hook: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(target); string(data) != original {
		t.Fatal("the foreign hook was touched")
	}

	if out, code := p.Regen("hook", "install", "--chain"); code != 0 {
		t.Fatalf("install --chain: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(filepath.Join(hooks, hook.ChainedName)); string(data) != original {
		t.Fatal("the chained hook is not the original")
	}
	if data, _ := os.ReadFile(target); !strings.Contains(string(data), hook.Marker) {
		t.Fatal("regen's hook is not in place")
	}
	// Installing again is an update, not a second chain.
	if out, code := p.Regen("hook", "install", "--chain"); code != 0 || !strings.Contains(out, "updated") {
		t.Fatalf("re-install: exit %d\n%s", code, out)
	}

	// Both run: the original writes its file, regen runs the codegen check
	// (a staged lib/ change) through the stand-in, which logs it.
	log := filepath.Join(t.TempDir(), "mix.log")
	p.Write("lib/blog/helper.ex", "defmodule Blog.Helper do\n  def hi, do: :hi\nend\n")
	p.Git("add", "lib")
	if out, code := commit(t, p, true, "MIXSIM_LOG="+log); code != 0 {
		t.Fatalf("commit: exit %d\n%s", code, out)
	}
	if lines(t, ran) != 1 {
		t.Fatal("the original hook did not run")
	}
	if data, _ := os.ReadFile(log); !strings.Contains(string(data), "ash.codegen --check") {
		t.Fatalf("regen's check did not run the codegen check; mix log:\n%s", data)
	}

	// regen's findings stop the commit.
	p.Write("priv/repo/migrations/2030010100000_add_x.exs", "")
	p.Git("add", "priv")
	out, code = commit(t, p, true)
	if code == 0 || !strings.Contains(out, "[migration-name]") {
		t.Fatalf("a finding must stop the commit: exit %d\n%s", code, out)
	}
	if lines(t, ran) != 2 {
		t.Fatal("the original hook did not run first")
	}
	p.Git("rm", "-q", "--cached", "priv/repo/migrations/2030010100000_add_x.exs")
	os.Remove(filepath.Join(p.Root, "priv/repo/migrations/2030010100000_add_x.exs"))

	// The original's failure stops everything: regen does not run.
	log2 := filepath.Join(t.TempDir(), "mix2.log")
	p.Write("lib/blog/helper.ex", "defmodule Blog.Helper do\n  def hi, do: :hello\nend\n")
	p.Git("add", "lib")
	out, code = commit(t, p, true, "FAIL_ORIG=1", "MIXSIM_LOG="+log2)
	if code == 0 || !strings.Contains(out, "orig hook says no") {
		t.Fatalf("the original's failure must stop the commit: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(log2); !os.IsNotExist(err) {
		t.Fatal("regen ran after the original hook failed")
	}

	// Without regen on PATH the hook says so and stops the commit.
	out, code = commit(t, p, false)
	if code == 0 || !strings.Contains(out, "regen command is not on PATH") {
		t.Fatalf("missing regen: exit %d\n%s", code, out)
	}

	// Uninstall puts the original back byte for byte, with its mode.
	if out, code := p.Regen("hook", "uninstall"); code != 0 || !strings.Contains(out, "previous hook is back") {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	data, err := os.ReadFile(target)
	if err != nil || string(data) != original {
		t.Fatalf("original not restored: %v\n%s", err, data)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o750 {
		t.Errorf("mode %v, want 0750", fi.Mode().Perm())
	}
	if _, err := os.Lstat(filepath.Join(hooks, hook.ChainedName)); !os.IsNotExist(err) {
		t.Error("the chained copy is still there")
	}
	// Uninstalling a hook regen did not write refuses.
	if out, code := p.Regen("hook", "uninstall"); code != 2 || !strings.Contains(out, "not written by regen") {
		t.Fatalf("uninstall of a foreign hook: exit %d\n%s", code, out)
	}
}

func TestHookForceKeepsTheOldOneAside(t *testing.T) {
	p := regentest.NewProject(t)
	hooks := filepath.Join(p.Root, ".git", "hooks")
	os.MkdirAll(hooks, 0o755)
	original := "#!/bin/sh\nexit 0\n"
	os.WriteFile(filepath.Join(hooks, "pre-commit"), []byte(original), 0o755)
	if out, code := p.Regen("hook", "install", "--force"); code != 0 || !strings.Contains(out, hook.ReplacedName) {
		t.Fatalf("install --force: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(filepath.Join(hooks, hook.ReplacedName)); string(data) != original {
		t.Fatal("the replaced hook was not kept")
	}
	if out, code := p.Regen("hook", "uninstall"); code != 0 {
		t.Fatalf("uninstall: exit %d\n%s", code, out)
	}
	if _, err := os.Lstat(filepath.Join(hooks, "pre-commit")); !os.IsNotExist(err) {
		t.Fatal("regen's hook is still there")
	}
	if out, code := p.Regen("hook", "install", "--force", "--chain"); code != 2 {
		t.Fatalf("--force with --chain: exit %d\n%s", code, out)
	}
}

// A linked worktree installs into the common git dir, where git looks.
func TestHookLinkedWorktree(t *testing.T) {
	p := regentest.NewProject(t)
	wt := filepath.Join(t.TempDir(), "wt")
	p.Git("worktree", "add", "-q", wt)
	cmd := exec.Command(regentest.Regen(t), "hook", "install")
	cmd.Dir = wt
	cmd.Env = append(os.Environ(), p.GitEnv()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install in a worktree: %v\n%s", err, out)
	}
	if data, err := os.ReadFile(filepath.Join(p.Root, ".git", "hooks", "pre-commit")); err != nil || !strings.Contains(string(data), hook.Marker) {
		t.Fatalf("hook not in the common dir: %v", err)
	}
}

// hookPATH is the PATH a hook started by git sees: the test build of regen
// first, or (withRegen false) no folder holding any regen at all.
func hookPATH(t *testing.T, withRegen bool) string {
	t.Helper()
	path := os.Getenv("PATH")
	if withRegen {
		return regentest.Binaries(t) + string(os.PathListSeparator) + path
	}
	var keep []string
	for _, d := range filepath.SplitList(path) {
		if _, err := os.Stat(filepath.Join(d, "regen")); err != nil {
			keep = append(keep, d)
		}
	}
	return strings.Join(keep, string(os.PathListSeparator))
}
