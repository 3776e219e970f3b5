//go:build !windows

package regen

import (
	"errors"
	"os"
	"syscall"
)

// tryLockFile takes flock(2) on f without waiting; busy means another
// process holds it.
func tryLockFile(f *os.File, _ string) (busy bool, err error) {
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	return errors.Is(err, syscall.EWOULDBLOCK), err
}

func unlockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// pidAlive: signal 0 checks without sending; EPERM is alive, someone else's.
func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
