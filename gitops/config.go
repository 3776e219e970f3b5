package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/gcfg"
)

// settings are the few config values that change answers.
type settings struct {
	excludesFile string // absolute path of the user's global ignore file, "" for none
	ignoreCase   bool   // core.ignoreCase: match ignore patterns and index paths case-insensitively
	fileMode     bool   // core.fileMode: an executable-bit change counts as a modification
	unsupported  string // non-empty: why go-git cannot serve this repository

	// What can make a work-tree file's bytes differ from its index blob
	// while git sees it as clean (see filters.go).
	autocrlf       bool   // core.autocrlf true or input
	attributesFile string // core.attributesFile, absolute; "" for git's default
	attrTree       bool   // attr.tree: attributes read from a tree
	includeIf      bool   // an includeIf section, which this package does not evaluate
}

// configEntry is one key of a git config file, kept in file order so that
// the last value wins as in git.
type configEntry struct{ section, subsection, key, value string }

const maxIncludeDepth = 10 // git's own limit

// loadSettings reads system, global and repository config in git's order
// (later files win). Worktree config is never read: a repository with
// extensions.worktreeConfig goes to the CLI fallback instead.
func loadSettings(root, commonDir string) (settings, error) {
	s := settings{fileMode: true}
	excludesSet := false
	files := configFiles(commonDir)
	local := files[len(files)-1]

	for _, f := range files {
		entries, err := readConfigFile(f, 0)
		if err != nil {
			// gcfg is stricter than git in places; let git read what we cannot.
			s.unsupported = fmt.Sprintf("cannot parse %s: %v", f, err)
			return s, nil
		}
		for _, e := range entries {
			switch {
			case e.section == "includeif":
				s.includeIf = true
			case e.section == "attr" && e.subsection == "" && e.key == "tree":
				s.attrTree = e.value != ""
			}
			if e.section != "core" || e.subsection != "" {
				continue
			}
			switch e.key {
			case "autocrlf":
				s.autocrlf = !parseFalse(e.value)
			case "attributesfile":
				s.attributesFile = ""
				if e.value != "" {
					s.attributesFile = expandHome(e.value)
				}
			case "excludesfile":
				excludesSet = true
				s.excludesFile = ""
				if e.value != "" {
					p := expandHome(e.value)
					if !filepath.IsAbs(p) {
						p = filepath.Join(root, p) // git resolves it from the work-tree top
					}
					s.excludesFile = p
				}
			case "ignorecase":
				s.ignoreCase = parseBool(e.value)
			case "filemode":
				s.fileMode = parseBool(e.value)
			}
		}
		if f == local {
			s.unsupported = unsupportedExtension(entries)
		}
	}
	if !excludesSet {
		// git's default when core.excludesFile is unset.
		s.excludesFile = xdgConfigPath("ignore")
	}
	return s, nil
}

// unsupportedExtension names a repository extension go-git (or this
// package) does not handle, or "".
func unsupportedExtension(entries []configEntry) string {
	for _, e := range entries {
		if e.section != "extensions" || e.subsection != "" {
			continue
		}
		switch e.key {
		case "noop", "noop-v1", "preciousobjects":
		case "worktreeconfig":
			if parseBool(e.value) {
				return "extensions.worktreeConfig is enabled (per-worktree config.worktree is not read by go-git)"
			}
		case "objectformat":
			if !strings.EqualFold(e.value, "sha1") {
				return "extensions.objectFormat is " + e.value
			}
		default:
			return "repository extension extensions." + e.key + " is set"
		}
	}
	return ""
}

// readConfigFile returns the entries of one config file with unconditional
// `[include] path` files expanded in place. A missing file has no entries.
// includeIf is not evaluated (documented simplification).
func readConfigFile(path string, depth int) ([]configEntry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []configEntry
	var includeErr error
	err = gcfg.ReadWithCallback(bytes.NewReader(data), func(s, ss, k, v string, blank bool) error {
		if k == "" {
			return nil
		}
		s, k = strings.ToLower(s), strings.ToLower(k)
		if blank {
			v = "true" // a bare key is boolean true in git
		}
		if s == "include" && ss == "" && k == "path" && depth < maxIncludeDepth {
			p := expandHome(v)
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			inc, err := readConfigFile(p, depth+1)
			if err != nil {
				includeErr = err
				return nil
			}
			out = append(out, inc...)
			return nil
		}
		out = append(out, configEntry{section: s, subsection: ss, key: k, value: v})
		return nil
	})
	if err == nil {
		err = includeErr
	}
	return out, err
}

func parseBool(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}

// parseFalse tells whether a config value is git's false (core.autocrlf
// has a third value, input, which is not).
func parseFalse(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false", "no", "off", "0", "":
		return true
	}
	return false
}

func envBool(name string) bool { return parseBool(os.Getenv(name)) }

// expandHome expands a leading `~/` the way git_config_pathname does.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// xdgConfigPath is git's xdg_config_home(name).
func xdgConfigPath(name string) string {
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "git", name)
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".config", "git", name)
	}
	return ""
}
