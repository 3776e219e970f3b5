package regen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// JournalWriteError: the journal (or a closed run's record) could not be
// written. The step that was running is not what failed.
type JournalWriteError struct {
	Path string
	Err  error
}

func (e *JournalWriteError) Error() string {
	return fmt.Sprintf("cannot write the journal %s: %v", e.Path, e.Err)
}

func (e *JournalWriteError) Unwrap() error { return e.Err }

// storageKinds are the ways a file system refuses writes as such: nothing
// regen or mix did wrong, and nothing a retry fixes until the user acts.
var storageKinds = []struct {
	errno     syscall.Errno
	what, fix string
}{
	{syscall.ENOSPC, "the file system is full (no space left on device)", "Free space on the file system holding %[1]s (`df -h %[1]s`)"},
	{syscall.EDQUOT, "the disk quota is exhausted (disk quota exceeded)", "Free space, or raise your quota, on the file system holding %[1]s (`quota -s`, `df -h %[1]s`)"},
	{syscall.EFBIG, "a file size limit was reached (file too large)", "Raise the file size limit (`ulimit -f`, see `ulimit -a`) that stopped a write in %[1]s"},
	{syscall.EROFS, "the file system is read-only", "Make the file system holding %[1]s writable again (`findmnt -T %[1]s`)"},
	{syscall.EIO, "the disk reported an I/O error", "Check the disk holding %[1]s (`dmesg`, `df -h %[1]s`)"},
}

// storageFault is a storage error found in an error chain, with the folder
// it happened in (empty when the error names no path).
type storageFault struct {
	what, fix, dir string
	journal        bool // it was the journal that could not be written
}

// storageIn returns the first storage error among errs, or nil.
func storageIn(errs ...error) *storageFault {
	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, k := range storageKinds {
			if !errors.Is(err, k.errno) {
				continue
			}
			f := &storageFault{what: k.what, fix: k.fix, dir: "."}
			var jw *JournalWriteError
			var pe *os.PathError
			var le *os.LinkError
			switch {
			case errors.As(err, &jw):
				f.journal, f.dir = true, filepath.Dir(jw.Path)
			case errors.As(err, &pe):
				f.dir = filepath.Dir(pe.Path)
			case errors.As(err, &le):
				f.dir = filepath.Dir(le.New)
			}
			return f
		}
	}
	return nil
}

// advice is what to do about it, then next (e.g. "run `regen recover`").
func (f *storageFault) advice(next string) string {
	return fmt.Sprintf(f.fix, f.dir) + ", then " + next + "."
}
