package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// gitChanges is what `git diff` and `git diff --cached` say, as Changes.
func (r *testRepo) gitChanges(folders ...string) []Change {
	r.t.Helper()
	var out []Change
	unmerged := map[string]bool{}
	outputs := map[bool][]string{}
	for _, staged := range []bool{false, true} {
		args := []string{"--literal-pathspecs", "diff", "--no-renames", "--name-status", "-z"}
		if staged {
			args = append(args, "--cached")
		} else {
			args = append(args, "--ignore-submodules=all")
		}
		args = append(append(args, "--"), folders...)
		f := strings.Split(strings.TrimSuffix(r.git(args...), "\x00"), "\x00")
		outputs[staged] = f
		for i := 0; i+1 < len(f); i += 2 {
			if f[i] == "U" && !unmerged[f[i+1]] {
				unmerged[f[i+1]] = true
				out = append(out, Change{Path: f[i+1], Kind: Unmerged, Staged: true})
			}
		}
	}
	// A conflicted path is one Unmerged change (git adds a combined "M").
	for _, staged := range []bool{false, true} {
		f := outputs[staged]
		for i := 0; i+1 < len(f); i += 2 {
			if unmerged[f[i+1]] {
				continue
			}
			c := Change{Path: f[i+1], Staged: staged}
			c.Kind = map[string]ChangeKind{"M": Modified, "D": Deleted, "T": TypeChanged, "A": Added}[f[i]]
			out = append(out, c)
		}
	}
	sortChanges(out)
	return out
}

func assertChanges(t testing.TB, what string, got, want []Change) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}

func TestChanged(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	files := []string{"modified.exs", "deleted.exs", "staged.exs", "both.exs", "typechange.exs",
		"chmod.exs", "unchanged.exs", "gitrm.exs", "same size.exs", "dir→file/x"}
	for _, f := range files {
		tr.write(migs+"/"+f, "content of "+f+"\n")
	}
	tr.write("elsewhere.exs", "x")
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")

	tr.write(migs+"/modified.exs", "changed\n")
	ok(t, os.Remove(tr.abs(migs+"/deleted.exs")))
	tr.write(migs+"/staged.exs", "staged change\n")
	tr.git("add", migs+"/staged.exs")
	tr.write(migs+"/both.exs", "staged\n")
	tr.git("add", migs+"/both.exs")
	tr.write(migs+"/both.exs", "and then unstaged\n")
	ok(t, os.Remove(tr.abs(migs+"/typechange.exs")))
	tr.symlink("unchanged.exs", migs+"/typechange.exs")
	ok(t, os.Chmod(tr.abs(migs+"/chmod.exs"), 0o755))
	tr.git("rm", "-q", migs+"/gitrm.exs")
	tr.write(migs+"/new_staged.exs", "new\n")
	tr.git("add", migs+"/new_staged.exs")
	ok(t, os.RemoveAll(tr.abs(migs+"/dir→file")))
	tr.write(migs+"/dir→file", "now a file")
	tr.write("elsewhere.exs", "outside the folder")

	// Same size, mtime put back: only ctime/inode betray the change, and
	// the stat shortcut must not hide it.
	p := tr.abs(migs + "/same size.exs")
	fi := must[os.FileInfo](t)(os.Stat(p))
	time.Sleep(10 * time.Millisecond)
	tr.write(migs+"/same size.exs", strings.ToUpper("content of same size.exs\n"))
	ok(t, os.Chtimes(p, fi.ModTime(), fi.ModTime()))

	r := tr.open()
	got := must[[]Change](t)(r.Changed([]string{migs}))
	want := []Change{
		{migs + "/both.exs", Modified, false},
		{migs + "/both.exs", Modified, true},
		{migs + "/chmod.exs", Modified, false},
		{migs + "/deleted.exs", Deleted, false},
		{migs + "/dir→file/x", Deleted, false},
		{migs + "/gitrm.exs", Deleted, true},
		{migs + "/modified.exs", Modified, false},
		{migs + "/new_staged.exs", Added, true},
		{migs + "/same size.exs", Modified, false},
		{migs + "/staged.exs", Modified, true},
		{migs + "/typechange.exs", TypeChanged, false},
	}
	assertChanges(t, "Changed", got, want)
	assertChanges(t, "Changed vs git", got, tr.gitChanges(migs))

	// After git refreshes the index stat data, the answer is unchanged
	// (the stat shortcut now applies to the untouched files).
	tr.git("update-index", "-q", "--refresh")
	time.Sleep(10 * time.Millisecond)
	assertChanges(t, "Changed after refresh", must[[]Change](t)(r.Changed([]string{migs})), want)

	// The git CLI backend gives the same answer.
	forceCLI(t, r)
	assertChanges(t, "Changed (git-cli)", must[[]Change](t)(r.Changed([]string{migs})), want)
}

func TestChangedUnbornAndIntentToAdd(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(migs+"/a.exs", "a")
	tr.write(migs+"/ita.exs", "i")
	tr.git("add", migs+"/a.exs")
	tr.git("add", "-N", migs+"/ita.exs")
	r := tr.open()
	want := []Change{
		{migs + "/a.exs", Added, true},
		{migs + "/ita.exs", Added, false},
	}
	got := must[[]Change](t)(r.Changed([]string{migs}))
	assertChanges(t, "Changed", got, want)
	assertChanges(t, "Changed vs git", got, tr.gitChanges(migs))
}

func TestChangedUnmerged(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(migs+"/x.exs", "base\n")
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")
	tr.git("checkout", "-qb", "other")
	tr.write(migs+"/x.exs", "other\n")
	tr.git("commit", "-qam", "other")
	tr.git("checkout", "-q", "main")
	tr.write(migs+"/x.exs", "main\n")
	tr.git("commit", "-qam", "main")
	cmd := []string{"merge", "-q", "other"}
	if out, err := gitOutput(tr.dir, cmd...); err == nil {
		t.Fatalf("merge unexpectedly succeeded: %s", out)
	}
	r := tr.open()
	want := []Change{{migs + "/x.exs", Unmerged, true}}
	got := must[[]Change](t)(r.Changed([]string{migs}))
	assertChanges(t, "Changed", got, want)
	assertChanges(t, "Changed vs git", got, tr.gitChanges(migs))
	if _, _, err := r.IndexBlob(migs + "/x.exs"); !errors.Is(err, ErrNotInIndex) {
		t.Errorf("IndexBlob of a conflicted path: err = %v, want ErrNotInIndex", err)
	}
	forceCLI(t, r)
	assertChanges(t, "Changed (git-cli)", must[[]Change](t)(r.Changed([]string{migs})), want)
}

func TestIndexBlobRestoresExactly(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	binary := "line one\r\nline two\x00\xff\xfe trailing no newline"
	tr.write(migs+"/20240101000000_a.exs", binary)
	tr.write(migs+"/run.sh", "#!/bin/sh\necho hi\n")
	ok(t, os.Chmod(tr.abs(migs+"/run.sh"), 0o755))
	tr.symlink("20240101000000_a.exs", migs+"/link")
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")
	// The index, not HEAD, is what IndexBlob returns.
	tr.write(migs+"/20240101000000_a.exs", binary+" staged")
	tr.git("add", ".")
	wantA := []byte(binary + " staged")

	for _, backend := range []string{"go-git", "git-cli"} {
		t.Run(backend, func(t *testing.T) {
			r := tr.open()
			if backend == "git-cli" {
				forceCLI(t, r)
			}
			cases := []struct {
				path string
				data []byte
				mode os.FileMode
			}{
				{migs + "/20240101000000_a.exs", wantA, 0o644},
				{migs + "/run.sh", []byte("#!/bin/sh\necho hi\n"), 0o755},
				{migs + "/link", []byte("20240101000000_a.exs"), os.ModeSymlink | 0o777},
			}
			for _, c := range cases {
				data, mode, err := r.IndexBlob(c.path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, c.data) || mode != c.mode {
					t.Errorf("IndexBlob(%s) = %q %v, want %q %v", c.path, data, mode, c.data, c.mode)
				}
			}
			if _, _, err := r.IndexBlob(migs + "/missing.exs"); !errors.Is(err, ErrNotInIndex) {
				t.Errorf("missing path: err = %v, want ErrNotInIndex", err)
			}

			// Clobber the files, restore them from IndexBlob, and check git
			// agrees they are back.
			for _, c := range cases[:2] {
				tr.write(c.path, "clobbered")
				ok(t, os.Chmod(tr.abs(c.path), 0o600))
				data, mode := must2(t, r, c.path)
				ok(t, os.WriteFile(tr.abs(c.path), data, mode))
				ok(t, os.Chmod(tr.abs(c.path), mode))
			}
			assertChanges(t, "after restore", must[[]Change](t)(r.Changed([]string{migs})), []Change{
				{migs + "/20240101000000_a.exs", Modified, true},
			})
			if out := tr.git("diff", "--name-only"); out != "" {
				t.Errorf("git diff after restore: %q", out)
			}
		})
	}
}

func must2(t testing.TB, r *Repo, p string) ([]byte, os.FileMode) {
	t.Helper()
	d, m, err := r.IndexBlob(p)
	if err != nil {
		t.Fatal(err)
	}
	return d, m
}

func gitOutput(dir string, args ...string) (string, error) {
	cmd := execGit(dir, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Sorted order is by path then unstaged first; a sanity check that the
// comparator is a strict order.
func TestSortChanges(t *testing.T) {
	cs := []Change{{"b", Modified, true}, {"a", Added, true}, {"b", Modified, false}}
	sortChanges(cs)
	got := fmt.Sprint(cs)
	if got != "[{a added true} {b modified false} {b modified true}]" {
		t.Errorf("sorted = %s", got)
	}
	if !sort.SliceIsSorted(cs, func(i, j int) bool { return cs[i].Path < cs[j].Path }) {
		t.Error("not sorted by path")
	}
	if Modified.String() != "modified" || TypeChanged.String() != "type changed" || ChangeKind(99).String() != "ChangeKind(99)" {
		t.Error("ChangeKind.String")
	}
}
