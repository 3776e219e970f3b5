package migrator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The costs the restore and the journal add, on the ~50 MB database of
// BenchmarkBackupSQLite: the in-place restore through the backup API (with
// its page check) against the rename it replaced, the page digest alone,
// the table states the run records after each step that changes the
// database, and the scan for other processes holding it.
func BenchmarkRestoreAndState(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	src := filepath.Join(dir, "dev.db")
	db := openRW(b, src, "journal_mode=WAL")
	mustExec(b, db,
		`CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, views INTEGER)`,
		fmt.Sprintf(`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < %d)
		 INSERT INTO posts SELECT x, 'post ' || x, hex(randomblob(480)), x * 7 FROM n`, benchDBRows),
		`CREATE INDEX posts_title ON posts(title)`)
	db.Close()
	backup := filepath.Join(dir, "backup.db")
	if err := SnapshotSQLite(ctx, src, backup); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(backup)
	b.Logf("database: %.1f MB", float64(info.Size())/1e6)
	b.Run("restore_rename", func(b *testing.B) {
		for b.Loop() {
			if err := RestoreSQLite(backup, src); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("restore_in_place_checked", func(b *testing.B) {
		for b.Loop() {
			if err := RestoreSQLiteInPlace(ctx, backup, src, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("page_digest", func(b *testing.B) {
		for b.Loop() {
			if _, err := SQLitePageDigest(ctx, src); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("table_states", func(b *testing.B) {
		for b.Loop() {
			if _, err := SQLiteTableStates(ctx, src); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("holders", func(b *testing.B) {
		for b.Loop() {
			SQLiteHolders(src)
		}
	})
}
