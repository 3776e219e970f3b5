package gitops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gitHooksDir is git's own answer, made absolute from the work-tree top.
func gitHooksDir(t *testing.T, dir string) string {
	t.Helper()
	p := strings.TrimSpace(runGit(t, dir, "rev-parse", "--git-path", "hooks"))
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p)
}

func TestHooksDir(t *testing.T) {
	home, _ := isolateGit(t)
	r := newRepo(t)
	r.write("a", "a\n")
	r.git("add", "a")
	r.git("commit", "-q", "-m", "a")
	check := func(what string, dir string) {
		t.Helper()
		repo, err := Open(dir)
		ok(t, err)
		got, err := repo.HooksDir()
		ok(t, err)
		if want := gitHooksDir(t, repo.Root); got != want {
			t.Errorf("%s: HooksDir = %s, git says %s", what, got, want)
		}
	}
	check("default", r.dir)
	r.git("config", "core.hooksPath", ".githooks")
	check("relative hooksPath", r.dir)
	ok(t, os.MkdirAll(r.abs("sub"), 0o755))
	check("relative hooksPath from a subfolder", r.abs("sub"))
	r.git("config", "core.hooksPath", "~/myhooks")
	check("~ hooksPath", r.dir)
	r.git("config", "--unset", "core.hooksPath")
	runGit(t, home, "config", "--global", "core.hooksPath", filepath.Join(home, "global-hooks"))
	check("global hooksPath", r.dir)
	runGit(t, home, "config", "--global", "--unset", "core.hooksPath")

	// A linked worktree shares the common dir's hooks.
	wt := filepath.Join(realTemp(t), "wt")
	r.git("worktree", "add", "-q", wt)
	check("linked worktree", wt)
}
