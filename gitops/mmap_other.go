//go:build !linux && !darwin

package gitops

import "os"

// mapFile does not map here: the index is read into memory.
func mapFile(f *os.File, size int64) ([]byte, bool) { return nil, false }

func unmapFile(b []byte) {}

const (
	mapSupported = false
	mapThreshold = 256 << 10 // (tests build an index this large)
)
