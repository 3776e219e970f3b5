package gitops

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// cleanRel normalises a slash-separated, repo-relative path; "" and "."
// mean the whole work tree. Paths that leave the work tree are refused
// rather than silently clamped.
func cleanRel(p string) (string, error) {
	if p == "" || p == "." {
		return "", nil
	}
	if strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("gitops: %q: want a path relative to the work-tree top", p)
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("gitops: %q is outside the work tree", p)
	}
	if c == "." {
		return "", nil
	}
	return c, nil
}

// cleanFolders normalises folders and drops exact duplicates.
func cleanFolders(folders []string) ([]string, error) {
	seen := make(map[string]bool, len(folders))
	out := make([]string, 0, len(folders))
	for _, f := range folders {
		c, err := cleanRel(f)
		if err != nil {
			return nil, err
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// joinRel joins a repo-relative folder ("" for the top) and a name.
func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// asciiLower folds case the way git's core.ignoreCase does (ASCII only).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// sortedUnique sorts paths bytewise (git's order) and removes duplicates
// that overlapping folders produce.
func sortedUnique(paths []string) []string {
	sort.Strings(paths)
	out := paths[:0]
	for i, p := range paths {
		if i == 0 || p != paths[i-1] {
			out = append(out, p)
		}
	}
	return out
}
