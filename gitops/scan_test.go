package gitops

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestRandomRawIndexMatchesFullDecode builds random repositories (random
// trees, files committed, staged, intent-to-add, skip-worktree, a merge
// conflict, index versions 2 and 3) and checks that the raw index
// (scanIndex, searched in place) answers every lookup exactly as the full
// decode (decodeIndex, itself checked against go-git's decoder), and that
// Scan equals the separate calls.
func TestRandomRawIndexMatchesFullDecode(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			_, xdg := isolateGit(t)
			rng := rand.New(rand.NewPCG(seed, 0xfa57))
			tr := newRepo(t)
			g := &treeGen{rng: rng, tr: tr}
			g.dir("", 0)
			g.ignores(xdg)
			files := append([]string(nil), g.files...)
			sort.Strings(files)
			var committed, staged []string
			for _, f := range files {
				switch x := rng.IntN(10); {
				case x < 5:
					committed = append(committed, f)
				case x < 7:
					staged = append(staged, f)
				}
			}
			if len(committed) > 0 {
				tr.git(append([]string{"--literal-pathspecs", "add", "-f", "--"}, committed...)...)
				tr.git("commit", "-qm", "base")
			}
			if len(staged) > 0 {
				tr.git(append([]string{"--literal-pathspecs", "add", "-f", "--"}, staged...)...)
			}
			if seed%2 == 0 && len(committed) > 1 {
				// Version 3: extended flags on some entries.
				tr.git("--literal-pathspecs", "update-index", "--skip-worktree", "--", committed[0])
				ita := "ita-" + fmt.Sprint(seed) + ".exs"
				tr.write(ita, "intent")
				tr.git("add", "-f", "-N", ita)
			}
			if seed%3 == 0 && len(committed) > 0 {
				// A merge conflict: stages 1-3 for one path.
				blob := strings.TrimSpace(tr.git("hash-object", "-w", "--stdin"))
				info := ""
				for st := 1; st <= 3; st++ {
					info += fmt.Sprintf("100644 %s %d\tconflict/%d.exs\n", blob, st, seed)
				}
				tr.gitStdin(info, "update-index", "--index-info")
			}
			data, err := os.ReadFile(tr.abs(".git/index"))
			ok(t, err)
			full, err := decodeIndex(append([]byte(nil), data...))
			ok(t, err)
			for _, mapped := range []bool{false, true} {
				raw, sorted, err := scanIndex(append([]byte(nil), data...), mapped)
				ok(t, err)
				if !sorted {
					t.Fatal("git wrote an index scanIndex finds unsorted")
				}
				sameLookups(t, &indexSnapshot{entries: full}, &indexSnapshot{raw: raw}, append(append(files, g.dirs...), "conflict", "conflict/3.exs", "zzz", "", "a/", "0"))
			}
			r := tr.open()
			folders := [][]string{{""}, {"does-not-exist"}, {"conflict"}}
			for i := 0; i < 4 && len(g.dirs) > 0; i++ {
				folders = append(folders, []string{g.dirs[rng.IntN(len(g.dirs))]})
			}
			if len(g.dirs) > 1 {
				folders = append(folders, []string{g.dirs[0], g.dirs[len(g.dirs)-1]})
			}
			for _, fs := range folders {
				sameAsSeparateCalls(t, r, fs)
			}
		})
	}
}

func sameLookups(t *testing.T, full, raw *indexSnapshot, names []string) {
	t.Helper()
	if full.len() != raw.len() {
		t.Fatalf("%d entries, raw %d", full.len(), raw.len())
	}
	for i := 0; i < full.len(); i++ {
		if !reflect.DeepEqual(full.entryAt(i), raw.entryAt(i)) {
			t.Fatalf("entry %d:\n full %+v\n raw  %+v", i, full.entryAt(i), raw.entryAt(i))
		}
	}
	for _, n := range names {
		for _, q := range []string{n, n + "/", strings.TrimSuffix(n, "/x")} {
			if a, b := full.tracked(q), raw.tracked(q); a != b {
				t.Errorf("tracked(%q): full %v, raw %v", q, a, b)
			}
			if a, b := full.gitlink(q), raw.gitlink(q); a != b {
				t.Errorf("gitlink(%q): full %v, raw %v", q, a, b)
			}
			if a, b := full.hasUnder(q), raw.hasUnder(q); a != b {
				t.Errorf("hasUnder(%q): full %v, raw %v", q, a, b)
			}
			if a, b := full.entry(q), raw.entry(q); !reflect.DeepEqual(a, b) {
				t.Errorf("entry(%q): full %+v, raw %+v", q, a, b)
			}
			if a, b := full.under(q), raw.under(q); !reflect.DeepEqual(a, b) && len(a)+len(b) > 0 {
				t.Errorf("under(%q): full %d entries, raw %d", q, len(a), len(b))
			}
			if a, b := full.namesUnder(q), raw.namesUnder(q); !reflect.DeepEqual(a, b) {
				t.Errorf("namesUnder(%q): full %v, raw %v", q, a, b)
			}
		}
	}
}

// sameAsSeparateCalls checks Scan against Untracked, Ignored, Tracked and
// the work-tree side of Changed.
func sameAsSeparateCalls(t *testing.T, r *Repo, folders []string) {
	t.Helper()
	s, err := r.Scan(folders)
	ok(t, err)
	what := strings.Join(folders, ",")
	assertPaths(t, "Scan.Untracked "+what, s.Untracked, must[[]string](t)(r.Untracked(folders)))
	assertPaths(t, "Scan.Ignored "+what, s.Ignored, must[[]string](t)(r.Ignored(folders)))
	assertPaths(t, "Scan.Tracked "+what, s.Tracked, must[[]string](t)(r.Tracked(folders)))
	var want []Change
	for _, c := range must[[]Change](t)(r.Changed(folders)) {
		if !c.Staged || c.Kind == Unmerged {
			want = append(want, c)
		}
	}
	if !reflect.DeepEqual(s.Changed, want) && len(s.Changed)+len(want) > 0 {
		t.Errorf("Scan.Changed %s:\n got  %v\n want %v", what, s.Changed, want)
	}
}

// TestMappedIndexMatchesGit reads an index large enough to be mapped
// (mapThreshold) and checks the answers against the git CLI and Scan
// against the separate calls.
func TestMappedIndexMatchesGit(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	for i := 0; i < 30; i++ {
		tr.write(fmt.Sprintf("%s/2024%010d_m%d.exs", migs, i, i), "m")
	}
	tr.write(".gitignore", "*.swp\n")
	tr.git("add", "-A")
	blob := strings.TrimSpace(tr.git("hash-object", "-w", "--stdin"))
	var info strings.Builder
	for i := 0; i < 6000; i++ {
		fmt.Fprintf(&info, "100644 %s\tlib/area%02d/file%04d.ex\n", blob, i/500, i)
		fmt.Fprintf(&info, "100644 %s\tzz/area%02d/file%04d.ex\n", blob, i/500, i)
	}
	tr.gitStdin(info.String(), "update-index", "--add", "--index-info")
	tr.git("commit", "-qm", "big")
	fi, err := os.Stat(tr.abs(".git/index"))
	ok(t, err)
	if fi.Size() < mapThreshold {
		t.Fatalf("index of %d bytes is below the map threshold", fi.Size())
	}
	tr.write(migs+"/2025000000000_new.exs", "n")
	tr.write(migs+"/x.swp", "s")
	tr.write(fmt.Sprintf("%s/2024%010d_m%d.exs", migs, 3, 3), "edited")
	r := tr.open()
	if snap := must[*indexSnapshot](t)(r.index()); snap.raw == nil || !snap.raw.mapped && mapSupported {
		t.Fatalf("the index was not read in place (raw %v)", snap.raw != nil)
	}
	checkAgainstGit(t, r, tr, migs)
	checkAgainstGit(t, r, tr, "lib/area03")
	assertChanges(t, "Changed", must[[]Change](t)(r.Changed([]string{migs})), tr.gitChanges(migs))
	sameAsSeparateCalls(t, r, []string{migs, "lib/area03", "zz"})
}

func (r *testRepo) gitStdin(stdin string, args ...string) string {
	r.t.Helper()
	cmd := execGit(r.dir, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestScanLstatIsTheComparisonsStat: Scan hands out the lstat it compared
// each tracked file with (so that regen does not stat 2,000 migrations
// twice), and none for what it did not stat: a missing file, one reached
// through a symlinked folder, a skip-worktree entry, an untracked file, or
// any file when the git CLI answered.
func TestScanLstatIsTheComparisonsStat(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write("m/a.exs", "a")
	tr.write("m/b.exs", "b")
	tr.write("m/gone.exs", "g")
	tr.write("m/sparse.exs", "s")
	tr.write("l/real/c.exs", "c")
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")
	tr.git("update-index", "--skip-worktree", "--", "m/sparse.exs")
	ok(t, os.Remove(tr.abs("m/gone.exs")))
	tr.write("m/b.exs", "b, edited")
	tr.write("m/new.exs", "untracked")
	ok(t, os.Rename(tr.abs("l/real"), tr.abs("l/moved")))
	tr.symlink("moved", "l/real")
	r := tr.open()
	scan, err := r.Scan([]string{"m", "l"})
	ok(t, err)
	for _, p := range []string{"m/a.exs", "m/b.exs"} {
		fi, found := scan.Lstat(p)
		want, err := os.Lstat(tr.abs(p))
		ok(t, err)
		got, _ := statOf(fi)
		exp, _ := statOf(want)
		if !found || got != exp || fi.Size() != want.Size() || !fi.ModTime().Equal(want.ModTime()) || fi.Mode() != want.Mode() {
			t.Fatalf("Lstat(%s) = %v, %v; os.Lstat %v", p, fi, found, want)
		}
	}
	for _, p := range []string{"m/gone.exs", "m/sparse.exs", "m/new.exs", "l/real/c.exs", "nowhere"} {
		if fi, found := scan.Lstat(p); found {
			t.Fatalf("Lstat(%s) = %v: the scan took no stat of it", p, fi)
		}
	}
	forceCLI(t, r)
	scan, err = r.Scan([]string{"m"})
	ok(t, err)
	if _, found := scan.Lstat("m/a.exs"); found {
		t.Fatal("the git CLI's scan has no stats to give")
	}
}

// Folders one inside the other: each tracked path is still compared and
// reported once, as git reports it.
func TestScanNestedFolders(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write("m/a.exs", "a")
	tr.write("m/sub/b.exs", "b")
	tr.write("n/c.exs", "c")
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")
	tr.write("m/sub/b.exs", "b, edited")
	ok(t, os.Remove(tr.abs("m/a.exs")))
	for _, folders := range [][]string{{"m", "m/sub"}, {"m/sub", "m"}, {"", "n"}, {"m", "n"}} {
		if !nested(folders) && folders[1] != "n" {
			t.Fatalf("%v: not seen as nested", folders)
		}
		checkAgainstGit(t, tr.open(), tr, folders...)
		scan, err := tr.open().Scan(folders)
		ok(t, err)
		seen := map[string]int{}
		for _, c := range scan.Changed {
			seen[c.Path]++
		}
		if seen["m/sub/b.exs"] > 1 || seen["m/a.exs"] > 1 {
			t.Fatalf("%v: a change reported twice: %+v", folders, scan.Changed)
		}
	}
	if nested([]string{"m", "n"}) || nested([]string{"m", "mm"}) || nested([]string{"m/a", "m/b"}) {
		t.Fatal("disjoint folders seen as nested")
	}
}
