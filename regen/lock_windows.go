package regen

import (
	"os"

	"github.com/regen-tool/regen/migrator"
)

// tryLockFile: a changing command holds its lock for the whole run and runs
// mix under it, and both need what Windows lacks (see
// migrator.UnsupportedError), so the run is refused here, before anything
// is backed up or changed.
func tryLockFile(_ *os.File, command string) (busy bool, err error) {
	return false, &migrator.UnsupportedError{What: "`" + command + "`", Why: "it holds its lock with flock(2) and runs mix in a process group it can signal as one, and Windows has neither"}
}

func unlockFile(*os.File) {}

// pidAlive: on Windows, finding a process opens a handle to it, which
// fails once it has exited.
func pidAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
