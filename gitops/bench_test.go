package gitops

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkUntracked measures Untracked on a repository with 20,000
// tracked files elsewhere and a migrations folder of 2,000 tracked and 5
// untracked files. The git-cli sub-benchmark runs
// `git ls-files --others --exclude-standard -- folder` as the anchor;
// open+untracked includes reading the index (a fresh regen run), cached
// reuses an opened Repo (later calls in the same run).
func BenchmarkUntracked(b *testing.B) {
	isolateGit(b)
	tr := newRepo(b)
	for d := 0; d < 200; d++ {
		dir := tr.abs(fmt.Sprintf("lib/app/mod%03d", d))
		ok(b, os.MkdirAll(dir, 0o755))
		for f := 0; f < 100; f++ {
			ok(b, os.WriteFile(filepath.Join(dir, fmt.Sprintf("file%03d.ex", f)), []byte(fmt.Sprint("defmodule M", d, f)), 0o644))
		}
	}
	ok(b, os.MkdirAll(tr.abs(migs), 0o755))
	for i := 0; i < 2000; i++ {
		ok(b, os.WriteFile(tr.abs(fmt.Sprintf("%s/2024%010d_m%d.exs", migs, i, i)), []byte("migration"), 0o644))
	}
	tr.write(".gitignore", "_build/\ndeps/\n*.swp\n")
	tr.git("add", "-A")
	tr.git("commit", "-qm", "big")
	for i := 0; i < 5; i++ {
		tr.write(fmt.Sprintf("%s/2025%010d_new%d.exs", migs, i, i), "new")
	}
	folders := []string{migs}

	b.Run("git-cli", func(b *testing.B) {
		for b.Loop() {
			if n := len(tr.lsFiles(othersFlags, migs)); n != 5 {
				b.Fatalf("git listed %d files", n)
			}
		}
	})
	b.Run("open+untracked", func(b *testing.B) {
		for b.Loop() {
			r, err := Open(tr.dir)
			if err != nil {
				b.Fatal(err)
			}
			if n := len(must[[]string](b)(r.Untracked(folders))); n != 5 {
				b.Fatalf("listed %d files", n)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		r := tr.open()
		for b.Loop() {
			if n := len(must[[]string](b)(r.Untracked(folders))); n != 5 {
				b.Fatalf("listed %d files", n)
			}
		}
	})
}

// BenchmarkOpenEnv measures what honouring git's environment costs: Open
// with nothing set (discovery, no process) against Open with GIT_DIR and
// GIT_WORK_TREE set (two `git rev-parse` runs), and IndexHashes of 2,000
// files with and without a .gitattributes (one `git check-attr`).
func BenchmarkOpenEnv(b *testing.B) {
	isolateGit(b)
	tr := newRepo(b)
	ok(b, os.MkdirAll(tr.abs(migs), 0o755))
	for i := 0; i < 2000; i++ {
		ok(b, os.WriteFile(tr.abs(fmt.Sprintf("%s/2024%010d_m%d.exs", migs, i, i)), []byte("migration"), 0o644))
	}
	tr.git("add", "-A")
	tr.git("commit", "-qm", "big")
	b.Run("discovery", func(b *testing.B) {
		for b.Loop() {
			must[*Repo](b)(Open(tr.dir))
		}
	})
	b.Run("GIT_INDEX_FILE", func(b *testing.B) {
		b.Setenv("GIT_INDEX_FILE", tr.abs(".git/index"))
		for b.Loop() {
			must[*Repo](b)(Open(tr.dir))
		}
	})
	b.Run("GIT_DIR", func(b *testing.B) {
		b.Setenv("GIT_DIR", tr.abs(".git"))
		b.Setenv("GIT_WORK_TREE", tr.dir)
		for b.Loop() {
			must[*Repo](b)(Open(tr.dir))
		}
	})
	b.Run("hashes-no-attributes", func(b *testing.B) {
		r := tr.open()
		for b.Loop() {
			if n := len(must[map[string]string](b)(r.IndexHashes([]string{migs}))); n != 2000 {
				b.Fatalf("%d hashes", n)
			}
		}
	})
	b.Run("hashes-attributes-without-filters", func(b *testing.B) {
		tr.write(".gitattributes", "*.ex diff=elixir\n*.exs diff=elixir\n")
		r := tr.open()
		for b.Loop() {
			if n := len(must[map[string]string](b)(r.IndexHashes([]string{migs}))); n != 2000 {
				b.Fatalf("%d hashes", n)
			}
		}
	})
	b.Run("hashes-with-attributes", func(b *testing.B) {
		tr.write(".gitattributes", "*.json text\n")
		r := tr.open()
		for b.Loop() {
			if n := len(must[map[string]string](b)(r.IndexHashes([]string{migs}))); n != 2000 {
				b.Fatalf("%d hashes", n)
			}
		}
	})
}
