package gitops

import (
	"io/fs"
	"slices"
)

// Listing returns the entries of a configured folder (as passed to Scan),
// or of a folder below one (not below the top: that would keep the whole
// work tree), that Scan's walk read, so that a caller checking the
// folder's files reads it once per run instead of twice (2,000 migrations
// are 2,000 entries). They are in the file system's order, not sorted (sorting
// 2,000 entries cost as much as reading them; sort what you keep). ok is
// false when the walk did not read that folder (absent, not a folder, a
// nested repository, the git CLI fallback): the caller reads it itself.
// The slice is the caller's.
func (s *FolderScan) Listing(folder string) (_ []fs.DirEntry, ok bool) {
	c, err := cleanRel(folder)
	if err != nil || s.listings == nil {
		return nil, false
	}
	ents, ok := s.listings[c]
	if !ok {
		return nil, false
	}
	return slices.Clone(ents), true
}
