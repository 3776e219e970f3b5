package migrator

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func fileSum(t *testing.T, p string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

func TestSnapshotSQLiteIsByteIdenticalAndRestoresByteIdentical(t *testing.T) {
	for _, mode := range []string{"delete", "wal"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "dev.db")
			conn, err := sql.Open("sqlite", "file:"+db)
			if err != nil {
				t.Fatal(err)
			}
			conn.SetMaxOpenConns(1)
			for _, s := range []string{"PRAGMA journal_mode=" + mode, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1), (2)"} {
				if _, err := conn.Exec(s); err != nil {
					t.Fatal(err)
				}
			}
			// Keep the writer's connection open: in WAL mode the rows sit in the -wal.
			backup := filepath.Join(dir, "backup.db")
			if err := SnapshotSQLite(context.Background(), db, backup); err != nil {
				t.Fatal(err)
			}
			if fileSum(t, db) != fileSum(t, backup) {
				t.Fatal("the copy is not byte-identical to the (checkpointed) database")
			}
			counts, err := SQLiteTableRowCounts(context.Background(), backup)
			if err != nil || counts["t"] != 2 {
				t.Fatalf("rows in the copy: %v %v", counts, err)
			}
			want := fileSum(t, db)
			if _, err := conn.Exec("INSERT INTO t VALUES (3)"); err != nil {
				t.Fatal(err)
			}
			conn.Close()
			if err := RestoreSQLite(backup, db); err != nil {
				t.Fatal(err)
			}
			if fileSum(t, db) != want {
				t.Fatal("the restored file differs from the snapshot")
			}
			if err := SnapshotSQLite(context.Background(), db, backup); err == nil {
				t.Fatal("an existing target must be refused")
			}
		})
	}
}

func TestSnapshotSQLiteMissingDatabase(t *testing.T) {
	err := SnapshotSQLite(context.Background(), filepath.Join(t.TempDir(), "none.db"), filepath.Join(t.TempDir(), "b.db"))
	if !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("want ErrNoDatabase, got %v", err)
	}
}
