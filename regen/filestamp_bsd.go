//go:build darwin || freebsd || netbsd

package regen

import (
	"io/fs"
	"syscall"
)

// changeStamp: as on Linux; the BSDs name the change time Ctimespec.
func changeStamp(info fs.FileInfo) (ctime int64, ino uint64, ok bool) {
	st, isStat := info.Sys().(*syscall.Stat_t)
	if !isStat {
		return 0, 0, false
	}
	return st.Ctimespec.Nano(), uint64(st.Ino), true
}
