package regen

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkInventory: the backup's inventory of 2,000 migrations that git
// vouches for (listing and stats known from the scan), and the commit's
// (all read).
func BenchmarkInventory(b *testing.B) {
	root := b.TempDir()
	dir := filepath.Join(root, "priv", "repo", "migrations")
	os.MkdirAll(dir, 0o755)
	clean := map[string]string{}
	stats := map[string]fs.FileInfo{}
	for i := 0; i < 2000; i++ {
		rel := fmt.Sprintf("priv/repo/migrations/%014d_m%d.exs", 20250101000000+i, i)
		p := filepath.Join(root, filepath.FromSlash(rel))
		os.WriteFile(p, []byte("defmodule M do end\n"), 0o644)
		clean[p] = fmt.Sprintf("%040x", i)
		stats[rel], _ = os.Lstat(p)
	}
	folders := []string{"priv/repo/migrations"}
	listing, _ := os.ReadDir(dir)
	known := &knownFS{
		lstat: func(rel string) (fs.FileInfo, bool) { fi, ok := stats[rel]; return fi, ok },
		listing: func(rel string) ([]fs.DirEntry, bool) {
			return listing, rel == "priv/repo/migrations"
		},
	}
	b.Run("backup", func(b *testing.B) {
		for b.Loop() {
			h := &fileHasher{}
			h.trustIndex(clean)
			if _, err := h.inventoryStat(root, folders, known); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("commit", func(b *testing.B) {
		h := &fileHasher{}
		h.trustIndex(clean)
		h.inventoryStat(root, folders, known)
		for b.Loop() {
			if _, err := h.inventory(root, folders); err != nil {
				b.Fatal(err)
			}
		}
	})
}
