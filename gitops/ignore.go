package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// pattern is one parsed ignore line, as git's parse_path_pattern sees it.
type pattern struct {
	text      string // without the leading '!' and the trailing '/'
	negative  bool   // "!pattern": re-include
	mustBeDir bool   // "pattern/": only folders
	noDir     bool   // no '/' inside: match the base name at any depth
}

// patternList is one ignore file; base is the repo-relative folder it
// applies to ("" for the top, info/exclude and core.excludesFile).
type patternList struct {
	base     string
	patterns []pattern
}

// parseIgnoreFile splits an ignore file the way git's
// add_patterns_from_buffer does: a UTF-8 BOM is skipped, CRLF is accepted,
// '#' starts a comment only at the start of a line, and unescaped trailing
// spaces are dropped.
func parseIgnoreFile(data []byte, base string) *patternList {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	l := &patternList{base: base}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		line = trimTrailingSpaces(line)
		var p pattern
		if strings.HasPrefix(line, "!") {
			p.negative = true
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			p.mustBeDir = true
			line = line[:len(line)-1]
		}
		if line == "" {
			continue
		}
		p.noDir = !strings.Contains(line, "/")
		// A leading '/' only anchors; match_pathname drops it.
		p.text = strings.TrimPrefix(line, "/")
		l.patterns = append(l.patterns, p)
	}
	return l
}

// trimTrailingSpaces is git's trim_trailing_spaces: spaces at the end go
// unless escaped with a backslash.
func trimTrailingSpaces(s string) string {
	lastSpace := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			if lastSpace < 0 {
				lastSpace = i
			}
		case '\\':
			i++
			if i >= len(s) {
				return s
			}
			lastSpace = -1
		default:
			lastSpace = -1
		}
	}
	if lastSpace >= 0 {
		return s[:lastSpace]
	}
	return s
}

// match returns whether the last pattern matching rel decides, and whether
// that pattern excludes. rel is repo-relative and under l.base.
func (l *patternList) match(rel string, isDir bool, flags int) (decided, excluded bool) {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	for i := len(l.patterns) - 1; i >= 0; i-- {
		p := &l.patterns[i]
		if p.mustBeDir && !isDir {
			continue
		}
		var ok bool
		if p.noDir {
			ok = wildmatch(p.text, base, flags&wmCaseFold)
		} else {
			name := rel
			if l.base != "" {
				name = rel[len(l.base)+1:]
			}
			ok = wildmatch(p.text, name, flags|wmPathname)
		}
		if ok {
			return true, !p.negative
		}
	}
	return false, false
}

// ignoreRules is the stack of ignore files that applies to one folder
// during a walk, in git's priority order: the deepest .gitignore first, up
// to the top one, then info/exclude, then core.excludesFile.
type ignoreRules struct {
	dirs  []*patternList // .gitignore files from the top down to the current folder
	files []*patternList // info/exclude, then the global excludes file
	flags int
}

func (r *ignoreRules) excluded(rel string, isDir bool) bool {
	for i := len(r.dirs) - 1; i >= 0; i-- {
		if decided, ex := r.dirs[i].match(rel, isDir, r.flags); decided {
			return ex
		}
	}
	for _, l := range r.files {
		if decided, ex := l.match(rel, isDir, r.flags); decided {
			return ex
		}
	}
	return false
}

// push adds a folder's .gitignore; pop (the returned func) removes it.
func (r *ignoreRules) push(l *patternList) func() {
	if l == nil || len(l.patterns) == 0 {
		return func() {}
	}
	r.dirs = append(r.dirs, l)
	n := len(r.dirs) - 1
	return func() { r.dirs = r.dirs[:n] }
}

// baseRules loads the repository-wide ignore files. A missing or unreadable
// global file is skipped as git does (it only warns).
func (r *Repo) baseRules() (*ignoreRules, error) {
	rules := &ignoreRules{}
	if r.settings.ignoreCase {
		rules.flags = wmCaseFold
	}
	for _, f := range []string{filepath.Join(r.CommonDir, "info", "exclude"), r.settings.excludesFile} {
		if f == "" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) || isNotDir(err) {
				continue
			}
			return nil, fmt.Errorf("gitops: reading ignore file: %w", err)
		}
		rules.files = append(rules.files, parseIgnoreFile(data, ""))
	}
	return rules, nil
}

// readGitignore loads dir/.gitignore from the work tree. Like git since
// 2.32 it does not follow a symlinked .gitignore.
func readGitignore(abs, rel string) (*patternList, error) {
	p := filepath.Join(abs, ".gitignore")
	fi, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || isNotDir(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("gitops: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, nil
		}
		return nil, fmt.Errorf("gitops: %w", err)
	}
	return parseIgnoreFile(data, rel), nil
}
