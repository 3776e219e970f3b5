package gitops

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestRandomTreesMatchGit generates random trees (nested folders, random
// ignore files at random levels, info/exclude, a global ignore file, files
// committed, staged, modified, deleted, symlinks) and checks that
// Untracked, Ignored, Tracked and Changed equal the git CLI's answers for
// the whole tree and for random folders.
func TestRandomTreesMatchGit(t *testing.T) {
	// Totals over all seeds, to prove the generator exercises every answer.
	var nUntracked, nIgnored, nTracked, nChanged int
	defer func() {
		t.Logf("untracked %d, ignored %d, tracked %d, changed %d", nUntracked, nIgnored, nTracked, nChanged)
		if !t.Failed() && (nUntracked < 50 || nIgnored < 50 || nTracked < 50 || nChanged < 20) {
			t.Errorf("the random trees are too poor to test anything")
		}
	}()
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			_, xdg := isolateGit(t)
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			tr := newRepo(t)
			g := &treeGen{rng: rng, tr: tr}
			g.dir("", 0)
			g.ignores(xdg)

			files := g.files
			sort.Strings(files)
			var committed, staged []string
			for _, f := range files {
				switch x := rng.IntN(10); {
				case x < 4:
					committed = append(committed, f)
				case x < 6:
					staged = append(staged, f)
				}
			}
			if len(committed) > 0 {
				tr.git(append([]string{"--literal-pathspecs", "add", "-f", "--"}, committed...)...)
				tr.git("commit", "-qm", "random base")
			}
			if len(staged) > 0 {
				tr.git(append([]string{"--literal-pathspecs", "add", "-f", "--"}, staged...)...)
			}
			// Change some tracked files after staging.
			for _, f := range append(append([]string(nil), committed...), staged...) {
				op := rng.IntN(8)
				if g.links[f] && op != 1 {
					continue // writing or chmod would go through the link
				}
				switch op {
				case 0:
					tr.write(f, "modified "+f)
				case 1:
					ok(t, os.Remove(tr.abs(f)))
				case 2:
					ok(t, os.Chmod(tr.abs(f), 0o755))
				}
			}

			r := tr.open()
			nUntracked += len(must[[]string](t)(r.Untracked([]string{""})))
			nIgnored += len(must[[]string](t)(r.Ignored([]string{""})))
			nTracked += len(must[[]string](t)(r.Tracked([]string{""})))
			nChanged += len(must[[]Change](t)(r.Changed([]string{""})))
			folders := [][]string{{""}, {"does-not-exist"}}
			for i := 0; i < 4 && len(g.dirs) > 0; i++ {
				folders = append(folders, []string{g.dirs[rng.IntN(len(g.dirs))]})
			}
			if len(g.dirs) > 1 {
				folders = append(folders, []string{g.dirs[0], g.dirs[len(g.dirs)-1]})
			}
			if len(files) > 0 {
				folders = append(folders, []string{files[rng.IntN(len(files))]})
			}
			for _, fs := range folders {
				checkAgainstGit(t, r, tr, fs...)
				assertChanges(t, "Changed "+strings.Join(fs, ","), must[[]Change](t)(r.Changed(fs)), tr.gitChanges(pathspecsOf(fs)...))
			}
			if t.Failed() {
				t.Logf("tree:\n%s", tr.git("ls-files", "--others", "--cached", "--exclude-standard", "-t"))
				for _, ig := range g.ignoreFiles {
					data, _ := os.ReadFile(ig)
					t.Logf("%s:\n%s", ig, data)
				}
			}
		})
	}
}

func pathspecsOf(fs []string) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f
		if f == "" {
			out[i] = "."
		}
	}
	return out
}

type treeGen struct {
	rng         *rand.Rand
	tr          *testRepo
	files       []string // regular files and symlinks
	links       map[string]bool
	dirs        []string
	names       []string // every base name used, for patterns
	ignoreFiles []string
}

var genNames = []string{"a", "b", "mig", "build", "tmp", "x y", "é", "deps",
	"20240101000000_add.exs", "notes.txt", ".DS_Store", "z.swp", "keep.exs", "data.json", "Foo", "c.tmp"}

func (g *treeGen) dir(rel string, depth int) {
	used := map[string]bool{}
	n := 2 + g.rng.IntN(8)
	for i := 0; i < n; i++ {
		name := genNames[g.rng.IntN(len(genNames))]
		if g.rng.IntN(3) == 0 {
			name = fmt.Sprintf("%d%s", g.rng.IntN(3), name)
		}
		if used[name] || name == ".gitignore" {
			continue
		}
		used[name] = true
		g.names = append(g.names, name)
		p := joinRel(rel, name)
		switch x := g.rng.IntN(20); {
		case depth < 4 && x < 6:
			g.dirs = append(g.dirs, p)
			g.dir(p, depth+1)
		case x == 7:
			g.tr.symlink("../somewhere", p)
			if g.links == nil {
				g.links = map[string]bool{}
			}
			g.links[p] = true
			g.files = append(g.files, p)
		default:
			g.tr.write(p, "content of "+p)
			g.files = append(g.files, p)
		}
	}
}

// ignores writes random .gitignore files, info/exclude and a global
// ignore file, mixing negations, folder-only, anchored and ** patterns.
func (g *treeGen) ignores(xdg string) {
	vocab := []string{"*.swp", "*.txt", "build/", "/a", "a/", "!keep.exs", "!*.exs", "tmp", "**/b",
		"mig/**", "b/*.json", "*", "!*/", "[a-m]*", "x y", "**/tmp/", "?.tmp", "*.tmp", "!c.tmp",
		".DS_Store", "deps/", "!deps/", "/mig/*", "é", "Foo", "!Foo", "*/a", "**"}
	pick := func() string {
		if g.rng.IntN(4) == 0 && len(g.names) > 0 {
			n := g.names[g.rng.IntN(len(g.names))]
			switch g.rng.IntN(3) {
			case 0:
				return "!" + n
			case 1:
				return n + "/"
			}
			return n
		}
		return vocab[g.rng.IntN(len(vocab))]
	}
	patterns := func(max int) string {
		var lines []string
		for i := 0; i < 1+g.rng.IntN(max); i++ {
			lines = append(lines, pick())
		}
		return strings.Join(lines, "\n") + "\n"
	}
	for _, d := range append([]string{""}, g.dirs...) {
		if g.rng.IntN(5) < 2 {
			p := joinRel(d, ".gitignore")
			g.tr.write(p, patterns(4))
			g.ignoreFiles = append(g.ignoreFiles, g.tr.abs(p))
		}
	}
	if g.rng.IntN(2) == 0 {
		p := g.tr.abs(".git/info/exclude")
		writeFile(g.tr.t, p, patterns(2))
		g.ignoreFiles = append(g.ignoreFiles, p)
	}
	if g.rng.IntN(3) == 0 {
		p := filepath.Join(xdg, "git", "ignore")
		writeFile(g.tr.t, p, patterns(2))
		g.ignoreFiles = append(g.ignoreFiles, p)
	}
}
