//go:build !linux && !darwin && !freebsd && !netbsd

package regen

import "io/fs"

// changeStamp: no change time and inode number here (Windows), so the hash
// cache is not trusted and every file is hashed: slower, never wrong.
func changeStamp(fs.FileInfo) (ctime int64, ino uint64, ok bool) { return 0, 0, false }
