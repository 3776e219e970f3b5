package migrator

import (
	"os"

	"golang.org/x/sys/unix"
)

// cloneFile creates dst as a FICLONE reflink of src. Any refusal (a file
// system without reflinks, another file system, no space for the
// metadata) leaves no dst behind and returns ok false: the caller copies.
func cloneFile(src, dst string) (*os.File, bool) {
	in, err := os.Open(src)
	if err != nil {
		return nil, false
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false
	}
	if err := unix.IoctlFileClone(int(out.Fd()), int(in.Fd())); err != nil {
		out.Close()
		os.Remove(dst)
		return nil, false
	}
	return out, true
}
