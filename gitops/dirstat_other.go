//go:build !linux

package gitops

import (
	"os"
	"path/filepath"
)

// dirStat is os.Lstat of each path where fstatat is not used (see
// dirstat_linux.go).
type dirStat struct{ root string }

func newDirStat(root string) *dirStat { return &dirStat{root: root} }

func (d *dirStat) close() {}

func (d *dirStat) lstat(rel string) (os.FileInfo, error) {
	return os.Lstat(filepath.Join(d.root, filepath.FromSlash(rel)))
}
