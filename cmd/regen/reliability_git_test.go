package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// git's environment, submodules, content filters and the index: regen acts
// on the repository, index and bytes git would, or refuses before changing
// anything.

// gitEnvCase is a project whose repository git finds only through its
// environment, with an unrelated repository above it (the dangerous case:
// discovery alone would find that one, where nothing is tracked).
type gitEnvCase struct {
	p      *regentest.Project
	gitDir string // the project's real git dir, moved out of the work tree
	outer  string // the unrelated repository above the project
}

func newGitEnvCase(t *testing.T) *gitEnvCase { return newGitEnvCaseOf(t, regentest.SQLite) }

func newGitEnvCaseOf(t *testing.T, kind string) *gitEnvCase {
	t.Helper()
	c := newGitEnvCaseAloneOf(t, kind)
	c.git(nil, c.outer, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(c.outer, "README"), []byte("outer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.git(nil, c.outer, "add", "README")
	c.git(nil, c.outer, "commit", "-q", "-m", "outer")
	return c
}

// newGitEnvCaseAlone is the project with its git dir moved out and no
// repository above it: only the environment finds it.
func newGitEnvCaseAlone(t *testing.T) *gitEnvCase { return newGitEnvCaseAloneOf(t, regentest.SQLite) }

func newGitEnvCaseAloneOf(t *testing.T, kind string) *gitEnvCase {
	t.Helper()
	p := featureOf(t, kind)
	store, _ := filepath.EvalSymlinks(t.TempDir())
	gitDir := filepath.Join(store, "proj.git")
	if err := os.Rename(filepath.Join(p.Root, ".git"), gitDir); err != nil {
		t.Fatal(err)
	}
	outer := filepath.Dir(p.Root)
	return &gitEnvCase{p: p, gitDir: gitDir, outer: outer}
}

// git runs the git CLI in dir with the test's git config and env.
func (c *gitEnvCase) git(env []string, dir string, args ...string) string {
	c.p.T.Helper()
	return gitWith(c.p, env, dir, args...)
}

func gitWith(p *regentest.Project, env []string, dir string, args ...string) string {
	p.T.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), p.GitEnv()...), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.T.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// regenIn runs the regen binary in dir with extra environment.
func regenIn(p *regentest.Project, dir string, env []string, args ...string) (string, int) {
	p.T.Helper()
	cmd := p.RegenCmd(args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), exitCode(err)
}

// mustRunOnRepo is the whole life of a run under an environment: a failed
// run restores everything byte for byte, a good one regenerates the
// feature migration without touching what the project's repository tracks
// (its state in gitDir), and undo puts everything back.
func mustRunOnRepo(t *testing.T, p *regentest.Project, dir string, env []string, gitDir string, notStateDirs ...string) {
	t.Helper()
	mustRunOnRepoGit(t, p, dir, dir, env, env, gitDir, notStateDirs...)
}

// mustRunOnRepoGit is mustRunOnRepo with git's own checks run in gitCwd
// with gitEnv.
func mustRunOnRepoGit(t *testing.T, p *regentest.Project, dir, gitCwd string, env, gitEnv []string, gitDir string, notStateDirs ...string) {
	t.Helper()
	initial := p.Migrations()
	before := p.Capture()
	trackedBefore := gitWith(p, gitEnv, gitCwd, "ls-files", "--", ":/priv")
	if !strings.Contains(trackedBefore, "initial_blog") {
		t.Fatalf("setup: git does not track the initial migration with %v:\n%s", gitEnv, trackedBefore)
	}

	out, code := regenIn(p, dir, append(env, "REGEN_TEST_FAULT=fail:after:verify"), "add_subtitle_and_views", "-m")
	if code != 1 {
		t.Fatalf("failed run: exit %d, want 1\n%s", code, out)
	}
	mustSame(t, before, p.Capture())

	out, code = regenIn(p, dir, env, "add_subtitle_and_views", "-m")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	for _, m := range initial {
		if strings.Contains(m, "initial_blog") && !exists(filepath.Join(p.Root, "priv", "repo", "migrations", m)) {
			t.Fatalf("the committed migration %s is gone:\n%s", m, out)
		}
	}
	if got := gitWith(p, gitEnv, gitCwd, "ls-files", "--", ":/priv"); got != trackedBefore {
		t.Fatalf("tracked files changed:\n%s\nvs\n%s", got, trackedBefore)
	}
	if st := gitWith(p, gitEnv, gitCwd, "status", "--porcelain", "--", ":/priv"); strings.Contains(st, " D ") || strings.HasPrefix(st, " D") {
		t.Fatalf("tracked files deleted:\n%s", st)
	}
	if !strings.Contains(strings.Join(p.Migrations(), " "), "add_subtitle_and_views") {
		t.Fatalf("no regenerated migration: %v\n%s", p.Migrations(), out)
	}
	if !exists(filepath.Join(gitDir, "regen", "last")) {
		t.Fatalf("regen's state is not in %s", gitDir)
	}
	for _, d := range notStateDirs {
		if exists(filepath.Join(d, "regen")) {
			t.Fatalf("regen wrote state into the other repository %s", d)
		}
	}

	out, code = regenIn(p, dir, env, "undo")
	if code != 0 {
		t.Fatalf("undo: exit %d\n%s", code, out)
	}
	mustSame(t, before, p.Capture())

	// Killed in the middle: the journal is in gitDir, recover finds it
	// with the same environment and puts everything back.
	out, code = regenIn(p, dir, append(env, "REGEN_ONE_VM=0", "REGEN_TEST_FAULT=kill:before:codegen"), "add_subtitle_and_views", "-m")
	if code == 0 || !exists(filepath.Join(gitDir, "regen", "journal.json")) {
		t.Fatalf("killed run: exit %d, journal in %s: %v\n%s", code, gitDir, exists(filepath.Join(gitDir, "regen", "journal.json")), out)
	}
	out, code = regenIn(p, dir, env, "recover")
	if code != 0 {
		t.Fatalf("recover: exit %d\n%s", code, out)
	}
	mustSame(t, before, p.Capture())
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func TestReliabilityGitEnv(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run("GIT_DIR+GIT_WORK_TREE/outer-repo-above/"+kind, func(t *testing.T) {
			c := newGitEnvCaseOf(t, kind)
			env := []string{"GIT_DIR=" + c.gitDir, "GIT_WORK_TREE=" + c.p.Root}
			mustRunOnRepo(t, c.p, c.p.Root, env, c.gitDir, filepath.Join(c.outer, ".git"))
		})
	}
	t.Run("GIT_DIR+GIT_WORK_TREE/no-repository-above", func(t *testing.T) {
		// (git itself finds nothing here without the variables: the test's
		// own git calls, in Capture too, run with them.)
		c := newGitEnvCaseAlone(t)
		t.Setenv("GIT_DIR", c.gitDir)
		t.Setenv("GIT_WORK_TREE", c.p.Root)
		mustRunOnRepo(t, c.p, c.p.Root, nil, c.gitDir)
	})
	t.Run("GIT_DIR+GIT_WORK_TREE/relative-from-subfolder", func(t *testing.T) {
		c := newGitEnvCase(t)
		lib := filepath.Join(c.p.Root, "lib")
		rel, _ := filepath.Rel(lib, c.gitDir)
		// The mix child runs at the project's top, where the relative
		// GIT_DIR would name another folder: it must see this repository.
		record := filepath.Join(t.TempDir(), "child-git")
		wrapper := filepath.Join(t.TempDir(), "mix")
		script := "#!/bin/sh\ngit rev-parse --absolute-git-dir --show-toplevel >> '" + record + "' 2>&1\nexec '" + regentest.Mixsim(t) + "' \"$@\"\n"
		if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		env := []string{"GIT_DIR=" + rel, "GIT_WORK_TREE=..", "REGEN_MIX=" + wrapper}
		mustRunOnRepo(t, c.p, lib, env, c.gitDir, filepath.Join(c.outer, ".git"))
		data, _ := os.ReadFile(record)
		if len(data) == 0 {
			t.Fatal("the mix child never ran git")
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if line != c.gitDir && line != c.p.Root {
				t.Fatalf("the mix child's git saw %q, want %s and %s:\n%s", line, c.gitDir, c.p.Root, data)
			}
		}
	})
	t.Run("GIT_WORK_TREE/alone", func(t *testing.T) {
		// git discovers .git from the current folder and takes the work
		// tree from the variable.
		p := feature(t)
		mustRunOnRepo(t, p, p.Root, []string{"GIT_WORK_TREE=" + p.Root}, filepath.Join(p.Root, ".git"))
	})
	t.Run("GIT_DIR/work-tree-is-the-current-folder", func(t *testing.T) {
		c := newGitEnvCase(t)
		mustRunOnRepo(t, c.p, c.p.Root, []string{"GIT_DIR=" + c.gitDir}, c.gitDir, filepath.Join(c.outer, ".git"))
	})
	t.Run("GIT_DIR+core.worktree/from-subfolder", func(t *testing.T) {
		c := newGitEnvCase(t)
		c.git([]string{"GIT_DIR=" + c.gitDir}, c.p.Root, "config", "core.worktree", c.p.Root)
		mustRunOnRepo(t, c.p, filepath.Join(c.p.Root, "lib"), []string{"GIT_DIR=" + c.gitDir}, c.gitDir, filepath.Join(c.outer, ".git"))
	})
	t.Run("GIT_CONFIG_COUNT+GIT_CONFIG_PARAMETERS", func(t *testing.T) {
		// Config given in the environment: git answers (go-git would not
		// see it), on the repository GIT_DIR names.
		c := newGitEnvCase(t)
		env := []string{"GIT_DIR=" + c.gitDir, "GIT_WORK_TREE=" + c.p.Root, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=core.quotePath", "GIT_CONFIG_VALUE_0=false",
			"GIT_CONFIG_PARAMETERS='core.ignorecase'='false'"}
		out, _ := regenIn(c.p, c.p.Root, env, "status")
		if !strings.Contains(out, "git-cli") {
			t.Errorf("status does not say git answers:\n%s", out)
		}
		mustRunOnRepo(t, c.p, c.p.Root, env, c.gitDir, filepath.Join(c.outer, ".git"))
	})
	t.Run("GIT_CONFIG_PARAMETERS/alone", func(t *testing.T) {
		p := feature(t)
		env := []string{"GIT_CONFIG_PARAMETERS='core.quotepath'='false'"}
		out, _ := regenIn(p, p.Root, env, "status")
		if !strings.Contains(out, "git-cli") {
			t.Errorf("status does not say git answers:\n%s", out)
		}
		mustRunOnRepo(t, p, p.Root, env, filepath.Join(p.Root, ".git"))
	})
	t.Run("GIT_CONFIG_COUNT/core.worktree-is-not-honoured-by-git", func(t *testing.T) {
		// git reads core.worktree only from the repository's own config:
		// with it given in the environment git's top is the current folder
		// (lib, no mix.exs), and regen agrees instead of guessing.
		c := newGitEnvCase(t)
		before := c.p.Capture()
		env := []string{"GIT_DIR=" + c.gitDir, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=core.worktree", "GIT_CONFIG_VALUE_0=" + c.p.Root}
		lib := filepath.Join(c.p.Root, "lib")
		top := strings.TrimSpace(gitWith(c.p, env, lib, "rev-parse", "--show-toplevel"))
		out, code := regenIn(c.p, lib, env, "add_subtitle_and_views", "-m")
		if top != lib || code != 2 || !strings.Contains(out, "work tree "+lib) {
			t.Fatalf("git's top %s; regen exit %d, want 2 naming git's top\n%s", top, code, out)
		}
		mustSame(t, before, c.p.Capture())
	})
	t.Run("GIT_COMMON_DIR", func(t *testing.T) {
		// A git dir of its own (HEAD, index, regen's state) sharing the
		// objects, refs and config of another.
		c := newGitEnvCase(t)
		own := filepath.Join(filepath.Dir(c.gitDir), "own")
		if err := os.Mkdir(own, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"HEAD", "index"} {
			if err := os.Rename(filepath.Join(c.gitDir, f), filepath.Join(own, f)); err != nil {
				t.Fatal(err)
			}
		}
		env := []string{"GIT_DIR=" + own, "GIT_COMMON_DIR=" + c.gitDir, "GIT_WORK_TREE=" + c.p.Root}
		mustRunOnRepo(t, c.p, c.p.Root, env, own, c.gitDir, filepath.Join(c.outer, ".git"))
	})
	t.Run("GIT_INDEX_FILE", func(t *testing.T) {
		// The default index is gone: only the named one says what is tracked.
		c := newGitEnvCase(t)
		idx := filepath.Join(filepath.Dir(c.gitDir), "other-index")
		if err := os.Rename(filepath.Join(c.gitDir, "index"), idx); err != nil {
			t.Fatal(err)
		}
		env := []string{"GIT_DIR=" + c.gitDir, "GIT_WORK_TREE=" + c.p.Root, "GIT_INDEX_FILE=" + idx}
		mustRunOnRepo(t, c.p, c.p.Root, env, c.gitDir, filepath.Join(c.outer, ".git"))
	})
	t.Run("GIT_INDEX_FILE/relative-from-subfolder", func(t *testing.T) {
		// git reads a relative GIT_INDEX_FILE from the work-tree top.
		p := feature(t)
		if err := os.Rename(filepath.Join(p.Root, ".git", "index"), filepath.Join(p.Root, "alt-index")); err != nil {
			t.Fatal(err)
		}
		p.Write(".git/info/exclude", "/alt-index\n")
		mustRunOnRepo(t, p, filepath.Join(p.Root, "lib"), []string{"GIT_INDEX_FILE=alt-index"}, filepath.Join(p.Root, ".git"))
	})
	t.Run("GIT_OBJECT_DIRECTORY", func(t *testing.T) {
		c := newGitEnvCase(t)
		objects := filepath.Join(filepath.Dir(c.gitDir), "objects-elsewhere")
		if err := os.Rename(filepath.Join(c.gitDir, "objects"), objects); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(c.gitDir, "objects"), 0o755)
		env := []string{"GIT_DIR=" + c.gitDir, "GIT_WORK_TREE=" + c.p.Root, "GIT_OBJECT_DIRECTORY=" + objects}
		out, _ := regenIn(c.p, c.p.Root, env, "status")
		if !strings.Contains(out, "GIT_OBJECT_DIRECTORY") {
			t.Errorf("status does not say why git answers:\n%s", out)
		}
		mustRunOnRepo(t, c.p, c.p.Root, env, c.gitDir, filepath.Join(c.outer, ".git"))
	})
	t.Run("GIT_ALTERNATE_OBJECT_DIRECTORIES", func(t *testing.T) {
		c := newGitEnvCase(t)
		alt := filepath.Join(filepath.Dir(c.gitDir), "alternate")
		if err := os.Rename(filepath.Join(c.gitDir, "objects"), alt); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(c.gitDir, "objects", "pack"), 0o755)
		env := []string{"GIT_DIR=" + c.gitDir, "GIT_WORK_TREE=" + c.p.Root, "GIT_ALTERNATE_OBJECT_DIRECTORIES=" + alt}
		mustRunOnRepo(t, c.p, c.p.Root, env, c.gitDir, filepath.Join(c.outer, ".git"))

		// A relative entry would mean another folder to regen's git
		// children: refused before anything changes.
		before := c.p.Capture()
		rel, _ := filepath.Rel(c.p.Root, alt)
		out, code := regenIn(c.p, c.p.Root, []string{"GIT_DIR=" + c.gitDir, "GIT_WORK_TREE=" + c.p.Root, "GIT_ALTERNATE_OBJECT_DIRECTORIES=" + rel}, "add_subtitle_and_views", "-m")
		if code != 2 || !strings.Contains(out, "absolute") {
			t.Fatalf("relative alternates: exit %d, want 2 naming the fix\n%s", code, out)
		}
		mustSame(t, before, c.p.Capture())
	})
	t.Run("GIT_CEILING_DIRECTORIES", func(t *testing.T) {
		// git finds no repository from lib when the project's top is a
		// ceiling; neither may regen.
		p := feature(t)
		before := p.Capture()
		out, code := regenIn(p, filepath.Join(p.Root, "lib"), []string{"GIT_CEILING_DIRECTORIES=" + p.Root}, "add_subtitle_and_views", "-m")
		if code != 2 || !strings.Contains(out, "GIT_CEILING_DIRECTORIES") || !strings.Contains(out, "not a git repository") {
			t.Fatalf("exit %d, want 2 naming GIT_CEILING_DIRECTORIES\n%s", code, out)
		}
		mustSame(t, before, p.Capture())
		// A ceiling above the project changes nothing.
		mustRunOnRepo(t, p, filepath.Join(p.Root, "lib"), []string{"GIT_CEILING_DIRECTORIES=" + filepath.Dir(p.Root)}, filepath.Join(p.Root, ".git"))
	})
	t.Run("GIT_DISCOVERY_ACROSS_FILESYSTEM", func(t *testing.T) {
		p := feature(t)
		mustRunOnRepo(t, p, filepath.Join(p.Root, "lib"), []string{"GIT_DISCOVERY_ACROSS_FILESYSTEM=1"}, filepath.Join(p.Root, ".git"))
	})
	t.Run("GIT_DIR/not-a-repository", func(t *testing.T) {
		// Without the environment git finds no repository; with a wrong
		// GIT_DIR neither does regen, and it says which variable decided.
		c := newGitEnvCase(t)
		before := c.p.Capture()
		out, code := regenIn(c.p, c.p.Root, []string{"GIT_DIR=" + filepath.Join(c.p.Root, "nope.git")}, "add_subtitle_and_views", "-m")
		if code != 2 || !strings.Contains(out, "GIT_DIR") {
			t.Fatalf("exit %d, want 2 naming GIT_DIR\n%s", code, out)
		}
		mustSame(t, before, c.p.Capture())
	})
	t.Run("GIT_DIR/outside-the-work-tree", func(t *testing.T) {
		// Started in the outer repository's top with the project's
		// repository named: regen is not inside that work tree, and must
		// not fall back on the outer repository.
		c := newGitEnvCase(t)
		before := c.p.Capture()
		env := []string{"GIT_DIR=" + c.gitDir, "GIT_WORK_TREE=" + c.p.Root}
		out, code := regenIn(c.p, c.outer, env, "add_subtitle_and_views", "-m")
		if code != 2 || !strings.Contains(out, "outside its work tree") {
			t.Fatalf("exit %d, want 2 saying it is outside the work tree\n%s", code, out)
		}
		mustSame(t, before, c.p.Capture())
		if exists(filepath.Join(c.outer, ".git", "regen")) {
			t.Fatal("regen wrote state into the outer repository")
		}
	})
}

// TestReliabilityGitOwnership: git refuses a repository another user owns
// (unless safe.directory allows it); so does regen, before changing
// anything, and with safe.directory it works.
func TestReliabilityGitOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the repository to another user")
	}
	p := feature(t)
	before := p.Capture()
	if out, err := exec.Command("chown", "-R", "nobody", p.Root).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v\n%s", err, out)
	}
	out, code := p.Regen("add_subtitle_and_views", "-m")
	if code != 2 || !strings.Contains(out, "dubious ownership") || !strings.Contains(out, "git status") {
		t.Fatalf("exit %d, want 2 with git's reason\n%s", code, out)
	}
	p.Git("config", "--global", "--add", "safe.directory", p.Root)
	mustSame(t, before, p.Capture())
	mustRunOnRepo(t, p, p.Root, nil, filepath.Join(p.Root, ".git"))
}

// submoduleCase puts the project in a submodule of a superproject, with its
// git dir absorbed into the superproject's .git/modules (a `.git` file in
// the project, core.worktree in its config), as `git submodule` leaves it.
func submoduleCase(t *testing.T) (p *regentest.Project, super, modGitDir string) {
	t.Helper()
	p = feature(t)
	super = filepath.Dir(p.Root)
	name := filepath.Base(p.Root)
	gitWith(p, nil, super, "init", "-q", "-b", "main")
	p.Write("../.gitignore", "/*\n!/.gitignore\n!/"+name+"\n!/.gitmodules\n")
	gitWith(p, nil, super, "-c", "protocol.file.allow=always", "submodule", "add", "-q", "./"+name, name)
	gitWith(p, nil, super, "add", ".gitignore")
	gitWith(p, nil, super, "commit", "-q", "-m", "super")
	gitWith(p, nil, super, "submodule", "absorbgitdirs")
	modGitDir = strings.TrimSpace(gitWith(p, nil, p.Root, "rev-parse", "--absolute-git-dir"))
	if fi, err := os.Lstat(filepath.Join(p.Root, ".git")); err != nil || fi.IsDir() || !strings.HasPrefix(modGitDir, filepath.Join(super, ".git", "modules")) {
		t.Fatalf("setup: the submodule's git dir is %s", modGitDir)
	}
	return p, super, modGitDir
}

func TestReliabilitySubmodule(t *testing.T) {
	for _, from := range []string{"superproject-top", "inside-the-submodule"} {
		t.Run(from, func(t *testing.T) {
			p, super, modGitDir := submoduleCase(t)
			dir := super
			if from != "superproject-top" {
				dir = filepath.Join(p.Root, "lib")
			}
			// status reads the submodule's repository: the initial migration
			// is tracked, the feature one untracked, nothing orphaned.
			cmd := p.RegenCmd("status", "--json")
			cmd.Dir = dir
			raw, err := cmd.Output()
			if err != nil {
				t.Fatalf("status: %v\n%s", err, raw)
			}
			var st struct {
				StateDir string `json:"state_dir"`
				Plan     struct {
					Repos []struct {
						Untracked []struct{ Path string } `json:"untracked"`
						Orphans   []int64                 `json:"orphans"`
					} `json:"repos"`
				} `json:"plan"`
			}
			if err := json.Unmarshal(raw, &st); err != nil || len(st.Plan.Repos) != 1 {
				t.Fatalf("status --json: %v\n%s", err, raw)
			}
			rp := st.Plan.Repos[0]
			if len(rp.Orphans) != 0 || len(rp.Untracked) != 1 || !strings.Contains(rp.Untracked[0].Path, "add_subtitle") || st.StateDir != filepath.Join(modGitDir, "regen") {
				t.Fatalf("status reads another repository than the submodule's:\n%s", raw)
			}
			mustRunOnRepoGit(t, p, dir, p.Root, nil, nil, modGitDir, filepath.Join(super, ".git", "regen"))

		})
	}
	for _, env := range []string{"GIT_INDEX_FILE", "GIT_DIR+GIT_WORK_TREE+GIT_INDEX_FILE"} {
		t.Run("superproject-"+env, func(t *testing.T) {
			// The environment describes the superproject (a superproject's
			// pre-commit hook always has GIT_INDEX_FILE). As git does in a
			// submodule, those variables do not apply to the project's own
			// repository, and the mix child does not inherit them.
			p, super, modGitDir := submoduleCase(t)
			vars := []string{"GIT_INDEX_FILE=" + filepath.Join(super, ".git", "index")}
			if strings.Contains(env, "GIT_DIR") {
				vars = append(vars, "GIT_DIR="+filepath.Join(super, ".git"), "GIT_WORK_TREE="+super)
			}
			record := filepath.Join(t.TempDir(), "child-env")
			wrapper := filepath.Join(t.TempDir(), "mix")
			script := "#!/bin/sh\nenv | grep '^GIT_' >> '" + record + "'\ngit rev-parse --absolute-git-dir >> '" + record + "' 2>&1\nexec '" + regentest.Mixsim(t) + "' \"$@\"\n"
			if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			vars = append(vars, "REGEN_MIX="+wrapper)
			mustRunOnRepoGit(t, p, super, p.Root, vars, nil, modGitDir, filepath.Join(super, ".git", "regen"))
			data, _ := os.ReadFile(record)
			if !strings.Contains(string(data), modGitDir) {
				t.Fatalf("the mix child's git did not use the submodule's repository:\n%s", data)
			}
			for _, v := range []string{"GIT_DIR=", "GIT_WORK_TREE=", "GIT_INDEX_FILE="} {
				if strings.Contains(string(data), v) {
					t.Fatalf("the mix child inherited the superproject's %s:\n%s", v, data)
				}
			}
		})
	}
}

// recheckout deletes the tracked files under priv and lib that git sees as
// unmodified and checks them out again, so that the repository's content
// filters write them as a checkout does (CRLF, $Id$, smudged).
func recheckout(t *testing.T, p *regentest.Project) {
	t.Helper()
	modified := map[string]bool{}
	for _, f := range strings.Fields(p.Git("diff", "--name-only")) {
		modified[f] = true
	}
	var files []string
	for _, f := range strings.Split(strings.TrimSpace(p.Git("ls-files", "--", "priv", "lib")), "\n") {
		if f != "" && !modified[f] {
			files = append(files, f)
			if err := os.Remove(filepath.Join(p.Root, filepath.FromSlash(f))); err != nil {
				t.Fatal(err)
			}
		}
	}
	p.Git(append([]string{"checkout", "--"}, files...)...)
	if st := p.Git("status", "--porcelain", "--", "priv"); strings.Contains(st, " M ") {
		t.Fatalf("setup: git sees converted files as modified:\n%s", st)
	}
}

func readFile(t *testing.T, p *regentest.Project, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(p.Root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func trackedUnder(p *regentest.Project, folder, suffix string) []string {
	var out []string
	for _, f := range strings.Fields(p.Git("ls-files", "--", folder)) {
		if strings.HasSuffix(f, suffix) {
			out = append(out, f)
		}
	}
	return out
}

// TestReliabilityContentFilters: with a filter between the index and the
// work tree, files git sees as clean do not hold their blob's bytes. A
// failed run, a run and undo leave every file byte for byte as it was; the
// tracked snapshot the run puts back from the index gets the bytes git
// checkout writes.
func TestReliabilityContentFilters(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, p *regentest.Project)
		check func(t *testing.T, p *regentest.Project) // the converted bytes are really on disk
	}{
		{"core.autocrlf=true", func(t *testing.T, p *regentest.Project) {
			p.Git("config", "core.autocrlf", "true")
		}, hasCRLF},
		{"core.autocrlf=input", func(t *testing.T, p *regentest.Project) {
			// CRLF files on disk, LF blobs: git sees them clean.
			for _, f := range trackedUnder(p, "priv", "") {
				data := readFile(t, p, f)
				p.Write(f, strings.ReplaceAll(string(data), "\n", "\r\n"))
			}
			p.Git("config", "core.autocrlf", "input")
			p.Git("add", "-u", "--", "priv")
		}, hasCRLF},
		{"eol=crlf attribute", func(t *testing.T, p *regentest.Project) {
			p.Write(".gitattributes", "* text eol=crlf\n")
			p.Git("add", ".gitattributes")
			p.Git("commit", "-q", "-m", "attributes")
		}, hasCRLF},
		{"ident attribute", func(t *testing.T, p *regentest.Project) {
			p.Write(".gitattributes", "*.exs ident\n*.json ident\n")
			for _, f := range trackedUnder(p, "priv", ".exs") {
				p.Write(f, string(readFile(t, p, f))+"# $Id$\n")
			}
			for _, f := range trackedUnder(p, "priv", ".json") {
				data := string(readFile(t, p, f))
				p.Write(f, strings.Replace(data, "{", `{"id": "$Id$",`, 1))
			}
			p.Git("add", "-u", "--", "priv")
			p.Git("add", ".gitattributes")
			p.Git("commit", "-q", "-m", "ident")
		}, func(t *testing.T, p *regentest.Project) {
			for _, f := range trackedUnder(p, "priv", ".exs") {
				if !bytes.Contains(readFile(t, p, f), []byte("$Id: ")) {
					t.Fatalf("setup: %s has no expanded $Id$", f)
				}
			}
		}},
		{"filter driver", func(t *testing.T, p *regentest.Project) {
			// A reversible clean/smudge pair: the index holds rot13, the
			// work tree the real JSON.
			p.Git("config", "filter.rot13.clean", "tr A-Za-z N-ZA-Mn-za-m")
			p.Git("config", "filter.rot13.smudge", "tr A-Za-z N-ZA-Mn-za-m")
			p.Git("config", "filter.rot13.required", "true")
			p.Write(".gitattributes", "priv/resource_snapshots/** filter=rot13\n")
			p.Git("add", "--renormalize", "--", "priv")
			p.Git("add", ".gitattributes")
			p.Git("commit", "-q", "-m", "filter")
		}, func(t *testing.T, p *regentest.Project) {
			for _, f := range trackedUnder(p, "priv/resource_snapshots", ".json") {
				blob := p.Git("cat-file", "blob", ":"+f)
				if string(readFile(t, p, f)) == blob || !strings.Contains(string(readFile(t, p, f)), "attributes") {
					t.Fatalf("setup: %s is not smudged", f)
				}
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := feature(t)
			c.setup(t, p)
			if c.name != "core.autocrlf=input" { // input converts on add only
				recheckout(t, p)
			}
			c.check(t, p)
			mustRunOnRepo(t, p, p.Root, nil, filepath.Join(p.Root, ".git"))

			// A tracked snapshot changed on disk goes back to the index's
			// version during the run: the bytes a checkout gives.
			snap := trackedUnder(p, "priv/resource_snapshots/repo/comments", ".json")[0]
			onDisk := readFile(t, p, snap)
			os.Remove(filepath.Join(p.Root, filepath.FromSlash(snap)))
			p.Git("checkout", "--", snap)
			checkedOut := readFile(t, p, snap) // what git checkout writes (LF under autocrlf=input)
			p.Write(snap, string(onDisk)+"\n")
			mustRunOnRepo(t, p, p.Root, nil, filepath.Join(p.Root, ".git"))
			out, code := p.Regen("add_subtitle_and_views", "-m")
			if code != 0 {
				t.Fatalf("run: exit %d\n%s", code, out)
			}
			if got := readFile(t, p, snap); !bytes.Equal(got, checkedOut) {
				t.Fatalf("%s put back as %q, git checkout gives %q", snap, got, checkedOut)
			}
			if st := p.Git("status", "--porcelain", "--", snap); st != "" {
				t.Fatalf("git sees the restored %s as changed: %s", snap, st)
			}
		})
	}
}

func hasCRLF(t *testing.T, p *regentest.Project) {
	t.Helper()
	for _, f := range trackedUnder(p, "priv", "") {
		if !bytes.Contains(readFile(t, p, f), []byte("\r\n")) {
			t.Fatalf("setup: %s has no CRLF", f)
		}
	}
}

// TestReliabilityStagedNotCommitted: a generated migration staged with `git
// add` but not committed makes the run stop before changing anything (files,
// database, the index byte for byte), naming the files and the commands;
// after the suggested unstaging the run regenerates it.
func TestReliabilityStagedNotCommitted(t *testing.T) {
	for _, what := range []string{"migration", "snapshot", "both (git add -A)", "intent to add (git add -N)"} {
		t.Run(what, func(t *testing.T) {
			p := feature(t)
			var staged []string
			for _, f := range p.Untracked("priv") {
				isMig := strings.HasPrefix(f, "priv/repo/migrations/")
				if what == "both (git add -A)" || what == "intent to add (git add -N)" || (what == "migration") == isMig {
					staged = append(staged, f)
				}
			}
			add := []string{"add", "--"}
			if strings.Contains(what, "-N") {
				add = []string{"add", "-N", "--"}
			}
			p.Git(append(add, staged...)...)
			index := readFile(t, p, ".git/index")
			before := p.Capture()

			out, code := p.Regen("status")
			if code != 0 || !strings.Contains(out, "staged, uncommitted") || !strings.Contains(out, staged[0]) {
				t.Fatalf("status does not show the staged files: exit %d\n%s", code, out)
			}
			for _, args := range [][]string{{"add_subtitle_and_views", "-m"}, {"add_subtitle_and_views", "-m", "--dry-run"}} {
				out, code = p.Regen(args...)
				if code != 2 || !strings.Contains(out, "staged (`git add`) but not committed") || !strings.Contains(out, p.Root) ||
					!strings.Contains(out, " restore --staged -- "+strings.Join(staged, " ")) {
					t.Fatalf("%v: exit %d, want 2 with the exact command\n%s", args, code, out)
				}
				mustSame(t, before, p.Capture())
				if !bytes.Equal(readFile(t, p, ".git/index"), index) {
					t.Fatal("the index changed")
				}
			}

			// On an unborn branch (nothing committed yet) the command must
			// work too.
			if what == "migration" {
				unborn := regentest.NewProject(t)
				unborn.Git("update-ref", "-d", "HEAD")
				out, code := unborn.Regen("add_x", "-m")
				want := "git -C " + unborn.Root + " rm --cached -q -- "
				if code != 2 || !strings.Contains(out, want) {
					t.Fatalf("unborn branch: exit %d, want 2 with %q\n%s", code, want, out)
				}
				i := strings.Index(out, want)
				line := strings.SplitN(out[i:], "\n", 2)[0]
				args := strings.Fields(strings.TrimPrefix(line, "git "))
				for i := range args {
					args[i] = strings.Trim(args[i], "'") // shell-quoted, without spaces inside
				}
				unborn.Git(args...)
				if st := unborn.Git("status", "--porcelain", "--", "priv"); strings.Contains(st, "A ") {
					t.Fatalf("the suggested command left files staged:\n%s", st)
				}
			}

			// The suggested command, then the run regenerates.
			p.Git(append([]string{"-C", p.Root, "restore", "--staged", "--"}, staged...)...)
			out, code = p.Regen("add_subtitle_and_views", "-m")
			if code != 0 {
				t.Fatalf("after unstaging: exit %d\n%s", code, out)
			}
			var subtitle int
			for _, m := range p.Migrations() {
				if strings.Contains(m, "add_subtitle") {
					subtitle++
				}
			}
			if subtitle != 1 {
				t.Fatalf("want exactly one regenerated migration, have %v", p.Migrations())
			}
		})
	}
}
