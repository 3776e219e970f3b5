//go:build !windows

package regen

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The driver's private temp folder (the socket, the script) is removed at
// every ending regen sees; after a kill -9 or a power loss it stays. So
// its owner holds an flock on <folder>/owner for the run's life (the
// kernel drops it with the process), and each later driver start sweeps
// the folders whose lock it can take: their owner is gone.

const (
	vmTempPrefix = "regen-vm-"
	vmOwnerFile  = "owner"
	// vmSweepAge spares a folder made in the instant before its owner took
	// the lock.
	vmSweepAge = time.Minute
	// vmLegacyAge: folders of regen versions that held no lock are swept
	// once they are this old.
	vmLegacyAge = 24 * time.Hour
)

// vmTempDir makes the run's driver folder and locks it for this process;
// release unlocks (after the folder is removed).
func vmTempDir() (dir string, release func(), err error) {
	dir, err = os.MkdirTemp("", vmTempPrefix)
	if err != nil {
		return "", nil, err
	}
	fd, err := unix.Open(filepath.Join(dir, vmOwnerFile), unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err == nil {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	}
	if err != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, func() { unix.Close(fd) }, nil
}

// sweepVMTempDirs removes the driver folders of runs that are gone, in
// the temp folder: only this user's real folders named regen-vm-*, never
// through a link, never one whose owner still holds its lock or that is
// younger than vmSweepAge. It reports how many it removed.
func sweepVMTempDirs(now time.Time) int {
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return 0
	}
	removed := 0
	for _, en := range entries {
		if !strings.HasPrefix(en.Name(), vmTempPrefix) || !en.IsDir() {
			continue // a link is never a folder here: ReadDir does not follow it
		}
		dir := filepath.Join(tmp, en.Name())
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Geteuid() {
			continue // another user's (a shared /tmp)
		}
		age := now.Sub(fi.ModTime())
		if age < vmSweepAge {
			continue
		}
		gone, release := ownerGone(dir, age)
		if gone && os.RemoveAll(dir) == nil {
			removed++
		}
		release()
	}
	return removed
}

// ownerGone: the owner file's lock can be taken (its process is gone), or
// there is no owner file and the folder is older than vmLegacyAge. The
// lock taken stays held until release, after the removal: two sweepers
// never remove a folder under each other.
func ownerGone(dir string, age time.Duration) (bool, func()) {
	none := func() {}
	fd, err := unix.Open(filepath.Join(dir, vmOwnerFile), unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if errors.Is(err, unix.ENOENT) {
		return age >= vmLegacyAge, none
	}
	if err != nil {
		return false, none
	}
	release := func() { unix.Close(fd) }
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false, release
	}
	return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) == nil, release
}
