package gitops

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// historyRepo builds: main with a base commit, a feature branch with two
// commits, main advanced by one commit, a lightweight and an annotated tag,
// a remote-tracking branch, plus a staged file on feature (checked out).
func historyRepo(t *testing.T) (*testRepo, map[string]string) {
	isolateGit(t)
	r := newRepo(t)
	h := map[string]string{}
	r.write("priv/repo/migrations/20240101000000_init.exs", "init\n")
	r.write("priv/resource_snapshots/repo/posts/20240101000001.json", "{}\n")
	r.write("lib/app.ex", "app\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "base")
	h["base"] = strings.TrimSpace(r.git("rev-parse", "HEAD"))
	r.git("tag", "light")
	r.git("tag", "-a", "-m", "annotated", "annot")

	r.git("checkout", "-q", "-b", "feature")
	r.write("priv/repo/migrations/20240201000000_feat.exs", "feat\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "feat 1")
	r.write("priv/resource_snapshots/repo/posts/20240201000001.json", "{\"a\":1}\n")
	r.write("lib/other.ex", "other\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "feat 2")
	h["feature"] = strings.TrimSpace(r.git("rev-parse", "HEAD"))

	r.git("checkout", "-q", "main")
	r.write("priv/repo/migrations/20240301000000_main.exs", "main\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "main 2")
	h["main"] = strings.TrimSpace(r.git("rev-parse", "HEAD"))
	r.git("update-ref", "refs/remotes/origin/main", h["main"])

	r.git("checkout", "-q", "feature")
	r.write("priv/repo/migrations/20240401000000_staged.exs", "staged\n")
	r.write("priv/repo/migrations/20240501000000_untracked.exs", "untracked\n")
	r.git("add", "priv/repo/migrations/20240401000000_staged.exs")
	return r, h
}

// bothBackends runs f against go-git and against the git CLI fallback.
func bothBackends(t *testing.T, r *testRepo, f func(t *testing.T, repo *Repo)) {
	t.Run("go-git", func(t *testing.T) { f(t, r.open()) })
	t.Run("cli", func(t *testing.T) {
		repo := r.open()
		forceCLI(t, repo)
		f(t, repo)
	})
}

func TestResolveRef(t *testing.T) {
	r, h := historyRepo(t)
	bothBackends(t, r, func(t *testing.T, repo *Repo) {
		for ref, want := range map[string]string{
			"main":                     h["main"],
			"refs/heads/main":          h["main"],
			"feature":                  h["feature"],
			"HEAD":                     h["feature"],
			"origin/main":              h["main"],
			"light":                    h["base"],
			"annot":                    h["base"], // peeled to the commit
			h["base"]:                  h["base"],
			h["feature"][:8]:           h["feature"],
			"main~1":                   h["base"],
			"refs/remotes/origin/main": h["main"],
		} {
			got, err := repo.ResolveRef(ref)
			if err != nil {
				t.Errorf("ResolveRef(%q): %v", ref, err)
				continue
			}
			if want != strings.TrimSpace(r.git("rev-parse", ref+"^{commit}")) {
				t.Fatalf("test table disagrees with git for %q", ref)
			}
			if got != want {
				t.Errorf("ResolveRef(%q) = %s, want %s", ref, got, want)
			}
		}
		for _, bad := range []string{"nope", "origin/nope", "-main", "", "0000000000000000000000000000000000000000"} {
			_, err := repo.ResolveRef(bad)
			if !errors.Is(err, ErrUnknownRef) {
				t.Errorf("ResolveRef(%q) error = %v, want ErrUnknownRef", bad, err)
			}
		}
	})
}

func TestMergeBase(t *testing.T) {
	r, h := historyRepo(t)
	bothBackends(t, r, func(t *testing.T, repo *Repo) {
		for _, ref := range []string{"main", "origin/main", "light"} {
			got, err := repo.MergeBase(ref)
			ok(t, err)
			if got != h["base"] {
				t.Errorf("MergeBase(%s) = %s, want %s", ref, got, h["base"])
			}
		}
		if _, err := repo.MergeBase("nope"); !errors.Is(err, ErrUnknownRef) {
			t.Errorf("MergeBase(nope) error = %v", err)
		}
	})

	// Unrelated histories have no merge base.
	r.git("checkout", "-q", "--orphan", "lonely")
	r.git("rm", "-rq", "--cached", ".")
	r.write("x", "x\n")
	r.git("add", "x")
	r.git("commit", "-q", "-m", "lonely")
	bothBackends(t, r, func(t *testing.T, repo *Repo) {
		if _, err := repo.MergeBase("main"); !errors.Is(err, ErrNoMergeBase) {
			t.Errorf("MergeBase of unrelated histories: error = %v, want ErrNoMergeBase", err)
		}
	})
}

func TestFilesAt(t *testing.T) {
	r, _ := historyRepo(t)
	folders := []string{"priv/repo/migrations", "priv/resource_snapshots", "missing/folder"}
	bothBackends(t, r, func(t *testing.T, repo *Repo) {
		for _, ref := range []string{"main", "feature", "light", "annot"} {
			got, err := repo.FilesAt(ref, folders)
			ok(t, err)
			want := r.gitZ("ls-tree", "-r", "-z", "--name-only", ref, "--", "priv/repo/migrations", "priv/resource_snapshots")
			assertPaths(t, "FilesAt "+ref, got, want)
		}
		all, err := repo.FilesAt("main", []string{""})
		ok(t, err)
		assertPaths(t, "FilesAt main (whole tree)", all, r.gitZ("ls-tree", "-r", "-z", "--name-only", "main"))
		if _, err := repo.FilesAt("nope", folders); !errors.Is(err, ErrUnknownRef) {
			t.Errorf("FilesAt(nope) error = %v", err)
		}
		if _, err := repo.FilesAt("main", []string{"../out"}); err == nil {
			t.Error("FilesAt outside the work tree: no error")
		}
	})
}

func TestBlobAt(t *testing.T) {
	r, _ := historyRepo(t)
	r.write("bin/run", "#!/bin/sh\n")
	ok(t, os.Chmod(r.abs("bin/run"), 0o755))
	r.symlink("app.ex", "lib/link.ex")
	r.git("add", "bin/run", "lib/link.ex")
	r.git("commit", "-q", "-m", "modes")
	bothBackends(t, r, func(t *testing.T, repo *Repo) {
		data, mode, err := repo.BlobAt("main", "priv/repo/migrations/20240301000000_main.exs")
		ok(t, err)
		if string(data) != "main\n" || mode != 0o644 {
			t.Errorf("BlobAt main = %q %v", data, mode)
		}
		data, _, err = repo.BlobAt("feature~1", "priv/resource_snapshots/repo/posts/20240101000001.json")
		ok(t, err)
		if string(data) != "{}\n" {
			t.Errorf("BlobAt feature~1 = %q", data)
		}
		_, mode, err = repo.BlobAt("HEAD", "bin/run")
		ok(t, err)
		if mode != 0o755 {
			t.Errorf("executable mode = %v", mode)
		}
		data, mode, err = repo.BlobAt("HEAD", "lib/link.ex")
		ok(t, err)
		if string(data) != "app.ex" || mode&os.ModeSymlink == 0 {
			t.Errorf("symlink = %q %v", data, mode)
		}
		for _, missing := range []string{"priv/repo/migrations/20240201000000_feat.exs", "nope/deeper/file"} {
			if _, _, err := repo.BlobAt("main", missing); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("BlobAt(main, %s) error = %v, want ErrNotExist", missing, err)
			}
		}
		if _, _, err := repo.BlobAt("main", "priv/repo"); err == nil {
			t.Error("BlobAt of a folder: no error")
		}
	})
}

func TestAddedSince(t *testing.T) {
	r, h := historyRepo(t)
	folders := []string{"priv/repo/migrations", "priv/resource_snapshots"}
	want := []string{
		"priv/repo/migrations/20240201000000_feat.exs",
		"priv/repo/migrations/20240401000000_staged.exs",
		"priv/resource_snapshots/repo/posts/20240201000001.json",
	}
	bothBackends(t, r, func(t *testing.T, repo *Repo) {
		base, err := repo.MergeBase("main")
		ok(t, err)
		got, err := repo.AddedSince(base, folders)
		ok(t, err)
		assertPaths(t, "AddedSince merge base", got, want)
		// Against main itself, main's own migration is not "added" (it is
		// absent from HEAD), and feature's are.
		got, err = repo.AddedSince("main", folders)
		ok(t, err)
		assertPaths(t, "AddedSince main", got, want)
		got, err = repo.AddedSince(h["feature"], folders)
		ok(t, err)
		assertPaths(t, "AddedSince HEAD", got, []string{"priv/repo/migrations/20240401000000_staged.exs"})
		got, err = repo.AddedSince(base, []string{"lib"})
		ok(t, err)
		assertPaths(t, "AddedSince lib", got, []string{"lib/other.ex"})
	})
}
