package gitops

import (
	"fmt"
	"os"
	"path/filepath"
)

// HooksDir returns the folder git runs hooks from: core.hooksPath when set
// (`~/` expanded; a relative value is relative to the work-tree top, where
// git runs hooks), else <common git dir>/hooks, which linked worktrees
// share. Config files are read in git's order, as for the other settings
// (includeIf and per-worktree config are not honoured; see doc.go).
func (r *Repo) HooksDir() (string, error) {
	value, set := "", false
	for _, f := range configFiles(r.CommonDir) {
		entries, err := readConfigFile(f, 0)
		if err != nil {
			return "", fmt.Errorf("gitops: reading %s: %w", f, err)
		}
		for _, e := range entries {
			if e.section == "core" && e.subsection == "" && e.key == "hookspath" {
				value, set = e.value, true
			}
		}
	}
	if !set || value == "" {
		return filepath.Join(r.CommonDir, "hooks"), nil
	}
	p := expandHome(value)
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.Root, p)
	}
	return filepath.Clean(p), nil
}

// configFiles lists system, global and repository config in git's order
// (later files win), as loadSettings reads them.
func configFiles(commonDir string) []string {
	var files []string
	if !envBool("GIT_CONFIG_NOSYSTEM") {
		if f := os.Getenv("GIT_CONFIG_SYSTEM"); f != "" {
			files = append(files, f)
		} else {
			files = append(files, "/etc/gitconfig")
		}
	}
	if f := os.Getenv("GIT_CONFIG_GLOBAL"); f != "" {
		files = append(files, expandHome(f))
	} else {
		if x := xdgConfigPath("config"); x != "" {
			files = append(files, x)
		}
		if home, err := os.UserHomeDir(); err == nil {
			files = append(files, filepath.Join(home, ".gitconfig"))
		}
	}
	return append(files, filepath.Join(commonDir, "config"))
}
