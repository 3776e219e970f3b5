package gitops

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// sameAsGoGit checks decodeIndex against go-git's own index decoder.
func sameAsGoGit(t *testing.T, tr *testRepo, minEntries int) {
	t.Helper()
	data, err := os.ReadFile(tr.abs(".git/index"))
	ok(t, err)
	var want index.Index
	ok(t, index.NewDecoder(bytes.NewReader(data)).Decode(&want))
	got, err := decodeIndex(data)
	ok(t, err)
	if len(got) != len(want.Entries) || len(got) < minEntries {
		t.Fatalf("decodeIndex: %d entries, go-git: %d (want at least %d)", len(got), len(want.Entries), minEntries)
	}
	for i := range got {
		g, w := *got[i], *want.Entries[i]
		if g.Name != w.Name || g.Hash != w.Hash || g.Mode != w.Mode || g.Stage != w.Stage ||
			g.Size != w.Size || g.Inode != w.Inode || g.Dev != w.Dev || g.UID != w.UID || g.GID != w.GID ||
			!g.ModifiedAt.Equal(w.ModifiedAt) || !g.CreatedAt.Equal(w.CreatedAt) ||
			g.IntentToAdd != w.IntentToAdd || g.SkipWorktree != w.SkipWorktree {
			t.Fatalf("entry %d differs:\n got  %+v\n want %+v", i, g, w)
		}
	}
}

func TestDecodeIndexMatchesGoGit(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	long := strings.Repeat("long name ", 450) // > 0xfff bytes: NUL-terminated in v2/v3
	tr.write("dir/"+long[:200]+"/"+long[:250], "x")
	// Too long for the file system: recorded in the index only.
	blob := strings.TrimSpace(tr.git("hash-object", "-w", "--stdin"))
	tr.git("update-index", "--add", "--cacheinfo", "100644,"+blob+",deep/"+strings.ReplaceAll(strings.TrimSpace(long), " ", "/"))
	for i := 0; i < 300; i++ {
		tr.write(migs+"/"+strings.Repeat("é", i%7)+"f"+string(rune('a'+i%26))+strings.Repeat("x", i%150)+".exs", "m")
	}
	tr.symlink("target", "link")
	tr.write("exec.sh", "#!/bin/sh\n")
	ok(t, os.Chmod(tr.abs("exec.sh"), 0o755))
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")
	t.Run("v2", func(t *testing.T) { sameAsGoGit(t, tr, 300) })

	tr.write("ita.exs", "intent")
	tr.git("add", "-N", "ita.exs")
	tr.git("update-index", "--skip-worktree", "exec.sh")
	t.Run("v3 extended flags", func(t *testing.T) { sameAsGoGit(t, tr, 300) })

	tr.git("update-index", "--index-version", "4")
	t.Run("v4 prefix compression", func(t *testing.T) { sameAsGoGit(t, tr, 300) })

	// The whole package works on a v4 index too.
	tr.write(migs+"/new.exs", "n")
	r := tr.open()
	if name, _ := r.Backend(); name != "go-git" {
		t.Errorf("v4 index: Backend %s", name)
	}
	checkAgainstGit(t, r, tr, migs)
	checkAgainstGit(t, r, tr, "")
	// (Not the whole tree: git skips the too-long path with an lstat error.)
	tr.write(migs+"/fa.exs", "changed")
	assertChanges(t, "Changed v4", must[[]Change](t)(r.Changed([]string{migs, "ita.exs"})), tr.gitChanges(migs, "ita.exs"))
}

func TestDecodeIndexRejectsDamage(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write("a", "a")
	tr.git("add", "a")
	data, err := os.ReadFile(tr.abs(".git/index"))
	ok(t, err)
	if _, err := decodeIndex(data); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), data...)
	bad[30] ^= 1 // inside the first entry: the checksum no longer matches
	if _, err := decodeIndex(bad); err == nil {
		t.Error("a corrupted index was accepted")
	}
	if _, err := decodeIndex(data[:20]); err == nil {
		t.Error("a truncated index was accepted")
	}
	for _, c := range []struct {
		in  []byte
		val uint64
		n   int
	}{{[]byte{0x05}, 5, 1}, {[]byte{0x80, 0x00}, 128, 2}, {[]byte{0xff, 0x7f}, 16511, 2}, {[]byte{0x80}, 0, 0}} {
		if v, n := decodeVarint(c.in); v != c.val || n != c.n {
			t.Errorf("decodeVarint(%x) = %d, %d; want %d, %d", c.in, v, n, c.val, c.n)
		}
	}
}

func TestFallbackSparseIndex(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write("in/a.exs", "a")
	tr.write("out/deep/b.exs", "b")
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")
	tr.git("sparse-checkout", "set", "--cone", "--sparse-index", "in")
	// Leave only the index extension as the obstacle (git also turned on
	// extensions.worktreeConfig, which would trigger the fallback first).
	tr.git("config", "--unset", "extensions.worktreeConfig")
	data, err := os.ReadFile(tr.abs(".git/index"))
	ok(t, err)
	if !bytes.Contains(data, []byte("sdir")) {
		t.Fatal("git did not write a sparse index")
	}
	tr.write("in/new.exs", "n")
	r := tr.open()
	if name, reason := r.Backend(); name != "git-cli" || !strings.Contains(reason, "sparse") {
		t.Errorf("Backend = %q, %q", name, reason)
	}
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{"in"})), []string{"in/new.exs"})
	checkAgainstGit(t, r, tr, "in")
}
