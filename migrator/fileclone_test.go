package migrator

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// cloneTestDB writes a small WAL database with a few committed rows.
func cloneTestDB(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "dev.db")
	db := openRW(t, src, "journal_mode=WAL")
	mustExec(t, db, `CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)`,
		`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
		 INSERT INTO posts SELECT x, hex(randomblob(200)) FROM n`)
	db.Close()
	return src
}

// checkSnapshot backs src up with SnapshotSQLite and checks the backup is
// the very file (same sha256), private, and keeps its content when the
// database changes afterwards (a clone shares extents copy-on-write).
func checkSnapshot(t *testing.T, src string) {
	t.Helper()
	dst := filepath.Join(filepath.Dir(src), "backup.db")
	if err := SnapshotSQLite(context.Background(), src, dst); err != nil {
		t.Fatal(err)
	}
	want := fileSHA(t, src)
	if got := fileSHA(t, dst); got != want {
		t.Fatalf("backup sha256 %s, database %s", got, want)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode: %v %v", fi, err)
	}
	db := openRW(t, src)
	mustExec(t, db, `UPDATE posts SET body = 'changed'`, `VACUUM`)
	db.Close()
	if got := fileSHA(t, dst); got != want {
		t.Fatalf("the backup changed with the database: %s, was %s", got, want)
	}
}

// On a file system that can clone (REGEN_TEST_REFLINK_DIR: a folder on
// Btrfs or XFS with reflink=1), the backup is a clone, really.
func TestSnapshotClonesWhereTheFileSystemCan(t *testing.T) {
	dir := os.Getenv("REGEN_TEST_REFLINK_DIR")
	if dir == "" {
		t.Skip("REGEN_TEST_REFLINK_DIR not set (a folder on Btrfs or XFS with reflink=1)")
	}
	dir, err := os.MkdirTemp(dir, "clone-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	src := cloneTestDB(t, dir)
	cloned, err := snapshotCopy(src, filepath.Join(dir, "probe.db"))
	if err != nil {
		t.Fatal(err)
	}
	if !cloned {
		t.Fatalf("%s: the copy was not a clone", dir)
	}
	if fileSHA(t, filepath.Join(dir, "probe.db")) != fileSHA(t, src) {
		t.Fatal("the clone differs from the database")
	}
	checkSnapshot(t, src)
}

// Where the file system cannot clone (or across file systems), the bytes
// are copied and the backup is the same file.
func TestSnapshotCopiesWhereNoClone(t *testing.T) {
	dir := t.TempDir()
	src := cloneTestDB(t, dir)
	// Across file systems no clone is possible: /dev/shm is a tmpfs.
	if shm, err := os.MkdirTemp("/dev/shm", "clone-test-"); err == nil {
		t.Cleanup(func() { os.RemoveAll(shm) })
		dst := filepath.Join(shm, "copy.db")
		cloned, err := snapshotCopy(src, dst)
		if err != nil {
			t.Fatal(err)
		}
		if cloned {
			t.Fatal("a copy to another file system reported a clone")
		}
		if fileSHA(t, dst) != fileSHA(t, src) {
			t.Fatal("the copy differs from the database")
		}
	}
	checkSnapshot(t, src)
}
