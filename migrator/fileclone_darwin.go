package migrator

import (
	"os"

	"golang.org/x/sys/unix"
)

// cloneFile creates dst with clonefile(2) (APFS), links not followed,
// then makes it private: clonefile copies src's mode. Any refusal (HFS+,
// another volume) leaves no dst behind and returns ok false: the caller
// copies.
func cloneFile(src, dst string) (*os.File, bool) {
	if err := unix.Clonefile(src, dst, unix.CLONE_NOFOLLOW|unix.CLONE_NOOWNERCOPY); err != nil {
		return nil, false
	}
	out, err := os.OpenFile(dst, os.O_RDWR, 0)
	if err == nil {
		err = out.Chmod(0o600)
	}
	if err != nil {
		if out != nil {
			out.Close()
		}
		os.Remove(dst)
		return nil, false
	}
	return out, true
}
