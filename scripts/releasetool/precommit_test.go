package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

var (
	hookRepoOnce sync.Once
	hookRepo     string // a git repository of this checkout's files, one commit
	hookRev      string
	preCommitDir string // PRE_COMMIT_HOME shared by the tests of this process
	hookRepoErr  error
)

// preCommit skips without the framework, except under CI=true (.ci/run
// installs it), and returns a repository holding this checkout's current
// files as one commit, for pre-commit to clone and build with `go install`.
func preCommit(t *testing.T) (repo, rev, home string) {
	t.Helper()
	if _, err := exec.LookPath("pre-commit"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pre-commit is not installed (CI=true: .ci/run installs Debian's pre-commit)")
		}
		t.Skip("pre-commit is not installed (apt-get install pre-commit); the pre-commit framework entry is untested here")
	}
	hookRepoOnce.Do(func() {
		preCommitDir, hookRepoErr = os.MkdirTemp("", "regen-precommit-home-")
		if hookRepoErr != nil {
			return
		}
		hookRepo = filepath.Join(preCommitDir, "regen-src")
		hookRev, hookRepoErr = snapshotCheckout(hookRepo)
	})
	if hookRepoErr != nil {
		t.Fatal(hookRepoErr)
	}
	return hookRepo, hookRev, filepath.Join(preCommitDir, "cache")
}

// snapshotCheckout copies the files git would commit (tracked and
// untracked, not ignored) into a new repository and commits them.
func snapshotCheckout(dst string) (string, error) {
	root := regentest.ModuleRoot()
	list, err := exec.Command("git", "-C", root, "ls-files", "-co", "--exclude-standard", "-z").Output()
	if err != nil {
		return "", err
	}
	for _, rel := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			return "", err
		}
		fi, _ := os.Stat(filepath.Join(root, rel))
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dst, rel), data, fi.Mode().Perm()); err != nil {
			return "", err
		}
	}
	env := append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dst, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "snapshot"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dst, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", &exec.ExitError{Stderr: out}
		}
	}
	cmd := exec.Command("git", "rev-parse", "HEAD")
	cmd.Dir = dst
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

func runPreCommit(t *testing.T, p *regentest.Project, home string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("pre-commit", args...)
	cmd.Dir = p.Root
	cmd.Env = append(append(append(os.Environ(), p.GitEnv()...), "PRE_COMMIT_HOME="+home, "REGEN_MIX="+regentest.Mixsim(t), "NO_COLOR=1", "PRE_COMMIT_COLOR=never"), p.Env...)
	// pre-commit's golang environment is a fresh GOPATH; the module cache
	// this test process already has spares it the downloads (the build is
	// the same `go install`, and the build cache is shared anyway).
	if mc, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil && len(strings.TrimSpace(string(mc))) > 0 {
		cmd.Env = append(cmd.Env, "GOMODCACHE="+strings.TrimSpace(string(mc)), "GOFLAGS=-modcacherw")
	}
	out, err := cmd.CombinedOutput()
	return string(out), exitCode(err)
}

// stageNewMigration changes a resource and stages it without regenerating:
// the codegen check (auto under --staged) runs and finds the drift.
func stageDrift(p *regentest.Project) {
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true", "attribute :views, :integer, public?: true"}, nil))
	p.Git("add", "lib/blog/post.ex")
}

// `pre-commit try-repo` builds .pre-commit-hooks.yaml's regen-check (language
// golang: go install in a fresh GOPATH) and runs it on a test project: a
// clean project passes; a staged resource change without its migration
// fails with the codegen check's finding.
func TestPreCommitTryRepo(t *testing.T) {
	repo, rev, home := preCommit(t)
	p := regentest.NewProject(t)
	out, code := runPreCommit(t, p, home, "try-repo", repo, "regen-check", "--ref", rev)
	if code != 0 || !strings.Contains(out, "Passed") {
		t.Fatalf("a clean project: exit %d:\n%s", code, out)
	}
	stageDrift(p)
	out, code = runPreCommit(t, p, home, "try-repo", repo, "regen-check", "--ref", rev)
	if code != 1 || !strings.Contains(out, "Failed") || !strings.Contains(out, "codegen") {
		t.Fatalf("staged drift: exit %d, want 1 with the codegen finding:\n%s", code, out)
	}
}

// README Install: the pre-commit block as the project's
// .pre-commit-config.yaml, with only repo and rev pointed at this checkout.
func TestREADMEInstallPreCommit(t *testing.T) {
	repo, rev, home := preCommit(t)
	b := block(t, "repos:")
	b = replaceOnce(t, b, "https://github.com/regen-tool/regen", repo)
	b = regexp.MustCompile(`rev: v\S+`).ReplaceAllString(b, "rev: "+rev)
	p := regentest.NewProject(t)
	p.Write(".pre-commit-config.yaml", b)
	p.Git("add", ".pre-commit-config.yaml")
	out, code := runPreCommit(t, p, home, "run")
	if code != 0 || !strings.Contains(out, "Passed") {
		t.Fatalf("a clean project: exit %d:\n%s", code, out)
	}
	stageDrift(p)
	out, code = runPreCommit(t, p, home, "run")
	if code != 1 || !strings.Contains(out, "Failed") {
		t.Fatalf("staged drift: exit %d, want 1:\n%s", code, out)
	}
}
