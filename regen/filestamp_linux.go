package regen

import (
	"io/fs"
	"syscall"
)

// changeStamp is the inode's change time and number: with size and mtime
// they tell the hash cache a file is untouched (a rewrite that restores the
// mtime still moves the ctime).
func changeStamp(info fs.FileInfo) (ctime int64, ino uint64, ok bool) {
	st, isStat := info.Sys().(*syscall.Stat_t)
	if !isStat {
		return 0, 0, false
	}
	return st.Ctim.Nano(), st.Ino, true
}
