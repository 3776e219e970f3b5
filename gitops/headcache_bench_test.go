package gitops

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// BenchmarkReadHeadCache reads back HEAD's listing of a 2,000-migration
// folder, as every `regen status` does (issue 15).
func BenchmarkReadHeadCache(b *testing.B) {
	file := filepath.Join(b.TempDir(), "head")
	commit := plumbing.NewHash("0123456789abcdef0123456789abcdef01234567")
	folders := []string{migs}
	entries := map[string]treeEntry{}
	for i := range 2000 {
		entries[fmt.Sprintf("%s/2024%010d_step_%d.exs", migs, i, i)] = treeEntry{hash: plumbing.NewHash(fmt.Sprintf("%040x", i)), mode: filemode.Regular}
	}
	writeHeadCache(file, commit, folders, []plumbing.Hash{plumbing.ZeroHash}, entries)
	for b.Loop() {
		got, ok := readHeadCache(file, commit, folders)
		if !ok || len(got) != 2000 {
			b.Fatalf("read %d entries, ok %v", len(got), ok)
		}
	}
}
