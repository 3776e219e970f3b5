package migrator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSnapshotPhases splits SnapshotSQLite (a WAL database of about
// 50 MB, as ecto_sqlite3 leaves a dev database) into its parts, in process,
// where regen runs it (no process start on either side):
//
//	snapshot        SnapshotSQLite: open, lock, checkpoint, copy, fsyncs
//	lock_only       open, journal_mode, checkpoint, BEGIN IMMEDIATE, ROLLBACK, close
//	copy_no_sync    createCopy + close: what cp does (a clone where it can)
//	file_fsync      the copy's fsync alone
//	folder_fsync    the folder's fsync alone (after the file's)
//
// REGEN_TEST_REFLINK_DIR puts the files on a file system that can clone
// (Btrfs, XFS with reflink=1); else the test's temp folder (ext4 here: the
// fsync path).
func BenchmarkSnapshotPhases(b *testing.B) {
	dir := b.TempDir()
	if d := os.Getenv("REGEN_TEST_REFLINK_DIR"); d != "" {
		var err error
		if dir, err = os.MkdirTemp(d, "snapshot-bench-"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
	}
	src := filepath.Join(dir, "dev.db")
	db := openRW(b, src)
	mustExec(b, db, `PRAGMA journal_mode = WAL`,
		`CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, views INTEGER)`,
		fmt.Sprintf(`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < %d)
		 INSERT INTO posts SELECT x, 'post ' || x, hex(randomblob(480)), x * 7 FROM n`, benchDBRows),
		`CREATE INDEX posts_title ON posts(title)`, `PRAGMA wal_checkpoint(TRUNCATE)`)
	db.Close()
	ctx := context.Background()
	run := func(name string, op func(dst string) error) {
		b.Run(name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				dst := filepath.Join(dir, fmt.Sprintf("%s-%d.db", name, i))
				if err := op(dst); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = os.Remove(dst)
				b.StartTimer()
			}
		})
	}
	run("snapshot", func(dst string) error { return SnapshotSQLite(ctx, src, dst) })
	run("lock_only", func(string) error {
		d, err := openReadWrite(src)
		if err != nil {
			return err
		}
		defer d.Close()
		c, err := d.Conn(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		var mode string
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return err
		}
		_, err = c.ExecContext(ctx, "ROLLBACK")
		return err
	})
	run("copy_no_sync", func(dst string) error {
		out, _, err := createCopy(src, dst)
		if err != nil {
			return err
		}
		return out.Close()
	})
	// The fsyncs alone: the copy is made with the timer stopped.
	timedSync := func(name string, sync func(out *os.File, dst string) error) {
		b.Run(name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				dst := filepath.Join(dir, fmt.Sprintf("%s-%d.db", name, i))
				out, _, err := createCopy(src, dst)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				err = sync(out, dst)
				b.StopTimer()
				out.Close()
				_ = os.Remove(dst)
				b.StartTimer()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	timedSync("file_fsync", func(out *os.File, _ string) error { return out.Sync() })
	timedSync("folder_fsync", func(out *os.File, dst string) error {
		b.StopTimer()
		err := out.Sync()
		b.StartTimer()
		if err != nil {
			return err
		}
		return syncDir(filepath.Dir(dst))
	})
}
