//go:build !linux

package regen

import "os"

// lockHolders: no kernel lock table to read on this platform; the caller
// falls back to the details in the lock file and whether their PID lives.
func lockHolders(*os.File) (map[int]bool, bool) { return nil, false }
