package migrator

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSQLiteHoldersFindsAHighFd: the /proc walk reads a process's fd folder
// to its end (more entries than one read returns) and still finds the
// database held at the last descriptor, through a renamed path too.
func TestSQLiteHoldersFindsAHighFd(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "dev.db")
	mustExec(t, openRW(t, db), "CREATE TABLE t (x)")
	var extra []*os.File
	for range 700 {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		extra = append(extra, f)
	}
	held, err := os.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	c := exec.Command(sleep, "30")
	c.ExtraFiles = append(extra, held)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	held.Close() // only the child holds it now
	for _, f := range extra {
		f.Close()
	}
	for _, path := range []string{db, filepath.Join(dir, "renamed.db")} {
		if path != db {
			if err := os.Rename(db, path); err != nil {
				t.Fatal(err)
			}
		}
		hs, known := SQLiteHolders(path)
		if !known || len(hs) != 1 || hs[0].PID != c.Process.Pid {
			t.Fatalf("%s: holders %v (known %v), want pid %d", path, hs, known, c.Process.Pid)
		}
	}
}
