package migrator

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
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

// TestSQLiteHoldersLeaseSeesEveryOpen: the fast answer (no process has the
// file open, by a write lease) is given only when nobody has it open:
// another process's descriptor, one of this process, a mapping left after
// its descriptor was closed and a sidecar held alone each send it to the
// /proc walk, which then finds the holder (or, for this process, none).
func TestSQLiteHoldersLeaseSeesEveryOpen(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "dev.db")
	rw := openRW(t, db)
	mustExec(t, rw, "CREATE TABLE t (x)")
	rw.Close()
	key := func(path string) fileKey {
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		return fileKey{uint64(st.Dev), st.Ino}
	}
	if !openNowhere(db, key(db)) {
		t.Skip("this file system or kernel grants no write lease: every answer is the walk's (TestSQLiteHoldersFindsAHighFd)")
	}
	if hs, known := SQLiteHolders(db); !known || len(hs) != 0 {
		t.Fatalf("closed database: holders %v (known %v), want none", hs, known)
	}

	// Another file at the path than the one asked about: no answer.
	other := filepath.Join(dir, "other.db")
	if err := os.WriteFile(other, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if openNowhere(db, key(other)) {
		t.Error("openNowhere answered for another file than the one at the path")
	}

	// Open here.
	f, err := os.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	if openNowhere(db, key(db)) {
		t.Error("openNowhere: the database is open in this process, yet it says nobody has it open")
	}
	// Mapped here, its descriptor closed.
	mem, err := unix.Mmap(int(f.Fd()), 0, 4096, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if openNowhere(db, key(db)) {
		t.Error("openNowhere: the database is mapped in this process, yet it says nobody has it open")
	}
	if hs, known := SQLiteHolders(db); !known || len(hs) != 0 {
		t.Errorf("held by this process only: holders %v (known %v), want none (this process is not another)", hs, known)
	}
	unix.Munmap(mem)
	if !openNowhere(db, key(db)) {
		t.Error("openNowhere: unmapped and closed, yet it says someone has it open")
	}

	// Held by another process: the database itself (read only, read-write,
	// write only), then its -wal alone.
	type holding struct {
		path string
		flag int
	}
	for _, h := range []holding{{db, os.O_RDONLY}, {db, os.O_RDWR}, {db, os.O_WRONLY}, {db + "-wal", os.O_RDONLY}} {
		held := h.path
		if held != db {
			if err := os.WriteFile(held, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		hf, err := os.OpenFile(held, h.flag, 0)
		if err != nil {
			t.Fatal(err)
		}
		c := exec.Command(sleep, "30")
		c.ExtraFiles = []*os.File{hf}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		hf.Close()
		if openNowhere(held, key(held)) {
			t.Errorf("%s (open flags %#o): openNowhere says nobody has it open while pid %d does", held, h.flag, c.Process.Pid)
		}
		hs, known := SQLiteHolders(db)
		c.Process.Kill()
		c.Wait()
		if !known || len(hs) != 1 || hs[0].PID != c.Process.Pid {
			t.Errorf("%s held by pid %d: holders %v (known %v)", filepath.Base(held), c.Process.Pid, hs, known)
		}
	}
	if hs, known := SQLiteHolders(db); !known || len(hs) != 0 {
		t.Fatalf("holder gone: holders %v (known %v), want none", hs, known)
	}
}
