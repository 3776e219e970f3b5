package regen

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

// Every storage error of the class gets its own words and its own advice
// (the full-disk case itself runs end to end on a real tmpfs in
// cmd/regen/reliability_diskfull_test.go).
func TestStorageErrorsAreNamedWithWhatToDo(t *testing.T) {
	// A real ENOSPC from the kernel: /dev/full refuses every write.
	var real error
	if f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0); err == nil {
		_, real = f.Write([]byte("x"))
		f.Close()
		if !errors.Is(real, syscall.ENOSPC) {
			t.Fatalf("/dev/full: %v", real)
		}
	}
	cases := []struct {
		errno      syscall.Errno
		what, todo string
	}{
		{syscall.ENOSPC, "no space left on device", "Free space on the file system holding"},
		{syscall.EDQUOT, "disk quota exceeded", "raise your quota"},
		{syscall.EFBIG, "file too large", "ulimit -f"},
		{syscall.EROFS, "read-only", "writable again"},
		{syscall.EIO, "I/O error", "dmesg"},
	}
	for _, c := range cases {
		jw := &JournalWriteError{Path: "/g/regen/journal.json", Err: &os.PathError{Op: "write", Path: "/g/regen/.journal.json.tmp-1", Err: c.errno}}
		u := &UnrestoredError{Step: "mixdo", Cause: jw, Problems: []string{jw.Error()}, BackupDir: "/g/regen/backup/x", Storage: storageIn(jw)}
		msg := u.Error()
		for _, want := range []string{"regen could not write its journal (step mixdo)", c.what, c.todo, "/g/regen", "regen recover", "/g/regen/backup/x"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%v: the message lacks %q:\n%s", c.errno, want, msg)
			}
		}
		if strings.HasPrefix(msg, "mixdo failed") {
			t.Errorf("%v: blames the step:\n%s", c.errno, msg)
		}
		r := &RestoredError{Step: "codegen", Cause: &os.PathError{Op: "write", Path: "/p/priv/x", Err: c.errno}}
		if !strings.Contains(r.Error(), c.todo) || !strings.Contains(r.Error(), "run the same command again") {
			t.Errorf("%v: restored message:\n%s", c.errno, r.Error())
		}
	}
	if real != nil && storageIn(real) == nil {
		t.Errorf("a real ENOSPC (%v) is not recognised", real)
	}
	if storageIn(errors.New("exit status 1"), nil) != nil {
		t.Error("an ordinary failure taken for a storage error")
	}
}
