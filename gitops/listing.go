package gitops

import (
	"io/fs"
	"slices"
	"strings"
)

// Listing returns the entries of the configured folder (as passed to Scan)
// that Scan's walk read, sorted by name as os.ReadDir sorts them, so that
// a caller checking the folder's files reads it once per run instead of
// twice (2,000 migrations are 2,000 entries). ok is false when the walk
// did not read that folder (absent, not a folder, a nested repository,
// the git CLI fallback): the caller reads it itself.
func (s *FolderScan) Listing(folder string) (_ []fs.DirEntry, ok bool) {
	c, err := cleanRel(folder)
	if err != nil || s.listings == nil {
		return nil, false
	}
	ents, ok := s.listings[c]
	if !ok {
		return nil, false
	}
	out := slices.Clone(ents)
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, true
}
