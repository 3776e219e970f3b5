//go:build !linux && !darwin

package gitops

import "os"

// statOf reports no stat data here, so Changed always hashes contents.
func statOf(fi os.FileInfo) (statData, bool) { return statData{}, false }
