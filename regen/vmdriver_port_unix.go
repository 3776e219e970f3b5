//go:build !windows

package regen

import "golang.org/x/sys/unix"

// hostPortInherited tells whether fd is a pipe or socket this process
// inherited (mix regen's port): not one regen opened itself (Go opens
// every fd close-on-exec), and not a file a shell left there under a
// stray REGEN_MIX_DRIVER, which the driver's bootstrap would overwrite.
func hostPortInherited(fd int) bool {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return false
	}
	if mode := st.Mode & unix.S_IFMT; mode != unix.S_IFIFO && mode != unix.S_IFSOCK {
		return false
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil && flags&unix.FD_CLOEXEC == 0
}
