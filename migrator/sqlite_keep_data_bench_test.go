package migrator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSQLiteKeepData is the keep_data step on 50 tables × 10,000
// rows against the plain backup copy of the same pre-run database
// (SnapshotSQLite, what the run's backup step takes), in the same run. The migrated
// database is the pre-run one with what a regeneration loses: every table
// lost its `note` column's values (re-created NULL) and a tenth of its rows
// (dropped and re-created), so the carry has updates and inserts to do.
// Report the ratio keep/backup (ns/op).
func BenchmarkSQLiteKeepData(b *testing.B) {
	dir := b.TempDir()
	old := filepath.Join(dir, "old.db")
	var stmts, lose []string
	for i := 0; i < 50; i++ {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE t%d (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER, note TEXT)", i),
			fmt.Sprintf(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10000)
			INSERT INTO t%d SELECT x, 'name ' || x, x * 7, 'some text for row ' || x FROM c`, i))
		lose = append(lose, fmt.Sprintf("UPDATE t%d SET note = NULL", i), fmt.Sprintf("DELETE FROM t%d WHERE id %% 10 = 0", i))
	}
	execAll(b, old, append([]string{"PRAGMA journal_mode=WAL", ectoSchema}, stmts...)...)
	if fi, err := os.Stat(old); err == nil {
		b.Logf("pre-run database: %.1f MB", float64(fi.Size())/1e6)
	}
	migrated := filepath.Join(dir, "migrated.db")
	if err := BackupSQLite(context.Background(), old, migrated); err != nil {
		b.Fatal(err)
	}
	execAll(b, migrated, lose...)
	b.Run("backup", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			dst := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
			if err := SnapshotSQLite(context.Background(), old, dst); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			os.Remove(dst)
			b.StartTimer()
		}
	})
	b.Run("keep_data", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			work := filepath.Join(dir, fmt.Sprintf("work-%d.db", i))
			if err := BackupSQLite(context.Background(), migrated, work); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			rep, err := SQLiteKeepData(context.Background(), work, old, "", nil)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if len(rep.Kept) != 100 {
				b.Fatalf("kept %d items, want 100 (50 tables' notes and rows)", len(rep.Kept))
			}
			os.Remove(work)
			b.StartTimer()
		}
	})
}
