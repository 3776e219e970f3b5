package migrator

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A connection that stays open across the restore (a dev server) sees the
// restored database, and its next commit lands in the file: the restore
// went into the live database, not into a new inode.
func TestRestoreSQLiteInPlaceReachesOpenConnections(t *testing.T) {
	for _, mode := range []string{"delete", "wal"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			db := filepath.Join(dir, "dev.db")
			w := openRW(t, db, "journal_mode="+mode)
			mustExec(t, w, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1), (2)")
			holder, err := openRW(t, db, "busy_timeout=5000").Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Close()
			if n := countWith(t, holder, "t"); n != 2 {
				t.Fatalf("holder sees %d rows", n)
			}
			backup := filepath.Join(dir, "backup.db")
			if err := SnapshotSQLite(ctx, db, backup); err != nil {
				t.Fatal(err)
			}
			want, err := SQLiteTableStates(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, w, "INSERT INTO t VALUES (3)", "CREATE TABLE u (y)", "INSERT INTO u VALUES ('new')")
			if n := countWith(t, holder, "t"); n != 3 {
				t.Fatalf("holder sees %d rows before the restore", n)
			}
			if err := RestoreSQLiteInPlace(ctx, backup, db, nil); err != nil {
				t.Fatal(err)
			}
			if n := countWith(t, holder, "t"); n != 2 {
				t.Fatalf("the open connection sees %d rows after the restore, want 2", n)
			}
			got, err := SQLiteTableStates(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if d := DiffTableStates(want, got); len(d) > 0 {
				t.Fatalf("after the restore: %v", d)
			}
			if _, err := holder.ExecContext(ctx, "INSERT INTO t VALUES (4)"); err != nil {
				t.Fatal(err)
			}
			holder.Close()
			counts, err := SQLiteTableRowCounts(ctx, db)
			if err != nil || counts["t"] != 3 {
				t.Fatalf("the holder's commit after the restore is not in the file: %v %v", counts, err)
			}
		})
	}
}

// The check after a restore is byte-level: a database with other pages
// (one changed value) fails it and names the table.
func TestCheckSameAsBackupNamesTheTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "dev.db")
	w := openRW(t, db)
	mustExec(t, w, "CREATE TABLE t (x)", "CREATE TABLE other (y)", "INSERT INTO t VALUES (1)")
	backup := filepath.Join(dir, "backup.db")
	if err := SnapshotSQLite(ctx, db, backup); err != nil {
		t.Fatal(err)
	}
	if err := CheckSameAsBackup(ctx, db, backup); err != nil {
		t.Fatalf("a byte copy should match: %v", err)
	}
	mustExec(t, w, "UPDATE t SET x = 2")
	err := CheckSameAsBackup(ctx, db, backup)
	if err == nil || !strings.Contains(err.Error(), "t: rows or schema changed") || strings.Contains(err.Error(), "other:") {
		t.Fatalf("want the changed table named: %v", err)
	}
}

// A writer holding the lock makes the restore and the backup wait; they
// say so (once) through LockWait, and go on when the writer commits.
func TestLockWaitIsToldWhileAWriterHoldsTheLock(t *testing.T) {
	for _, op := range []string{"restore", "backup"} {
		t.Run(op, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			db := filepath.Join(dir, "dev.db")
			w := openRW(t, db)
			mustExec(t, w, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)")
			backup := filepath.Join(dir, "backup.db")
			if err := SnapshotSQLite(ctx, db, backup); err != nil {
				t.Fatal(err)
			}
			writer, err := openRW(t, db).Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer writer.Close()
			mustExecConn(t, writer, "BEGIN IMMEDIATE", "INSERT INTO t VALUES (2)")
			var mu sync.Mutex
			var told []string
			waiting := make(chan struct{})
			wait := func(path, what string, limit time.Duration) {
				mu.Lock()
				told = append(told, path+" "+what)
				mu.Unlock()
				close(waiting)
			}
			done := make(chan error, 1)
			go func() {
				if op == "restore" {
					done <- RestoreSQLiteInPlace(ctx, backup, db, wait)
				} else {
					done <- SnapshotSQLiteWait(ctx, db, filepath.Join(dir, "second.db"), wait)
				}
			}()
			<-waiting
			mustExecConn(t, writer, "COMMIT")
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(told) != 1 || !strings.Contains(told[0], db) {
				t.Fatalf("told %v", told)
			}
		})
	}
}

// Another process with the file open is named, with its command line.
func TestSQLiteHoldersNamesAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "dev.db")
	mustExec(t, openRW(t, db), "CREATE TABLE t (x)")
	if hs, known := SQLiteHolders(db); !known || len(hs) != 0 {
		t.Fatalf("no other process yet: %v %v", hs, known)
	}
	out := newWatchBuffer("ready")
	cc := childCommand("holddb", "CHILD_DB="+db)
	c := exec.Command(cc.Argv[0], cc.Argv[1:]...)
	c.Env = append(os.Environ(), cc.Env...)
	c.Stdout = out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	<-out.seen
	hs, known := SQLiteHolders(db)
	if !known || len(hs) != 1 || hs[0].PID != c.Process.Pid || !strings.Contains(hs[0].Command, os.Args[0]) {
		t.Fatalf("holders %v (known %v), want pid %d", hs, known, c.Process.Pid)
	}
	if s := DescribeHolders(hs, known); !strings.Contains(s, "held open by pid") {
		t.Fatal(s)
	}
}

func countWith(t *testing.T, c *sql.Conn, table string) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRowContext(context.Background(), "SELECT count(*) FROM "+quoteIdent(table)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustExecConn(t *testing.T, c *sql.Conn, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := c.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// A database nobody wrote since its backup is recognised as unchanged (so a
// restore leaves its bytes alone); one write, or a pending WAL, is a change.
func TestSQLiteUnchangedSinceItsBackup(t *testing.T) {
	for _, mode := range []string{"delete", "wal"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			db := filepath.Join(dir, "dev.db")
			w := openRW(t, db, "journal_mode="+mode)
			mustExec(t, w, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)")
			w.Close()
			backup := filepath.Join(dir, "backup.db")
			if err := SnapshotSQLite(ctx, db, backup); err != nil {
				t.Fatal(err)
			}
			if !SQLiteUnchangedSince(db, backup) {
				t.Fatal("an untouched database is reported changed")
			}
			w = openRW(t, db, "journal_mode="+mode)
			mustExec(t, w, "INSERT INTO t VALUES (2)")
			if SQLiteUnchangedSince(db, backup) {
				t.Fatal("a written database is reported unchanged")
			}
			w.Close()
			if SQLiteUnchangedSince(db, backup) {
				t.Fatal("a written database is reported unchanged after its connection closed")
			}
		})
	}
}
