package gitops

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDirStat: the work-tree comparison's lstat of 2,000 migrations,
// through the folder's descriptor (dirStat) and by full path (os.Lstat,
// the anchor).
func BenchmarkDirStat(b *testing.B) {
	root := b.TempDir()
	dir := filepath.Join(root, filepath.FromSlash(migs))
	ok(b, os.MkdirAll(dir, 0o755))
	var rels []string
	for i := range 2000 {
		name := fmt.Sprintf("2024%010d_step_%d.exs", i, i)
		ok(b, os.WriteFile(filepath.Join(dir, name), []byte("m"), 0o644))
		rels = append(rels, migs+"/"+name)
	}
	b.Run("dirstat", func(b *testing.B) {
		for b.Loop() {
			ds := newDirStat(root)
			for _, rel := range rels {
				if _, err := ds.lstat(rel); err != nil {
					b.Fatal(err)
				}
			}
			ds.close()
		}
	})
	b.Run("os.Lstat", func(b *testing.B) {
		for b.Loop() {
			for _, rel := range rels {
				if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
