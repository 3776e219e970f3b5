//go:build !linux && !darwin

package migrator

import "os"

// cloneFile: no clone here; the caller copies.
func cloneFile(src, dst string) (*os.File, bool) { return nil, false }
