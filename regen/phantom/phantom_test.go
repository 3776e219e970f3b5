package phantom

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repo is a real git repository in a temp folder.
type repo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	r := &repo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	r.write("README", "x\n")
	r.git("add", ".")
	r.git("commit", "-q", "-m", "init")
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *repo) write(rel, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

const mig = "priv/repo/migrations"

func (r *repo) resolve(versions ...string) []Found {
	r.t.Helper()
	got, err := Resolve(context.Background(), Request{GitDir: filepath.Join(r.dir, ".git"), WorkTree: r.dir, MigrationsDir: mig, Versions: versions})
	if err != nil {
		r.t.Fatal(err)
	}
	if len(got) != len(versions) {
		r.t.Fatalf("Resolve gave %d answers for %d versions", len(got), len(versions))
	}
	return got
}

func wantGit(t *testing.T, f Found, ref, commit, file, content string) {
	t.Helper()
	if f.Where.Source != SourceGit || f.Where.Ref != ref || f.Where.Commit != commit || f.FileName != file || string(f.Content) != content {
		t.Fatalf("version %s: got %+v (%q) in %q, want %s @ %s, %s %q", f.Version, f.Where, f.Content, f.FileName, ref, commit, file, content)
	}
	if want := ref + " @ " + commit[:7]; f.Where.String() != want {
		t.Fatalf("Location.String() = %q, want %q", f.Where.String(), want)
	}
}

func TestResolveBranchTagStashReflog(t *testing.T) {
	r := newRepo(t)
	// A feature branch with one migration, edited in a second commit: the
	// newest content is the one found.
	r.git("checkout", "-q", "-b", "feature")
	r.write(mig+"/20240101000001_add_a.exs", "a1\n")
	r.git("add", ".")
	r.git("commit", "-q", "-m", "a")
	r.write(mig+"/20240101000001_add_a.exs", "a2\n")
	r.git("commit", "-q", "-am", "a2")
	featureTip := r.git("rev-parse", "HEAD")
	// A tag on an otherwise unreachable commit.
	r.git("checkout", "-q", "-b", "tmp", "main")
	r.write(mig+"/20240101000002_add_b.exs", "b\n")
	r.git("add", ".")
	r.git("commit", "-q", "-m", "b")
	tagged := r.git("rev-parse", "HEAD")
	r.git("tag", "-a", "-m", "v1", "v1")
	// A commit only the reflog has (its branch deleted).
	r.git("checkout", "-q", "-b", "gone", "main")
	r.write(mig+"/20240101000003_add_c.exs", "c\n")
	r.git("add", ".")
	r.git("commit", "-q", "-m", "c")
	gone := r.git("rev-parse", "HEAD")
	r.git("checkout", "-q", "main")
	r.git("branch", "-q", "-D", "tmp", "gone")
	// The stash: a staged file (older stash) and an untracked one (-u).
	r.write(mig+"/20240101000004_add_d.exs", "d\n")
	r.git("add", ".")
	r.git("stash", "-q")
	olderStash := r.git("rev-parse", "stash@{0}")
	r.write(mig+"/20240101000005_add_e.exs", "e\n")
	r.git("stash", "-q", "-u")
	untracked := r.git("rev-parse", "stash@{0}^3")
	// A symlink named like a migration is never a migration's file.
	r.git("checkout", "-q", "-b", "links")
	if err := os.MkdirAll(filepath.Join(r.dir, mig), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(r.dir, mig, "20240101000006_link.exs")); err != nil {
		t.Fatal(err)
	}
	r.git("add", ".")
	r.git("commit", "-q", "-m", "link")
	r.git("checkout", "-q", "main")

	got := r.resolve("20240101000005", "20240101000001", "20240101000002", "20240101000003", "20240101000004", "20240101000006", "20240101000007")
	wantGit(t, got[0], "branch feature", featureTip, "20240101000001_add_a.exs", "a2\n")
	wantGit(t, got[1], "tag v1", tagged, "20240101000002_add_b.exs", "b\n")
	wantGit(t, got[2], "reflog", gone, "20240101000003_add_c.exs", "c\n")
	if got[3].Where.Source != SourceGit || got[3].Where.Ref != "stash" || string(got[3].Content) != "d\n" {
		t.Fatalf("older stash: %+v %q", got[3].Where, got[3].Content)
	}
	if c := got[3].Where.Commit; c != olderStash && r.git("rev-parse", olderStash+"^2") != c {
		t.Fatalf("older stash found at %s, want %s or its index commit", c, olderStash)
	}
	wantGit(t, got[4], "stash", untracked, "20240101000005_add_e.exs", "e\n")
	for _, f := range got[5:] {
		if f.Where.Source != SourceNowhere || f.Content != nil || f.Where.String() != "nowhere: cannot be rolled back" {
			t.Fatalf("version %s: %+v, want nowhere", f.Version, f.Where)
		}
	}
	// Asked again with nothing changed: the same answers, from the index.
	again := r.resolve("20240101000001")
	wantGit(t, again[0], "branch feature", featureTip, "20240101000001_add_a.exs", "a2\n")
}

func TestResolveIndexFollowsNewCommitsAndLostRefs(t *testing.T) {
	r := newRepo(t)
	r.git("checkout", "-q", "-b", "feature")
	r.write(mig+"/20240101000001_add_a.exs", "a\n")
	r.git("add", ".")
	r.git("commit", "-q", "-m", "a")
	first := r.git("rev-parse", "HEAD")
	r.git("checkout", "-q", "main")
	wantGit(t, r.resolve("20240101000001")[0], "branch feature", first, "20240101000001_add_a.exs", "a\n")
	if _, err := os.Lstat(historyPath(filepath.Join(r.dir, ".git"), mig)); err != nil {
		t.Fatalf("no history index written: %v", err)
	}

	// New commits after the index was built: found incrementally.
	r.git("checkout", "-q", "-b", "other")
	r.write(mig+"/20240101000002_add_b.exs", "b\n")
	r.git("add", ".")
	r.git("commit", "-q", "-m", "b")
	second := r.git("rev-parse", "HEAD")
	r.git("checkout", "-q", "main")
	got := r.resolve("20240101000001", "20240101000002")
	wantGit(t, got[0], "branch feature", first, "20240101000001_add_a.exs", "a\n")
	wantGit(t, got[1], "branch other", second, "20240101000002_add_b.exs", "b\n")

	// The branch deleted: its commit is still in the reflog, and the index
	// no longer calls it "branch feature".
	r.git("branch", "-q", "-D", "feature")
	wantGit(t, r.resolve("20240101000001")[0], "reflog", first, "20240101000001_add_a.exs", "a\n")
}

func TestRememberAndAppliedContent(t *testing.T) {
	r := newRepo(t)
	gitDir := filepath.Join(r.dir, ".git")
	v := "20240101000009"
	if _, _, ok, err := AppliedContent(gitDir, mig, v); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	// Never committed, never seen: nowhere.
	if f := r.resolve(v)[0]; f.Where.Source != SourceNowhere {
		t.Fatalf("unseen phantom: %+v", f.Where)
	}
	files := []AppliedFile{{Version: v, FileName: v + "_x.exs", Content: []byte("up\n"), AppliedAt: "2024-01-01 00:00:00"}}
	if err := Remember(gitDir, mig, files); err != nil {
		t.Fatal(err)
	}
	f := r.resolve(v)[0]
	if f.Where.Source != SourceStore || f.FileName != v+"_x.exs" || string(f.Content) != "up\n" || f.Where.String() != "regen's store" {
		t.Fatalf("remembered phantom: %+v %q %q", f.Where, f.FileName, f.Content)
	}
	// An edit after the application is not remembered over the applied content.
	edited := []AppliedFile{{Version: v, FileName: v + "_x.exs", Content: []byte("edited\n"), AppliedAt: "2024-01-01 00:00:00"}}
	if err := Remember(gitDir, mig, edited); err != nil {
		t.Fatal(err)
	}
	if _, c, ok, err := AppliedContent(gitDir, mig, v); !ok || err != nil || string(c) != "up\n" {
		t.Fatalf("after an edit: %q ok=%v err=%v, want the applied content", c, ok, err)
	}
	// Applied again (another inserted_at): the new content is what ran.
	edited[0].AppliedAt = "2024-02-01 00:00:00"
	if err := Remember(gitDir, mig, edited); err != nil {
		t.Fatal(err)
	}
	if _, c, ok, _ := AppliedContent(gitDir, mig, v); !ok || string(c) != "edited\n" {
		t.Fatalf("after re-applying: %q", c)
	}
	recs, err := AppliedRecords(gitDir, mig)
	if err != nil || recs[v].SHA256 != sha256Hex([]byte("edited\n")) || recs[v].AppliedAt != "2024-02-01 00:00:00" {
		t.Fatalf("AppliedRecords = %v, %v", recs, err)
	}
	// Forgotten (rolled back): the next application is remembered afresh.
	if err := Forget(gitDir, mig, []string{v}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := AppliedContent(gitDir, mig, v); ok {
		t.Fatal("a forgotten version is still remembered")
	}
	// A blob whose bytes were damaged is not served.
	if err := Remember(gitDir, mig, files); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blobPath(gitDir, sha256Hex([]byte("up\n"))), []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := AppliedContent(gitDir, mig, v); ok {
		t.Fatal("a damaged blob was served")
	}
}

func TestStoreNeverWritesThroughASymlink(t *testing.T) {
	r := newRepo(t)
	gitDir := filepath.Join(r.dir, ".git")
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(gitDir, "regen"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(gitDir, "regen", "store")); err != nil {
		t.Fatal(err)
	}
	err := Remember(gitDir, mig, []AppliedFile{{Version: "1", FileName: "1_x.exs", Content: []byte("x")}})
	if err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("Remember through a symlink: %v", err)
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 0 {
		t.Fatalf("written outside: %v", entries)
	}
}

func TestRequestChecks(t *testing.T) {
	for _, dir := range []string{"", "/abs", "../up", `a\b`} {
		if _, err := Resolve(context.Background(), Request{MigrationsDir: dir, Versions: []string{"1"}}); err == nil {
			t.Errorf("migrations dir %q accepted", dir)
		}
	}
	if _, err := Resolve(context.Background(), Request{MigrationsDir: mig, Versions: []string{"x1"}}); err == nil {
		t.Error("a non-numeric version accepted")
	}
	var s Source
	for _, want := range []Source{SourceGit, SourceStore, SourceNowhere} {
		b, err := want.MarshalText()
		if err != nil || s.UnmarshalText(b) != nil || s != want {
			t.Errorf("source %v round trip: %s %v", want, b, err)
		}
	}
	if !bytes.Equal([]byte(SourceGit.String()), []byte("git")) {
		t.Error(SourceGit.String())
	}
}

// A branch rewritten (amend: its ref moves to a commit that does not
// descend from the old tip) is indexed anew: the new content is found on
// the branch; a commit only a detached HEAD has is named "HEAD".
func TestResolveRewrittenBranchAndDetachedHead(t *testing.T) {
	r := newRepo(t)
	r.git("checkout", "-q", "-b", "feature")
	r.write(mig+"/20240101000001_add_a.exs", "a\n")
	r.git("add", ".")
	r.git("commit", "-q", "-m", "a")
	r.git("checkout", "-q", "main")
	r.resolve("20240101000001") // indexed
	r.git("checkout", "-q", "feature")
	r.write(mig+"/20240101000001_add_a.exs", "amended\n")
	r.git("commit", "-q", "-a", "--amend", "-m", "a'")
	amended := r.git("rev-parse", "HEAD")
	r.git("checkout", "-q", "main")
	wantGit(t, r.resolve("20240101000001")[0], "branch feature", amended, "20240101000001_add_a.exs", "amended\n")

	r.git("checkout", "-q", "--detach", "main")
	r.write(mig+"/20240101000002_add_b.exs", "b\n")
	r.git("add", ".")
	r.git("commit", "-q", "-m", "b")
	detached := r.git("rev-parse", "HEAD")
	r.write("README", "y\n")
	wantGit(t, r.resolve("20240101000002")[0], "HEAD", detached, "20240101000002_add_b.exs", "b\n")
}
