package gitops

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// isolateGit keeps the developer's own git config out of the tests: HOME
// and XDG_CONFIG_HOME point at empty temp folders, the system config is off
// and variables that redirect git are unset.
func isolateGit(t testing.TB) (home, xdg string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	home, xdg = realTemp(t), realTemp(t)
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", xdg)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, v := range []string{"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_DIR", "GIT_WORK_TREE",
		"GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	return home, xdg
}

// realTemp is t.TempDir with symlinks resolved, since Open resolves them.
func realTemp(t testing.TB) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type testRepo struct {
	t   testing.TB
	dir string
}

// newRepo creates a repository with the real git CLI.
func newRepo(t testing.TB) *testRepo {
	t.Helper()
	r := &testRepo{t: t, dir: filepath.Join(realTemp(t), "repo")}
	if err := os.Mkdir(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("-c", "init.defaultBranch=main", "init", "-q")
	r.git("config", "user.name", "Test")
	r.git("config", "user.email", "test@example.com")
	r.git("config", "commit.gpgsign", "false")
	return r
}

// git runs git in the repository and returns stdout.
func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	return runGit(r.t, r.dir, args...)
}

func execGit(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	return cmd
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func runGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := execGit(dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// gitZ runs a -z command and returns its sorted entries.
func (r *testRepo) gitZ(args ...string) []string {
	r.t.Helper()
	var out []string
	for _, f := range strings.Split(r.git(args...), "\x00") {
		if f != "" {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// lsFiles asks the git CLI the question the matching Repo method answers.
func (r *testRepo) lsFiles(flags []string, folders ...string) []string {
	r.t.Helper()
	args := append([]string{"--literal-pathspecs", "ls-files", "-z"}, flags...)
	args = append(args, "--")
	for _, f := range folders {
		if f == "" {
			f = "."
		}
		args = append(args, f)
	}
	return r.gitZ(args...)
}

var (
	othersFlags  = []string{"--others", "--exclude-standard"}
	ignoredFlags = []string{"--others", "--ignored", "--exclude-standard"}
)

func (r *testRepo) write(rel, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) symlink(target, rel string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) abs(rel string) string { return filepath.Join(r.dir, filepath.FromSlash(rel)) }

func (r *testRepo) open() *Repo {
	r.t.Helper()
	repo, err := Open(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	return repo
}

// forceCLI switches an opened Repo to the git CLI backend, to compare the
// two backends on the same repository.
func forceCLI(t testing.TB, r *Repo) {
	t.Helper()
	cli, err := newGitCLI(r)
	if err != nil {
		t.Fatal(err)
	}
	r.cli, r.repo, r.reason = cli, nil, "forced by test"
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func assertPaths(t testing.TB, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// untrackedFn etc. adapt methods for table-driven checks.
func checkAgainstGit(t testing.TB, repo *Repo, tr *testRepo, folders ...string) {
	t.Helper()
	assertPaths(t, "Untracked "+strings.Join(folders, ","), must[[]string](t)(repo.Untracked(folders)), tr.lsFiles(othersFlags, folders...))
	assertPaths(t, "Ignored "+strings.Join(folders, ","), must[[]string](t)(repo.Ignored(folders)), tr.lsFiles(ignoredFlags, folders...))
	assertPaths(t, "Tracked "+strings.Join(folders, ","), must[[]string](t)(repo.Tracked(folders)), tr.lsFiles(nil, folders...))
}
