package gitops

import (
	"os"
	"path/filepath"
	"testing"
)

// HEAD's listing is kept per commit and folder set: read back it gives the
// answer git gives; a damaged file, a new commit or another folder set
// reads the objects again, and the answer still matches git's.
func TestHeadCacheMatchesGit(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	for _, f := range []string{"a.exs", "b.exs", "sub/c.exs"} {
		tr.write(migs+"/"+f, "content of "+f+"\n")
	}
	tr.write("other/x.txt", "x\n")
	tr.git("add", "-A")
	tr.git("commit", "-q", "-m", "one")
	tr.write(migs+"/new.exs", "new\n")
	tr.write(migs+"/a.exs", "edited\n")
	tr.git("add", "-A")
	tr.git("rm", "-q", "--cached", migs+"/b.exs")

	check := func(what string) {
		t.Helper()
		r := tr.open()
		got, err := r.Changed([]string{migs})
		ok(t, err)
		assertChanges(t, what, got, tr.gitChanges(migs))
	}
	check("first (reads the objects)")
	r := tr.open()
	files, _ := filepath.Glob(filepath.Join(r.GitDir, "regen", "head-*"))
	if len(files) != 1 {
		t.Fatalf("cache files: %v", files)
	}
	check("from the cache")
	for _, damage := range []string{"", "garbage", headCacheFormat + " 0000000000000000000000000000000000000000 [\"x\"]\nend\n"} {
		ok(t, os.WriteFile(files[0], []byte(damage), 0o600))
		check("damaged cache " + damage)
	}
	// A damaged entry inside a well-formed file is not trusted either.
	data, err := os.ReadFile(files[0])
	ok(t, err)
	ok(t, os.WriteFile(files[0], append(data[:len(data)-len("end\n")], []byte("100644 zz \"p\"\nend\n")...), 0o600))
	check("a bad entry")

	tr.git("commit", "-q", "-m", "two")
	check("after a commit")
	got, err := tr.open().Changed([]string{migs, "other"})
	ok(t, err)
	assertChanges(t, "another folder set", got, tr.gitChanges(migs, "other"))
}
