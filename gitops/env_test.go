package gitops

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Open must describe the repository, work tree and index git uses from the
// same folder with the same environment, whatever locates them.
func TestOpenFollowsGitEnvironment(t *testing.T) {
	isolateGit(t)
	outer := newRepo(t) // the repository discovery alone would find
	outer.write("README", "outer\n")
	outer.git("add", "README")
	outer.git("commit", "-q", "-m", "outer")
	inner := filepath.Join(outer.dir, "proj")
	store := realTemp(t)
	gitDir := filepath.Join(store, "proj.git")
	runGit(t, store, "init", "-q", "--bare", gitDir)
	runGit(t, store, "--git-dir", gitDir, "config", "core.bare", "false")
	ok(t, os.MkdirAll(filepath.Join(inner, "lib"), 0o755))
	ok(t, os.WriteFile(filepath.Join(inner, "lib", "a.ex"), []byte("a\n"), 0o644))

	relGitDir, err := filepath.Rel(filepath.Join(inner, "lib"), gitDir)
	ok(t, err)
	cases := []struct {
		name string
		dir  string
		env  map[string]string
	}{
		{"GIT_DIR+GIT_WORK_TREE", inner, map[string]string{"GIT_DIR": gitDir, "GIT_WORK_TREE": inner}},
		{"relative GIT_DIR and GIT_WORK_TREE from a subfolder", filepath.Join(inner, "lib"), map[string]string{"GIT_DIR": relGitDir, "GIT_WORK_TREE": ".."}},
		{"GIT_DIR alone: the current folder is the top", inner, map[string]string{"GIT_DIR": gitDir}},
		{"GIT_INDEX_FILE relative: from the top", filepath.Join(inner, "lib"), map[string]string{"GIT_DIR": gitDir, "GIT_WORK_TREE": inner, "GIT_INDEX_FILE": "other-index"}},
		{"GIT_INDEX_FILE alone, relative, from a subfolder", filepath.Join(outer.dir, "sub"), map[string]string{"GIT_INDEX_FILE": "alt-index"}},
		{"GIT_INDEX_FILE alone, absolute", outer.dir, map[string]string{"GIT_INDEX_FILE": filepath.Join(store, "idx")}},
		{"GIT_CEILING_DIRECTORIES above", filepath.Join(outer.dir, "sub"), map[string]string{"GIT_CEILING_DIRECTORIES": filepath.Dir(outer.dir)}},
		{"GIT_DISCOVERY_ACROSS_FILESYSTEM", outer.dir, map[string]string{"GIT_DISCOVERY_ACROSS_FILESYSTEM": "1"}},
	}
	ok(t, os.MkdirAll(filepath.Join(outer.dir, "sub"), 0o755))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			chdir(t, c.dir)
			repo, err := Open(c.dir)
			ok(t, err)
			want := strings.Fields(runGit(t, c.dir, "rev-parse", "--path-format=absolute", "--show-toplevel", "--absolute-git-dir", "--git-common-dir", "--git-path", "index"))
			got := []string{repo.Root, repo.GitDir, repo.CommonDir, repo.indexPath}
			for i := range want {
				if filepath.Clean(want[i]) != got[i] {
					t.Fatalf("Open = %v, git says %v", got, want)
				}
			}
			if repo.FromEnv() == "" {
				t.Fatal("FromEnv does not say the environment located the repository")
			}
			// Children get the same repository, absolutely.
			for _, kv := range repo.ChildEnv() {
				k, v, _ := strings.Cut(kv, "=")
				if !filepath.IsAbs(v) {
					t.Fatalf("ChildEnv %s=%s is not absolute", k, v)
				}
			}
			for _, kv := range repo.cliEnv() {
				if strings.HasPrefix(kv, "GIT_CEILING_DIRECTORIES=") || strings.HasPrefix(kv, "GIT_DISCOVERY_ACROSS_FILESYSTEM=") {
					t.Fatalf("git children inherit %s", kv)
				}
			}
		})
	}

	t.Run("a ceiling below the repository: none, as for git", func(t *testing.T) {
		t.Setenv("GIT_CEILING_DIRECTORIES", outer.dir)
		_, err := Open(filepath.Join(outer.dir, "sub"))
		if !errors.Is(err, ErrNotRepository) {
			t.Fatalf("Open = %v, want ErrNotRepository", err)
		}
	})
	t.Run("outside the work tree GIT_WORK_TREE names", func(t *testing.T) {
		t.Setenv("GIT_DIR", gitDir)
		t.Setenv("GIT_WORK_TREE", inner)
		_, err := Open(outer.dir)
		if !errors.Is(err, ErrOutsideWorkTree) {
			t.Fatalf("Open = %v, want ErrOutsideWorkTree", err)
		}
	})
	t.Run("object directory elsewhere: the git CLI answers", func(t *testing.T) {
		objects := filepath.Join(store, "objects-elsewhere")
		ok(t, os.MkdirAll(filepath.Join(objects, "pack"), 0o755))
		t.Setenv("GIT_DIR", gitDir)
		t.Setenv("GIT_WORK_TREE", inner)
		t.Setenv("GIT_OBJECT_DIRECTORY", objects)
		repo, err := Open(inner)
		ok(t, err)
		if name, reason := repo.Backend(); name != backendCLI || !strings.Contains(reason, "GIT_OBJECT_DIRECTORY") {
			t.Fatalf("backend %s (%s), want the git CLI because of GIT_OBJECT_DIRECTORY", name, reason)
		}
		if !strings.Contains(strings.Join(repo.cliEnv(), "\n"), "GIT_OBJECT_DIRECTORY="+objects) {
			t.Fatal("git children do not get the object directory")
		}
	})
}

// chdir changes the working directory for the test (git's answer for
// relative variables depends on it).
func chdir(t *testing.T, dir string) {
	t.Helper()
	old, err := os.Getwd()
	ok(t, err)
	ok(t, os.Chdir(dir))
	t.Cleanup(func() { os.Chdir(old) })
}

// OpenNested ignores the outer repository's variables, as git does in a
// submodule; CLI-only variables and history rewrites send Open to the CLI.
func TestOpenNestedAndCLIOnly(t *testing.T) {
	isolateGit(t)
	outer := newRepo(t)
	outer.write("a", "a\n")
	outer.git("add", "a")
	outer.git("commit", "-q", "-m", "a")
	inner := filepath.Join(outer.dir, "sub")
	ok(t, os.MkdirAll(inner, 0o755))
	runGit(t, inner, "init", "-q")

	t.Setenv("GIT_DIR", outer.abs(".git"))
	t.Setenv("GIT_WORK_TREE", outer.dir)
	t.Setenv("GIT_INDEX_FILE", outer.abs(".git/index"))
	repo, err := Open(inner)
	ok(t, err)
	if repo.Root != outer.dir {
		t.Fatalf("Open with the outer repository's variables: %s, want %s (what git uses)", repo.Root, outer.dir)
	}
	nested, err := OpenNested(inner)
	ok(t, err)
	if nested.Root != inner || nested.GitDir != filepath.Join(inner, ".git") || nested.indexPath != filepath.Join(inner, ".git", "index") {
		t.Fatalf("OpenNested = %s %s %s", nested.Root, nested.GitDir, nested.indexPath)
	}
	if len(nested.ChildEnv()) != 0 || strings.Join(nested.ChildUnset(), " ") != "GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE" {
		t.Fatalf("nested children: set %v, unset %v", nested.ChildEnv(), nested.ChildUnset())
	}
	for _, kv := range nested.cliEnv() {
		if strings.HasPrefix(kv, "GIT_DIR=") && kv != "GIT_DIR="+nested.GitDir {
			t.Fatalf("nested git children get %s", kv)
		}
	}
	os.Unsetenv("GIT_DIR")
	os.Unsetenv("GIT_WORK_TREE")
	os.Unsetenv("GIT_INDEX_FILE")

	t.Run("GIT_SHALLOW_FILE alone", func(t *testing.T) {
		t.Setenv("GIT_SHALLOW_FILE", outer.abs(".git/other-shallow"))
		repo, err := Open(outer.dir)
		ok(t, err)
		if name, reason := repo.Backend(); name != backendCLI || !strings.Contains(reason, "GIT_SHALLOW_FILE") {
			t.Fatalf("backend %s (%s)", name, reason)
		}
	})
	t.Run("replace refs", func(t *testing.T) {
		runGit(t, outer.dir, "commit", "-q", "--allow-empty", "-m", "b")
		head := strings.TrimSpace(runGit(t, outer.dir, "rev-parse", "HEAD"))
		runGit(t, outer.dir, "replace", "--graft", head)
		repo, err := Open(outer.dir)
		ok(t, err)
		if name, reason := repo.Backend(); name != backendCLI || !strings.Contains(reason, "replace") {
			t.Fatalf("backend %s (%s)", name, reason)
		}
		t.Setenv("GIT_NO_REPLACE_OBJECTS", "1")
		repo, err = Open(outer.dir)
		ok(t, err)
		if name, _ := repo.Backend(); name != backendGoGit {
			t.Fatalf("with GIT_NO_REPLACE_OBJECTS: backend %s", name)
		}
	})
}
