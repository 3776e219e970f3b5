package gitops

import (
	"os"

	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// statData is the part of lstat that git compares besides size and mtime.
type statData struct {
	ctimeSec, ctimeNsec int64
	ino, dev            uint64
	uid, gid            uint32
}

// statClean reports whether a work-tree file certainly has the content the
// index entry records, without reading it. It mirrors git's ie_match_stat:
// size, mtime, ctime, inode, owner must all match exactly, and the entry
// must not be "racily clean" (modified in the same instant the index was
// written, or later), since a change in that instant leaves stat unchanged.
func statClean(e *index.Entry, fi os.FileInfo, indexMtimeNano int64) bool {
	st, ok := statOf(fi)
	if !ok || e.ModifiedAt.IsZero() || e.CreatedAt.IsZero() {
		return false
	}
	if int64(e.Size) != fi.Size()&0xffffffff || e.ModifiedAt.UnixNano() != fi.ModTime().UnixNano() {
		return false
	}
	if e.CreatedAt.Unix() != st.ctimeSec || int64(e.CreatedAt.Nanosecond()) != st.ctimeNsec {
		return false
	}
	if e.Inode != uint32(st.ino) || e.UID != st.uid || e.GID != st.gid {
		return false
	}
	return e.ModifiedAt.UnixNano() < indexMtimeNano
}

// deviceOf is the filesystem a folder is on (ok false where unknown).
func deviceOf(dir string) (uint64, bool) {
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, false
	}
	st, ok := statOf(fi)
	return st.dev, ok
}
