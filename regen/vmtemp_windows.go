package regen

import (
	"os"
	"time"
)

// The one-VM driver does not run on Windows (vmUnavailable): a plain
// temp folder, nothing to sweep.
func vmTempDir() (string, func(), error) {
	dir, err := os.MkdirTemp("", "regen-vm-")
	return dir, func() {}, err
}

func sweepVMTempDirs(time.Time) int { return 0 }
