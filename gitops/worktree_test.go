package gitops

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLinkedWorktree(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(migs+"/20240101000000_a.exs", "a")
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")
	wtDir := filepath.Join(filepath.Dir(tr.dir), "wt feature") // a space in the path
	tr.git("worktree", "add", "-q", "-b", "feature", wtDir)
	wt := &testRepo{t: t, dir: wtDir}
	wt.write(migs+"/20240102000000_b.exs", "b")
	wt.write(migs+"/20240103000000_c.exs", "c")
	wt.write(migs+"/x.local", "excluded by the common info/exclude")
	wt.git("add", migs+"/20240103000000_c.exs")
	wt.write(migs+"/20240101000000_a.exs", "changed in the worktree")
	ok(t, os.WriteFile(tr.abs(".git/info/exclude"), []byte("*.local\n"), 0o644))
	tr.write(migs+"/main_only.exs", "untracked in the main work tree")

	wantGitDir := strings.TrimSpace(wt.git("rev-parse", "--absolute-git-dir"))
	if !strings.HasPrefix(wantGitDir, tr.abs(".git/worktrees/")) {
		t.Fatalf("git says the worktree git dir is %s", wantGitDir)
	}
	// The worktree's .git file holds an absolute gitdir; also try a
	// relative one, which git accepts too.
	for _, variant := range []string{"absolute", "relative"} {
		t.Run(variant, func(t *testing.T) {
			if variant == "relative" {
				rel, err := filepath.Rel(wtDir, wantGitDir)
				ok(t, err)
				ok(t, os.WriteFile(filepath.Join(wtDir, ".git"), []byte("gitdir: "+rel+"\n"), 0o644))
			}
			r, err := Open(filepath.Join(wtDir, "priv"))
			if err != nil {
				t.Fatal(err)
			}
			if r.Root != wtDir {
				t.Errorf("Root = %s, want %s", r.Root, wtDir)
			}
			if r.GitDir != wantGitDir {
				t.Errorf("GitDir = %s, want %s", r.GitDir, wantGitDir)
			}
			if want := tr.abs(".git"); r.CommonDir != want {
				t.Errorf("CommonDir = %s, want %s", r.CommonDir, want)
			}
			if name, _ := r.Backend(); name != "go-git" {
				t.Errorf("Backend = %s", name)
			}
			assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{migs})), []string{migs + "/20240102000000_b.exs"})
			assertPaths(t, "Ignored", must[[]string](t)(r.Ignored([]string{migs})), []string{migs + "/x.local"})
			assertPaths(t, "Tracked", must[[]string](t)(r.Tracked([]string{migs})),
				[]string{migs + "/20240101000000_a.exs", migs + "/20240103000000_c.exs"})
			checkAgainstGit(t, r, wt, migs)
			got := must[[]Change](t)(r.Changed([]string{migs}))
			assertChanges(t, "Changed", got, []Change{
				{migs + "/20240101000000_a.exs", Modified, false},
				{migs + "/20240103000000_c.exs", Added, true},
			})
			assertChanges(t, "Changed vs git", got, wt.gitChanges(migs))
			data, _, err := r.IndexBlob(migs + "/20240103000000_c.exs")
			if err != nil || string(data) != "c" {
				t.Errorf("IndexBlob = %q, %v", data, err)
			}
			if h, want := must[string](t)(r.HeadHash()), strings.TrimSpace(wt.git("rev-parse", "HEAD")); h != want {
				t.Errorf("HeadHash = %s, want %s", h, want)
			}
		})
	}
	wt.write("f", "f")
	wt.git("add", "f")
	wt.git("commit", "-qm", "feature commit")
	// HEAD of the worktree and of the main work tree differ.
	rw, rm := must[*Repo](t)(Open(wtDir)), tr.open()
	hw, hm := must[string](t)(rw.HeadHash()), must[string](t)(rm.HeadHash())
	if hw == hm || hw != strings.TrimSpace(wt.git("rev-parse", "HEAD")) {
		t.Errorf("worktree HEAD %s, main HEAD %s", hw, hm)
	}
	assertPaths(t, "main Untracked", must[[]string](t)(rm.Untracked([]string{migs})), []string{migs + "/main_only.exs"})
}

func TestStatShortcut(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write("a.exs", "a")
	tr.git("add", ".")
	time.Sleep(20 * time.Millisecond)
	tr.git("update-index", "-q", "--really-refresh") // index written after the file: not racy
	r := tr.open()
	snap := must[*indexSnapshot](t)(r.index())
	e := snap.entry("a.exs")
	fi := must[os.FileInfo](t)(os.Lstat(tr.abs("a.exs")))
	if !statClean(e, fi, snap.stamp.mtimeNano) {
		t.Error("an untouched file is not stat-clean")
	}
	// Racily clean: the index was written in the instant of the file's
	// mtime, so equal stat data proves nothing.
	if statClean(e, fi, e.ModifiedAt.UnixNano()) {
		t.Error("a racily clean entry was trusted")
	}
	ok(t, os.Chtimes(tr.abs("a.exs"), time.Now(), time.Now()))
	fi = must[os.FileInfo](t)(os.Lstat(tr.abs("a.exs")))
	if statClean(e, fi, snap.stamp.mtimeNano) {
		t.Error("a touched file is stat-clean")
	}
}

func TestFallbackSplitIndex(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(migs+"/20240101000000_a.exs", "a")
	tr.write(migs+"/20240101000001_m.exs", "m")
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")
	tr.git("update-index", "--split-index")
	tr.write(migs+"/20240102000000_b.exs", "b")
	tr.write(migs+"/20240103000000_staged.exs", "s")
	tr.git("add", migs+"/20240103000000_staged.exs")
	tr.write(migs+"/.DS_Store", "x")
	tr.write(".gitignore", ".DS_Store\n")
	tr.write(migs+"/20240101000001_m.exs", "modified")
	if m, _ := filepath.Glob(tr.abs(".git/sharedindex.*")); len(m) == 0 {
		t.Fatal("no shared index: the split index was not created")
	}
	r := tr.open()
	name, reason := r.Backend()
	if name != "git-cli" || !strings.Contains(reason, "split") {
		t.Errorf("Backend = %q, %q; want git-cli with a split-index reason", name, reason)
	}
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{migs})), []string{migs + "/20240102000000_b.exs"})
	assertPaths(t, "Ignored", must[[]string](t)(r.Ignored([]string{migs})), []string{migs + "/.DS_Store"})
	assertPaths(t, "Tracked", must[[]string](t)(r.Tracked([]string{migs})), []string{
		migs + "/20240101000000_a.exs", migs + "/20240101000001_m.exs", migs + "/20240103000000_staged.exs"})
	assertChanges(t, "Changed", must[[]Change](t)(r.Changed([]string{migs})), []Change{
		{migs + "/20240101000001_m.exs", Modified, false},
		{migs + "/20240103000000_staged.exs", Added, true},
	})
	data, mode, err := r.IndexBlob(migs + "/20240101000001_m.exs")
	if err != nil || string(data) != "m" || mode != 0o644 {
		t.Errorf("IndexBlob = %q %v %v", data, mode, err)
	}
	if h := must[string](t)(r.HeadHash()); h != strings.TrimSpace(tr.git("rev-parse", "HEAD")) {
		t.Errorf("HeadHash = %s", h)
	}
	checkAgainstGit(t, r, tr, migs)

	// Without git on PATH the fallback is impossible: the error says what is
	// unsupported and that installing git fixes it.
	t.Setenv("PATH", realTemp(t))
	_, err = Open(tr.dir)
	if !errors.Is(err, ErrGitNotInstalled) || !strings.Contains(err.Error(), "split") || !strings.Contains(err.Error(), "install") {
		t.Errorf("Open without git: %v", err)
	}
}

func TestFallbackWorktreeConfig(t *testing.T) {
	isolateGit(t)
	tr := newRepo(t)
	tr.write(migs+"/20240101000000_a.exs", "a")
	tr.git("add", ".")
	tr.git("commit", "-qm", "base")
	tr.git("config", "extensions.worktreeConfig", "true")
	// A setting only the per-worktree config holds: go-git would miss it.
	writeFile(t, tr.abs("wt-ignore"), "*.wt\n")
	tr.git("config", "--worktree", "core.excludesFile", tr.abs("wt-ignore"))
	tr.write(migs+"/x.wt", "x")
	tr.write(migs+"/20240102000000_b.exs", "b")
	unborn := newRepo(t) // and an unborn branch through the CLI
	unborn.git("config", "extensions.worktreeConfig", "true")

	r := tr.open()
	if name, reason := r.Backend(); name != "git-cli" || !strings.Contains(reason, "worktreeConfig") {
		t.Errorf("Backend = %q, %q", name, reason)
	}
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{migs})), []string{migs + "/20240102000000_b.exs"})
	assertPaths(t, "Ignored", must[[]string](t)(r.Ignored([]string{migs})), []string{migs + "/x.wt"})
	checkAgainstGit(t, r, tr, migs)
	if h := must[string](t)(unborn.open().HeadHash()); h != "" {
		t.Errorf("unborn HeadHash via CLI = %q", h)
	}
}

func TestGitIndexFileAndIncludedConfig(t *testing.T) {
	home, _ := isolateGit(t)
	tr := newRepo(t)
	tr.write(migs+"/a.exs", "a")
	tr.write(migs+"/b.exs", "b")
	tr.write(migs+"/c.inc", "c")
	// A hook run by `git commit -a` sees GIT_INDEX_FILE pointing at another
	// index; that index is the truth for it.
	cmd := execGit(tr.dir, "add", migs+"/a.exs")
	cmd.Env = append(os.Environ(), "GIT_INDEX_FILE=.git/alt-index")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	assertPaths(t, "default index", must[[]string](t)(tr.open().Tracked([]string{migs})), nil)
	t.Setenv("GIT_INDEX_FILE", ".git/alt-index")
	r := tr.open()
	assertPaths(t, "GIT_INDEX_FILE", must[[]string](t)(r.Tracked([]string{migs})), []string{migs + "/a.exs"})

	// core.excludesFile set in a file pulled in by [include].
	writeFile(t, filepath.Join(home, ".gitconfig"), "[include]\n\tpath = gitconfig-inc\n")
	writeFile(t, filepath.Join(home, "gitconfig-inc"), "[core]\n\texcludesFile = ~/inc-ignore\n")
	writeFile(t, filepath.Join(home, "inc-ignore"), "*.inc\n")
	r = tr.open()
	assertPaths(t, "Untracked", must[[]string](t)(r.Untracked([]string{migs})), []string{migs + "/b.exs"})
	checkAgainstGit(t, r, tr, migs) // git sees GIT_INDEX_FILE from the environment too
	forceCLI(t, r)
	assertPaths(t, "Tracked (git-cli)", must[[]string](t)(r.Tracked([]string{migs})), []string{migs + "/a.exs"})
}
