package gitops

import (
	"crypto/sha1"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// StagedNew trusts the index's cache tree only where it vouches for a
// folder: a valid record equal to HEAD's tree of it. Every way the index or
// HEAD can move away from that (a file staged in the folder, an
// intent-to-add entry, a new commit, HEAD moved back with the index left
// as it was, the folder new to HEAD, a damaged listing, an index without a
// cache tree, index v4) reads the entries again, and the answer is git's.
func TestStagedNewCacheTreeShortcut(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	snaps := "priv/resource_snapshots/repo"
	tr.write(migs+"/1_a.exs", "a\n")
	tr.write(migs+"/sub/2_b.exs", "b\n")
	tr.write(snaps+"/t/1.json", "{}\n")
	tr.write("lib/x.ex", "x\n")
	tr.git("add", "-A")
	tr.git("commit", "-qm", "one")
	folders := []string{migs, snaps}

	check := func(what string, wantShortcut bool) {
		t.Helper()
		r := tr.open()
		got, err := r.StagedNew(folders)
		ok(t, err)
		want := tr.gitZ(append([]string{"diff", "--cached", "--no-renames", "--name-only", "--diff-filter=A", "-z", "--"}, folders...)...)
		assertPaths(t, what, got, want)
		snap, err := r.index()
		ok(t, err)
		fs, _ := cleanFolders(folders)
		if short := r.noneStaged(fs, snap); short != wantShortcut {
			t.Fatalf("%s: the cache tree shortcut was %v, want %v", what, short, wantShortcut)
		}
	}
	check("first (no listing kept yet)", true) // StagedNew just kept HEAD's listing, so the second look vouches
	check("committed, untouched", true)

	tr.write("lib/y.ex", "y\n")
	tr.git("add", "lib/y.ex")
	check("a file staged in another folder", true)

	tr.write(migs+"/3_new.exs", "new\n")
	tr.git("add", migs+"/3_new.exs")
	check("a file staged in the folder", false)

	tr.git("commit", "-qm", "two")
	check("a new commit, listed once", true)

	tr.write(migs+"/4_ita.exs", "ita\n")
	tr.git("add", "-N", migs+"/4_ita.exs")
	check("intent to add", false)
	tr.git("rm", "-q", "--cached", migs+"/4_ita.exs")
	tr.git("commit", "-qm", "three", "--allow-empty")
	check("the intent to add dropped", true)

	tr.git("reset", "-q", "--soft", "HEAD~2")
	check("HEAD moved back, the index kept", false)
	tr.git("commit", "-qm", "again")
	check("committed again", true)

	// A damaged listing of trees is not trusted.
	r := tr.open()
	file := r.headCacheFile(folders)
	data, err := os.ReadFile(file)
	ok(t, err)
	ok(t, os.WriteFile(file, []byte(strings.Replace(string(data), "trees ", "trees 0", 1)), 0o600))
	if trees, found := readHeadTrees(file, plumbing.ZeroHash, folders); found {
		t.Fatalf("a damaged trees line read as %v", trees)
	}
	check("damaged listing (read from the objects again)", true)

	// A folder HEAD does not have.
	tr.write("priv/new_folder/1.exs", "n\n")
	tr.git("add", "priv/new_folder/1.exs")
	folders = []string{"priv/new_folder"}
	check("a folder new to the index, first", false)
	check("a folder new to the index", false)

	// An index with no cache tree (read-tree drops it) and index v4.
	folders = []string{migs, snaps}
	tr.git("commit", "-qm", "four")
	dropCacheTree(t, filepath.Join(tr.dir, ".git", "index"))
	check("no cache tree", false)
	tr.git("update-index", "--index-version", "4")
	tr.git("commit", "-qm", "five", "--allow-empty")
	check("index v4 (decoded, no extension kept)", false)
}

// The cache tree reader refuses malformed data instead of misreading it.
func TestCacheTreeOfMalformed(t *testing.T) {
	var h plumbing.Hash
	for i := range h {
		h[i] = byte(i + 1)
	}
	node := func(name, counts string, hash bool) string {
		s := name + "\x00" + counts + "\n"
		if hash {
			s += string(h[:])
		}
		return s
	}
	good := node("", "3 1", true) + node("a", "2 1", true) + node("b", "1 0", true)
	if got, found := cacheTreeOf([]byte(good), "a/b"); !found || got != h {
		t.Fatalf("a/b: %v %v", got, found)
	}
	if _, found := cacheTreeOf([]byte(good), "a/c"); found {
		t.Fatal("a/c has no record")
	}
	invalid := node("", "-1 1", false) + node("a", "-1 1", false) + node("b", "1 0", true)
	if _, found := cacheTreeOf([]byte(invalid), "a"); found {
		t.Fatal("an invalidated record vouched")
	}
	if _, found := cacheTreeOf([]byte(invalid), "a/b"); !found {
		t.Fatal("a valid record below invalidated ones is still valid")
	}
	skip := node("", "5 2", true) + node("x", "-1 1", false) + node("y", "1 0", true) + node("a", "2 0", true)
	if got, found := cacheTreeOf([]byte(skip), "a"); !found || got != h {
		t.Fatalf("a after a skipped subtree: %v %v", got, found)
	}
	if _, found := cacheTreeOf([]byte(good[:len(good)-1]), "a/b"); found {
		t.Fatal("a truncated record vouched")
	}
	for _, bad := range []string{
		"", "\x00", node("", "3", true), node("", "x 0", true), node("", "-2 0", false),
		node("top", "1 0", true),
	} {
		if got, found := cacheTreeOf([]byte(bad), "a"); found {
			t.Fatalf("%q read as %v", bad, got)
		}
	}
}

// dropCacheTree rewrites the index without its TREE extension (as go-git's
// index writer leaves it), with a fresh checksum.
func dropCacheTree(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	ok(t, err)
	buf := append([]byte(nil), data...)
	x, _, err := scanIndex(buf, false)
	ok(t, err)
	if x.tree == nil {
		t.Fatal("the index has no cache tree to drop")
	}
	body := data[:len(data)-sha1.Size]
	start := cap(buf) - cap(x.tree) - 8 // x.tree is buf[start+8:]: its signature and size come first
	if string(body[start:start+4]) != "TREE" || int(binary.BigEndian.Uint32(body[start+4:start+8])) != len(x.tree) {
		t.Fatal("the cache tree is not where its data is")
	}
	out := append(append([]byte(nil), body[:start]...), body[start+8+len(x.tree):]...)
	sum := sha1.Sum(out)
	ok(t, os.WriteFile(path, append(out, sum[:]...), 0o644))
	y, _, err := scanIndex(append([]byte(nil), append(out, sum[:]...)...), false)
	ok(t, err)
	if y.tree != nil {
		t.Fatal("the cache tree is still there")
	}
}
