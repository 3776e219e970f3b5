package gitops

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const migs = "priv/repo/migrations"

func TestOpenFromTopAndSubfolder(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(migs+"/20240101000000_a.exs", "a")
	for _, from := range []string{tr.dir, tr.abs(migs), tr.abs("priv")} {
		r, err := Open(from)
		if err != nil {
			t.Fatalf("Open(%s): %v", from, err)
		}
		if r.Root != tr.dir || r.GitDir != filepath.Join(tr.dir, ".git") || r.CommonDir != r.GitDir {
			t.Errorf("Open(%s) = root %s gitdir %s common %s", from, r.Root, r.GitDir, r.CommonDir)
		}
		if name, reason := r.Backend(); name != "go-git" || reason != "" {
			t.Errorf("Backend = %q, %q", name, reason)
		}
	}
	// A symlinked path to the work tree opens the real one.
	link := filepath.Join(realTemp(t), "link")
	if err := os.Symlink(tr.dir, link); err != nil {
		t.Fatal(err)
	}
	if r := must[*Repo](t)(Open(filepath.Join(link, "priv"))); r.Root != tr.dir {
		t.Errorf("via symlink: Root = %s, want %s", r.Root, tr.dir)
	}
}

func TestOpenNotARepository(t *testing.T) {
	isolateGit(t)
	dir := realTemp(t)
	_, err := Open(dir)
	if !errors.Is(err, ErrNotRepository) {
		t.Fatalf("err = %v, want ErrNotRepository", err)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name %s", err, dir)
	}
}

func TestHeadHash(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	r := tr.open()
	if h := must[string](t)(r.HeadHash()); h != "" {
		t.Errorf("unborn HeadHash = %q, want empty", h)
	}
	tr.write("a", "a")
	tr.git("add", "a")
	tr.git("commit", "-qm", "one")
	want := strings.TrimSpace(tr.git("rev-parse", "HEAD"))
	if h := must[string](t)(r.HeadHash()); h != want {
		t.Errorf("HeadHash = %q, want %q", h, want)
	}
}

func TestUntrackedStagedCommitted(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(migs+"/20240101000000_committed.exs", "c")
	tr.write("priv/resource_snapshots/repo/users/20240101000000.json", "{}")
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")
	tr.write(migs+"/20240102000000_staged.exs", "s")
	tr.git("add", migs+"/20240102000000_staged.exs")
	tr.write(migs+"/20240103000000_untracked.exs", "u")
	tr.write(migs+"/20240104000000_with space é.exs", "u")
	tr.write(migs+"/.DS_Store", "x")
	tr.write(migs+"/.20240103000000_untracked.exs.swp", "x")
	tr.write(migs+"/notes.txt", "x")
	// A new snapshot table folder: every file inside is listed.
	tr.write("priv/resource_snapshots/repo/combobulators/20240103000000.json", "{}")
	tr.write("priv/resource_snapshots/repo/combobulators/deep/x.json", "{}")
	r := tr.open()

	folders := []string{migs, "priv/resource_snapshots", "does/not/exist"}
	wantU := []string{
		"priv/repo/migrations/.20240103000000_untracked.exs.swp",
		"priv/repo/migrations/.DS_Store",
		"priv/repo/migrations/20240103000000_untracked.exs",
		"priv/repo/migrations/20240104000000_with space é.exs",
		"priv/repo/migrations/notes.txt",
		"priv/resource_snapshots/repo/combobulators/20240103000000.json",
		"priv/resource_snapshots/repo/combobulators/deep/x.json",
	}
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked(folders)), wantU)
	wantT := []string{
		"priv/repo/migrations/20240101000000_committed.exs",
		"priv/repo/migrations/20240102000000_staged.exs",
		"priv/resource_snapshots/repo/users/20240101000000.json",
	}
	assertPaths(t, "Tracked", must[[]string](t)(r.Tracked(folders)), wantT)
	checkAgainstGit(t, r, tr, folders...)

	if got := must[[]string](t)(r.Untracked([]string{"nope"})); len(got) != 0 {
		t.Errorf("missing folder: %q", got)
	}
	// Overlapping folders do not duplicate entries.
	assertPaths(t, "overlap", must[[]string](t)(r.Untracked([]string{migs, "priv/repo", migs + "/"})), wantU[:5])
	if _, err := r.Untracked([]string{"../outside"}); err == nil {
		t.Error("a folder outside the work tree was accepted")
	}
}

func TestUntrackedIndexReloads(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(migs+"/1.exs", "1")
	r := tr.open()
	assertPaths(t, "before add", must[[]string](t)(r.Untracked([]string{migs})), []string{migs + "/1.exs"})
	tr.git("add", ".")
	assertPaths(t, "after add", must[[]string](t)(r.Untracked([]string{migs})), nil)
	assertPaths(t, "tracked after add", must[[]string](t)(r.Tracked([]string{migs})), []string{migs + "/1.exs"})
}

func TestSymlinksAreNotFollowed(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	outside := realTemp(t)
	if err := os.WriteFile(filepath.Join(outside, "secret.exs"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr.write(migs+"/20240101000000_a.exs", "a")
	tr.symlink(outside, migs+"/outside_dir")
	tr.symlink(filepath.Join(outside, "secret.exs"), migs+"/20240102000000_link.exs")
	tr.symlink("../../../nowhere", migs+"/dangling")
	tr.write("real/sub/f", "f")
	tr.symlink("real", "linked")
	r := tr.open()
	want := []string{
		migs + "/20240101000000_a.exs",
		migs + "/20240102000000_link.exs",
		migs + "/dangling",
		migs + "/outside_dir",
	}
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{migs})), want)
	// A folder given through a symlinked ancestor is not looked into; a
	// symlink given as the folder is listed as itself.
	assertPaths(t, "through symlink", must[[]string](t)(r.Untracked([]string{"linked/sub"})), nil)
	assertPaths(t, "symlink folder", must[[]string](t)(r.Untracked([]string{"linked"})), []string{"linked"})
	checkAgainstGit(t, r, tr, migs)
	checkAgainstGit(t, r, tr, "linked/sub")
	checkAgainstGit(t, r, tr, "linked")
	checkAgainstGit(t, r, tr, "")
}

func TestNestedRepository(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(migs+"/20240101000000_a.exs", "a")
	tr.write(migs+"/vendored/inner.exs", "x")
	runGit(t, tr.abs(migs+"/vendored"), "init", "-q")
	tr.write("ign/nested/f", "x")
	runGit(t, tr.abs("ign/nested"), "init", "-q")
	tr.write(".gitignore", "ign/\n")
	r := tr.open()
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{migs})),
		[]string{migs + "/20240101000000_a.exs", migs + "/vendored/"})
	assertPaths(t, "inside nested", must[[]string](t)(r.Untracked([]string{migs + "/vendored"})), []string{migs + "/vendored/"})
	assertPaths(t, "below nested", must[[]string](t)(r.Untracked([]string{migs + "/vendored/x"})), nil)
	checkAgainstGit(t, r, tr, migs)
	checkAgainstGit(t, r, tr, migs+"/vendored")
	checkAgainstGit(t, r, tr, "")
}

func TestTrackedSubmoduleIsNotUntracked(t *testing.T) {
	isolateGit(t)
	sub := newRepo(t)
	sub.write("x", "x")
	sub.git("add", ".")
	sub.git("commit", "-qm", "s")
	tr := newRepo(t)
	tr.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.dir, "deps/sub")
	tr.write("deps/sub/new", "n")
	r := tr.open()
	assertPaths(t, "Tracked", must[[]string](t)(r.Tracked([]string{"deps"})), []string{"deps/sub"})
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{"deps"})), nil)
	checkAgainstGit(t, r, tr, "deps")
	checkAgainstGit(t, r, tr, "")
}
