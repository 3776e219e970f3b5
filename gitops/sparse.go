package gitops

import (
	"os"
	"path/filepath"
)

// SparseCheckout tells whether this work tree is a sparse checkout:
// core.sparseCheckout is on (in the repository's config or, where `git
// sparse-checkout` puts it, config.worktree) and the sparse-checkout file
// exists. Files it leaves out stay in the index with the skip-worktree
// bit, and git status does not show them as deleted.
func (r *Repo) SparseCheckout() bool {
	if _, err := os.Stat(filepath.Join(r.GitDir, "info", "sparse-checkout")); err != nil {
		return false
	}
	on := false
	for _, f := range []string{filepath.Join(r.CommonDir, "config"), filepath.Join(r.GitDir, "config.worktree")} {
		entries, err := readConfigFile(f, 0)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.section == "core" && e.subsection == "" && e.key == "sparsecheckout" {
				on = parseBool(e.value)
			}
		}
	}
	return on
}
