package main

// Mix's build lock: a mix start compiles (or checks the compile) holding a
// lock on the build directory; another start waits for it, saying so. An
// orphan hung in its start holds it for as long as it lives, and every
// later mix command waits.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// buildLock takes the project's build lock (an flock: the kernel drops it
// when the holder dies), waiting while another process holds it, and
// returns its release. The lock file lives in the temp folder, keyed by the
// project, so that no umbrella app's folder gains an untracked file.
func buildLock(root string, stderr io.Writer) (func(), error) {
	sum := sha256.Sum256([]byte(root))
	path := filepath.Join(os.TempDir(), "mixsim-build-lock-"+hex.EncodeToString(sum[:8]))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		fmt.Fprintf(stderr, "Waiting for lock on the build directory (held by process %s)\n", strings.TrimSpace(string(holder)))
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
