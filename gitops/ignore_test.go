package gitops

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitignoreRootNestedNegation(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(".gitignore", "*.swp\n.DS_Store\n/priv/repo/migrations/*_dev.exs\nbuild/\n!build/keep\n")
	tr.write(migs+"/.gitignore", "*.tmp\n!important.tmp\nscratch/\n")
	tr.write(migs+"/20240101000000_a.exs", "a")
	tr.write(migs+"/20240102000000_b_dev.exs", "dev")
	tr.write(migs+"/.20240101000000_a.exs.swp", "swap")
	tr.write(migs+"/.DS_Store", "x")
	tr.write(migs+"/x.tmp", "x")
	tr.write(migs+"/important.tmp", "x")
	tr.write(migs+"/scratch/one.exs", "x")
	tr.write(migs+"/build/keep", "x") // parent excluded: negation cannot re-include
	tr.write(migs+"/notes.txt", "x")
	r := tr.open()
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{migs})), []string{
		migs + "/.gitignore",
		migs + "/20240101000000_a.exs",
		migs + "/important.tmp",
		migs + "/notes.txt",
	})
	assertPaths(t, "Ignored", must[[]string](t)(r.Ignored([]string{migs})), []string{
		migs + "/.20240101000000_a.exs.swp",
		migs + "/.DS_Store",
		migs + "/20240102000000_b_dev.exs",
		migs + "/build/keep",
		migs + "/scratch/one.exs",
		migs + "/x.tmp",
	})
	checkAgainstGit(t, r, tr, migs)
	// A tracked file stays tracked (not ignored) even if a pattern matches.
	tr.git("add", "-f", migs+"/x.tmp")
	assertPaths(t, "Tracked", must[[]string](t)(r.Tracked([]string{migs})), []string{migs + "/x.tmp"})
	checkAgainstGit(t, r, tr, migs)
}

func TestIgnoredAncestorHidesFolder(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(".gitignore", "priv/repo/\n")
	tr.write("priv/repo/.gitignore", "!*.exs\n") // never read: its folder is excluded
	tr.write(migs+"/20240101000000_a.exs", "a")
	r := tr.open()
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{migs})), nil)
	assertPaths(t, "Ignored", must[[]string](t)(r.Ignored([]string{migs})), []string{migs + "/20240101000000_a.exs"})
	checkAgainstGit(t, r, tr, migs)
}

func TestInfoExcludeAndExcludesFile(t *testing.T) {
	home, xdg := isolateGit(t)
	tr := newRepo(t)
	for _, n := range []string{"a.info", "b.local", "c.global", "d.xdg", "e.home", "keep.exs"} {
		tr.write(migs+"/"+n, n)
	}
	if err := os.WriteFile(tr.abs(".git/info/exclude"), []byte("# comment\n*.info\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	untracked := func() []string {
		t.Helper()
		r := tr.open()
		checkAgainstGit(t, r, tr, migs)
		return must[[]string](t)(r.Untracked([]string{migs}))
	}
	all := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, migs+"/"+n)
		}
		return out
	}

	// The default global ignore file: $XDG_CONFIG_HOME/git/ignore.
	writeFile(t, filepath.Join(xdg, "git", "ignore"), "*.xdg\n")
	assertPaths(t, "xdg default", untracked(), all("b.local", "c.global", "e.home", "keep.exs"))

	// Without XDG_CONFIG_HOME: ~/.config/git/ignore.
	t.Setenv("XDG_CONFIG_HOME", "")
	writeFile(t, filepath.Join(home, ".config", "git", "ignore"), "*.home\n")
	assertPaths(t, "home default", untracked(), all("b.local", "c.global", "d.xdg", "keep.exs"))
	t.Setenv("XDG_CONFIG_HOME", xdg)

	// core.excludesFile in the global config (with ~) replaces the default.
	writeFile(t, filepath.Join(home, "global-ignore"), "*.global\n")
	writeFile(t, filepath.Join(home, ".gitconfig"), "[core]\n\texcludesFile = ~/global-ignore\n")
	assertPaths(t, "global excludesFile", untracked(), all("b.local", "d.xdg", "e.home", "keep.exs"))

	// core.excludesFile in the repository config wins over the global one.
	writeFile(t, filepath.Join(tr.dir, "local-ignore"), "*.local\n")
	tr.git("config", "core.excludesFile", filepath.Join(tr.dir, "local-ignore"))
	assertPaths(t, "repo excludesFile", untracked(), all("c.global", "d.xdg", "e.home", "keep.exs"))

	// Priority: info/exclude beats core.excludesFile; .gitignore beats both.
	writeFile(t, filepath.Join(tr.dir, "local-ignore"), "*.local\n!keep.exs\n*.exs\n")
	if err := os.WriteFile(tr.abs(".git/info/exclude"), []byte("*.info\n!*.global\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr.write(migs+"/.gitignore", "!c.global\n")
	assertPaths(t, "priorities", untracked(), all(".gitignore", "c.global", "d.xdg", "e.home"))
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPatternsMatchGit checks the pattern syntax corners where go-git's
// matcher (and Go's path.Match) differ from git: each case gets its own
// folder with one .gitignore, and the whole tree is compared with git.
func TestPatternsMatchGit(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	cases := []struct {
		ignore string
		files  []string
	}{
		{"[!a]*.exs\n", []string{"a1.exs", "b1.exs", "!.exs"}},
		{"[^a]*.exs\n", []string{"a1.exs", "b1.exs"}},
		{"**/a/b\n", []string{"a/a/b", "x/a/b", "a/b", "b"}},
		{"foo/**\n!foo/keep\n", []string{"foo/keep", "foo/drop", "foo/sub/keep"}},
		{"foo/\n!foo/keep\n", []string{"foo/keep", "foo/drop"}},
		{"/foo\n", []string{"foo", "x/foo"}},
		{"foo\n", []string{"foo", "x/foo", "y/foo/z"}},
		{"x/foo\n", []string{"x/foo/z", "y/x/foo", "x/bar"}},
		{"a/**/b\n", []string{"a/b", "a/x/b", "a/x/y/b", "ab"}},
		{"a/*/b\n", []string{"a/b", "a/x/b", "a/x/y/b"}},
		{"\\#hash\n#comment\n", []string{"#hash", "#comment", "comment"}},
		{"\\!bang\n", []string{"!bang", "bang"}},
		{"trail   \n", []string{"trail", "trail   "}},
		{"esc\\ \n", []string{"esc ", "esc"}},
		{"[[:digit:]]*.exs\n", []string{"1x.exs", "x1.exs"}},
		{"[a-c]?.txt\n", []string{"b1.txt", "d1.txt", "bb.txt"}},
		{"*.TXT\n", []string{"x.txt", "x.TXT"}},
		{"ab**cd\n", []string{"abcd", "abXcd", "ab/cd"}},
		{"**\n!*.keep\n", []string{"x.keep", "x.drop", "d/x.keep"}},
		{"*\n!*/\n!*.exs\n", []string{"a.exs", "d/b.exs", "d/c.json"}},
		{"d*/\n", []string{"dir/x", "dfile"}},
		{"crlf\r\n*.bom\r\n", []string{"crlf", "x.bom"}},
		{"\xef\xbb\xbfbom\n", []string{"bom", "x"}},
		{"space dir/\n", []string{"space dir/x", "space dir2/x"}},
		{"é*\n", []string{"été.exs", "ete.exs"}},
		{"[\n", []string{"[", "x"}},
		{"a[]b\n", []string{"a]b", "ab"}},
		{"*/*.exs\n", []string{"x.exs", "d/x.exs", "d/e/x.exs"}},
	}
	for i, c := range cases {
		dir := fmt.Sprintf("c%02d", i)
		tr.write(dir+"/.gitignore", c.ignore)
		for _, f := range c.files {
			tr.write(dir+"/"+f, f)
		}
	}
	r := tr.open()
	for i, c := range cases {
		dir := fmt.Sprintf("c%02d", i)
		t.Run(dir, func(t *testing.T) {
			got := must[[]string](t)(r.Untracked([]string{dir}))
			want := tr.lsFiles(othersFlags, dir)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("pattern %q:\n got  %q\n want %q", c.ignore, got, want)
			}
			checkAgainstGit(t, r, tr, dir)
		})
	}
	checkAgainstGit(t, r, tr, "")
}

// TestIgnoreCase checks core.ignoreCase folding of patterns.
func TestIgnoreCase(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.git("config", "core.ignoreCase", "true")
	tr.write(".gitignore", "*.swp\nBuild/\n")
	tr.write("a/X.SWP", "x")
	tr.write("a/build/x", "x")
	tr.write("a/keep", "x")
	r := tr.open()
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{"a"})), []string{"a/keep"})
	checkAgainstGit(t, r, tr, "a")
}
