package migrator

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The backup of a live WAL database must contain rows that are committed but
// still only in the -wal file, while the writer keeps the database open.
func TestBackupSQLiteWAL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.db")
	db := newBlogDB(t, path, "journal_mode=wal", "wal_autocheckpoint=0")
	mustExec(t, db, `INSERT INTO posts VALUES ('p3', 'Only in the WAL', '2026-11-22T00:00:00Z')`)
	if info, err := os.Stat(path + "-wal"); err != nil || info.Size() == 0 {
		t.Fatalf("test setup: expected a non-empty -wal: %v", err)
	}
	mainBefore := fileSHA(t, path)

	dst := filepath.Join(dir, "backup", "dev.db")
	if err := os.Mkdir(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := BackupSQLite(context.Background(), path, dst); err != nil {
		t.Fatal(err)
	}
	// The backup is one self-contained file: no -wal or -shm beside it.
	// (Checked before reading it: a read-only connection to a WAL database
	// creates those and, being read-only, cannot remove them.)
	if names := dirNames(t, filepath.Dir(dst)); !reflect.DeepEqual(names, []string{"dev.db"}) {
		t.Errorf("backup folder holds %q, want only the backup", names)
	}
	info, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %v, want 0600", info.Mode().Perm())
	}
	counts, err := SQLiteTableRowCounts(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	if counts["posts"] != 3 {
		t.Errorf("backup has %d posts, want 3 (the WAL row included)", counts["posts"])
	}
	if fileSHA(t, path) != mainBefore {
		t.Error("backup wrote to the source database file")
	}
	// Same rows and schema, table by table.
	src, err := SQLiteTableDigests(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := SQLiteTableDigests(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(src, got) {
		t.Errorf("digests differ:\nsource %v\nbackup %v", src, got)
	}
	// WAL mode is a persistent property of the file; the backup keeps it.
	if h := fileHeader(t, dst); h[18] != 2 || h[19] != 2 {
		t.Errorf("backup header read/write versions %d/%d, want 2/2 (WAL)", h[18], h[19])
	}
}

func TestBackupSQLiteKeepsRollbackMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.db")
	newBlogDB(t, path).Close()
	dst := filepath.Join(dir, "b.db")
	if err := BackupSQLite(context.Background(), path, dst); err != nil {
		t.Fatal(err)
	}
	if h := fileHeader(t, dst); h[18] != 1 || h[19] != 1 {
		t.Errorf("header %d/%d, want 1/1 (rollback journal)", h[18], h[19])
	}
}

func fileHeader(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := make([]byte, 100)
	if _, err := io.ReadFull(f, h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestBackupSQLiteWhileWriterHoldsLock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.db")
	db := newBlogDB(t, path, "journal_mode=wal")
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "DELETE FROM posts"); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "b.db")
	if err := BackupSQLite(ctx, path, dst); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	counts, err := SQLiteTableRowCounts(ctx, dst)
	if err != nil || counts["posts"] != 2 {
		t.Errorf("backup during an open write transaction: %v, %v (want the committed 2 posts)", counts, err)
	}
}

func TestBackupSQLiteRefusesExistingDestination(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.db")
	newBlogDB(t, path)
	dst := filepath.Join(dir, "b.db")
	if err := os.WriteFile(dst, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := BackupSQLite(context.Background(), path, dst); !errors.Is(err, fs.ErrExist) {
		t.Errorf("err = %v, want ErrExist", err)
	}
	if data, _ := os.ReadFile(dst); string(data) != "keep me" {
		t.Error("existing destination was overwritten")
	}
	// A failed backup leaves no partial file behind.
	bad := filepath.Join(dir, "not-a-db")
	if err := os.WriteFile(bad, []byte("garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := BackupSQLite(context.Background(), bad, filepath.Join(dir, "b2.db")); err == nil {
		t.Error("backup of a non-database succeeded")
	}
	if exists(filepath.Join(dir, "b2.db")) {
		t.Error("failed backup left a file")
	}
}

func TestBackupSQLiteCancelled(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.db")
	newBlogDB(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := BackupSQLite(ctx, path, filepath.Join(dir, "b.db")); err == nil {
		t.Error("backup with a cancelled context succeeded")
	}
	if exists(filepath.Join(dir, "b.db")) {
		t.Error("cancelled backup left a file")
	}
}

// Restore gives back the backup byte for byte, drops the replaced database's
// -wal/-shm (which would otherwise be replayed onto it) and keeps the mode.
func TestRestoreSQLite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.db")
	db := newBlogDB(t, path, "journal_mode=wal")
	dst := filepath.Join(dir, "backup.db")
	if err := BackupSQLite(context.Background(), path, dst); err != nil {
		t.Fatal(err)
	}
	before, err := SQLiteTableDigests(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}

	// The "migration" changes data and leaves uncheckpointed WAL content.
	mustExec(t, db, "PRAGMA wal_autocheckpoint=0",
		`DELETE FROM comments`, `DROP TABLE comments`,
		`UPDATE posts SET title = 'changed'`,
		`DELETE FROM schema_migrations WHERE version = 20261122000123`)
	db.Close()
	// Simulate the state a killed process leaves: stale sidecar files.
	for _, s := range []string{"-wal", "-shm", "-journal"} {
		if err := os.WriteFile(path+s, []byte("stale"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}

	if err := RestoreSQLite(dst, path); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, path) != fileSHA(t, dst) {
		t.Error("restored file is not byte-identical to the backup")
	}
	for _, s := range []string{"-wal", "-shm", "-journal"} {
		if exists(path + s) {
			t.Errorf("stale %s left behind", s)
		}
	}
	// No temporary (or stale) file is left in the directory.
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"backup.db", "dev.db"}) {
		t.Errorf("directory holds %q", names)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want the original 0640", info.Mode().Perm())
	}
	after, err := SQLiteTableDigests(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("digests after restore differ:\n%v\n%v", before, after)
	}
}

func TestRestoreSQLiteMissingTargetAndSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.db")
	newBlogDB(t, path).Close()
	dst := filepath.Join(dir, "backup.db")
	if err := BackupSQLite(context.Background(), path, dst); err != nil {
		t.Fatal(err)
	}

	// The database was deleted meanwhile: restore recreates it.
	gone := filepath.Join(dir, "gone.db")
	if err := RestoreSQLite(dst, gone); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, gone) != fileSHA(t, dst) {
		t.Error("restore to a missing path is not byte-identical")
	}

	// A symlinked database path is restored at the target; the link stays.
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(path, link); err != nil {
		t.Skip(err)
	}
	if err := RestoreSQLite(dst, link); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("link replaced by a file: %v %v", info, err)
	}
	if fileSHA(t, path) != fileSHA(t, dst) {
		t.Error("link target not restored")
	}

	if err := RestoreSQLite(filepath.Join(dir, "no-backup"), path); err == nil {
		t.Error("restore from a missing backup succeeded")
	}
}

func TestSQLiteTableDigests(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.db")
	db := newBlogDB(t, path)
	ctx := context.Background()
	base, err := SQLiteTableDigests(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(base) != 3 || len(base["posts"]) != 64 {
		t.Fatalf("digests = %v", base)
	}
	again, _ := SQLiteTableDigests(ctx, path)
	if !reflect.DeepEqual(base, again) {
		t.Fatal("digests are not stable")
	}
	counts, err := SQLiteTableRowCounts(ctx, path)
	if err != nil || !reflect.DeepEqual(counts, map[string]int64{"schema_migrations": 2, "posts": 2, "comments": 3}) {
		t.Errorf("counts = %v, %v", counts, err)
	}

	// Each change is made on a fresh copy of the same database, so exactly
	// one table's digest may differ from base.
	changed := func(what string, stmts ...string) {
		t.Helper()
		p := filepath.Join(t.TempDir(), "dev.db")
		other := newBlogDB(t, p)
		mustExec(t, other, stmts...)
		other.Close()
		got, err := SQLiteTableDigests(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		var diff []string
		for k := range base {
			if got[k] != base[k] {
				diff = append(diff, k)
			}
		}
		for k := range got {
			if _, ok := base[k]; !ok {
				diff = append(diff, k)
			}
		}
		if len(diff) != 1 {
			t.Errorf("%s: tables changed %v, want exactly one", what, diff)
		}
	}
	// Sanity: an identical database built separately (other file, other
	// page layout after VACUUM) digests the same.
	same := filepath.Join(t.TempDir(), "same.db")
	mustExec(t, newBlogDB(t, same), "VACUUM")
	if got, _ := SQLiteTableDigests(ctx, same); !reflect.DeepEqual(got, base) {
		t.Errorf("identical content, different digests:\n%v\n%v", got, base)
	}
	changed("one value", `UPDATE posts SET title = 'Hello!' WHERE id = 'p1'`)
	changed("a type only", `UPDATE comments SET body = 1 WHERE body = 'second'`, `UPDATE comments SET body = '1' WHERE body = 1`, `UPDATE comments SET body = 1.0 WHERE body = '1'`)
	changed("a duplicate row removed", `DELETE FROM comments WHERE rowid = (SELECT min(rowid) FROM comments)`)
	changed("an index", `CREATE INDEX posts_title ON posts(title)`)
	changed("a new table", `CREATE TABLE tags (id TEXT)`)
	changed("a version", `DELETE FROM schema_migrations WHERE version = 20261122000123`)
	changed("float precision", `INSERT INTO posts VALUES ('p9', 0.30000000000000004, 'x')`)

	// Digests ignore rowids, which VACUUM may renumber.
	mustExec(t, db, `CREATE TABLE plain (v TEXT)`, `INSERT INTO plain VALUES ('a'), ('b')`)
	withRowids, _ := SQLiteTableDigests(ctx, path)
	mustExec(t, db, `DELETE FROM plain WHERE v = 'a'`, `INSERT INTO plain VALUES ('a')`)
	renumbered, _ := SQLiteTableDigests(ctx, path)
	if withRowids["plain"] != renumbered["plain"] {
		t.Error("same rows with other rowids gave another digest")
	}
}

// Floats that differ in the last bit must not collapse to one rendering.
func TestSQLiteTableDigestsFloatPrecision(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	mustExec(t, openRW(t, a), `CREATE TABLE f (x REAL)`, `INSERT INTO f VALUES (0.1 + 0.2)`)
	mustExec(t, openRW(t, b), `CREATE TABLE f (x REAL)`, `INSERT INTO f VALUES (0.3)`)
	da, err := SQLiteTableDigests(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := SQLiteTableDigests(context.Background(), b)
	if da["f"] == db["f"] {
		t.Error("0.1+0.2 and 0.3 digest the same")
	}
}
