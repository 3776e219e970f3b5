//go:build darwin

package gitops

import (
	"os"
	"syscall"
)

// statOf extracts the stat fields git records in index entries.
func statOf(fi os.FileInfo) (statData, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return statData{}, false
	}
	sec, nsec := st.Ctimespec.Unix()
	return statData{ctimeSec: sec, ctimeNsec: nsec, ino: uint64(st.Ino), dev: uint64(st.Dev), uid: st.Uid, gid: st.Gid}, true
}
