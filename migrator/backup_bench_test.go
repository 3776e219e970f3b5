package migrator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchDBRows × ~1 KiB rows (plus an index) make a database of about 50 MB.
const benchDBRows = 45000

// BenchmarkBackupSQLite compares the backup regen uses (VACUUM INTO on a
// read-only connection) with the anchor: a plain file copy with io.Copy,
// fsynced like the backup, which is the floor for any byte-level backup but
// is not safe on a live database.
func BenchmarkBackupSQLite(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "dev.db")
	db := openRW(b, src)
	mustExec(b, db,
		`CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, views INTEGER)`,
		fmt.Sprintf(`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < %d)
		 INSERT INTO posts SELECT x, 'post ' || x, hex(randomblob(480)), x * 7 FROM n`, benchDBRows),
		`CREATE INDEX posts_title ON posts(title)`)
	db.Close()
	info, err := os.Stat(src)
	if err != nil {
		b.Fatal(err)
	}
	size := info.Size()
	b.Logf("database: %.1f MB", float64(size)/1e6)

	run := func(b *testing.B, backup func(dst string) error) {
		b.SetBytes(size)
		for i := 0; b.Loop(); i++ {
			dst := filepath.Join(dir, fmt.Sprintf("backup-%s-%d.db", filepath.Base(b.Name()), i))
			if err := backup(dst); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			_ = os.Remove(dst)
			b.StartTimer()
		}
	}
	b.Run("file_copy", func(b *testing.B) {
		run(b, func(dst string) error { return snapshotCopyFile(src, dst) })
	})
	b.Run("vacuum_into", func(b *testing.B) {
		run(b, func(dst string) error { return BackupSQLite(context.Background(), src, dst) })
	})
}
