package gitops

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestScanListingIsReadDir: the folder listing Scan hands over is what
// os.ReadDir gives, up to order (names, types: files, symlinks, subfolders,
// ignored and untracked entries, a `.git` entry), and there is none where
// the walk did not read the folder, so the caller reads it itself.
func TestScanListingIsReadDir(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(".gitignore", "*.swp\n")
	for _, f := range []string{"20240101000000_a.exs", "20240101000001_b.exs", "sub/x.exs", "notes.md"} {
		tr.write(migs+"/"+f, f)
	}
	tr.git("add", "-A")
	tr.git("commit", "-qm", "one")
	tr.write(migs+"/20250101000000_new.exs", "new")
	tr.write(migs+"/.x.swp", "ignored")
	tr.write(migs+"/.git", "not a repository")
	tr.symlink("20240101000000_a.exs", migs+"/20250101000001_link.exs")
	ok(t, os.MkdirAll(tr.abs("snaps"), 0o755))
	ok(t, os.Symlink(tr.abs(migs), tr.abs("linked")))

	for _, backend := range []string{"go-git", "cli"} {
		r := tr.open()
		if backend == "cli" {
			forceCLI(t, r)
		}
		scan, err := r.Scan([]string{migs, "absent", "linked", "snaps"})
		ok(t, err)
		got, found := scan.Listing(migs + "/")
		if backend == "cli" {
			if found {
				t.Errorf("cli: a listing without a walk")
			}
			continue
		}
		want, err := os.ReadDir(filepath.Join(tr.dir, migs))
		ok(t, err)
		slices.SortFunc(got, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
		if !found || len(got) != len(want) {
			t.Fatalf("Listing(%s) = %d entries (found %v), os.ReadDir %d", migs, len(got), found, len(want))
		}
		for i := range want {
			if got[i].Name() != want[i].Name() || got[i].Type() != want[i].Type() {
				t.Errorf("entry %d: %s %v, os.ReadDir %s %v", i, got[i].Name(), got[i].Type(), want[i].Name(), want[i].Type())
			}
		}
		// A folder below a configured one is kept too; the top's subfolders
		// are not (that would keep the whole work tree).
		if sub, found := scan.Listing(migs + "/sub"); !found || len(sub) != 1 || sub[0].Name() != "x.exs" {
			t.Errorf("Listing(%s/sub) = %v, %v; want x.exs", migs, sub, found)
		}
		top, err := r.Scan([]string{""})
		ok(t, err)
		if _, found := top.Listing(migs); found {
			t.Errorf("a scan of the top kept the listing of %s", migs)
		}
		if _, found := top.Listing(""); !found {
			t.Errorf("a scan of the top kept no listing of the top")
		}
		if ents, found := scan.Listing("snaps"); !found || len(ents) != 0 {
			t.Errorf("Listing(snaps) = %v, %v; want an empty listing", ents, found)
		}
		for _, none := range []string{"absent", "linked", "other", "../x"} {
			if _, found := scan.Listing(none); found {
				t.Errorf("Listing(%s): a listing the walk never read", none)
			}
		}
	}
}
