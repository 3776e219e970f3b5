//go:build linux || darwin

package gitops

import (
	"os"
	"syscall"
)

// mapFile maps a large file read-only. Reading a 10 MB index into fresh
// heap memory costs ~6 ms (a page fault per 4 KiB, then the copy); mapping
// the page-cache pages costs ~1 ms. The mapping is never unmapped: views
// of it may be in use anywhere in the package, and a run reads only one or
// two versions of the index (see rawIndex for the rules that keep it safe).
func mapFile(f *os.File, size int64) ([]byte, bool) {
	if size < mapThreshold || size != int64(int(size)) {
		return nil, false
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, false
	}
	return data, true
}

// mapSupported: this system maps large index files.
const mapSupported = true

// mapThreshold: below it a plain read is as cheap and keeps nothing mapped.
const mapThreshold = 256 << 10

func unmapFile(b []byte) { syscall.Munmap(b) }
