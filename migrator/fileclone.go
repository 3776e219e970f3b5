package migrator

import (
	"io"
	"os"
)

// createCopy creates dst (0600, exclusively) holding src's bytes and
// returns it open for the caller's fsync. Where the file system can share
// extents (FICLONE on Btrfs/XFS, clonefile on APFS) the bytes are cloned,
// which costs metadata only; elsewhere, or when the clone is refused, they
// are copied. cloned says which happened.
//
// A clone is as durable as a copy once dst and its folder are fsynced:
// the kernel writes the source's dirty pages back before sharing their
// extents, and dst's fsync commits the new file's extent map.
func createCopy(src, dst string) (out *os.File, cloned bool, err error) {
	if out, ok := cloneFile(src, dst); ok {
		return out, true, nil
	}
	in, err := os.Open(src)
	if err != nil {
		return nil, false, err
	}
	defer in.Close()
	out, err = os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return nil, false, err
	}
	return out, false, nil
}
