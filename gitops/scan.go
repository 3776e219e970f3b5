package gitops

import (
	"io/fs"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
)

// FolderScan is what regen's plan asks git about its folders.
type FolderScan struct {
	Untracked []string // as Untracked
	Ignored   []string // as Ignored
	Tracked   []string // as Tracked
	// Changed holds the work-tree side of Changed: tracked files that
	// differ from the index or are missing (Staged=false) and merge
	// conflicts (Kind Unmerged, Staged=true). Changes staged against HEAD
	// are left out: finding them reads HEAD's trees, and the first object
	// read from a packed repository loads the whole pack index (~15 ms on
	// a 100,000-file repository), more than everything else here. Sorted
	// as Changed.
	Changed []Change
	// SkipWorktree are tracked files with the skip-worktree bit (a sparse
	// checkout leaves them out): git status never reports them. Sorted.
	SkipWorktree []string

	listings map[string][]fs.DirEntry // the configured folders' entries, as the walk read them (see Listing)
	stats    map[string]fs.FileInfo   // the tracked files' lstat, as the comparison took it (see Lstat)
}

// Lstat is the lstat the scan took of a tracked file to compare it with
// the index (false when it took none: the file is missing, reached through
// a symlinked folder, skip-worktree, or the scan went through the git
// CLI). It is as old as the scan: a caller whose answer depends on when
// the stat was taken takes its time before calling Scan.
func (s *FolderScan) Lstat(path string) (fs.FileInfo, bool) {
	fi, ok := s.stats[path]
	return fi, ok
}

// Scan answers Untracked, Ignored, Tracked and the work-tree side of
// Changed for the folders with one index read, one walk of each folder
// (the separate calls walk twice) and no git object read; the walk and the
// stat of the tracked files run side by side. The answers
// equal those of the four calls (a test checks this).
func (r *Repo) Scan(folders []string) (_ *FolderScan, err error) {
	defer guardMapped(debug.SetPanicOnFault(true), &err)
	if r.cli != nil {
		return r.cli.scan(folders)
	}
	dirs, err := cleanFolders(folders)
	if err != nil {
		return nil, err
	}
	snap, err := r.index()
	if err != nil {
		return nil, err
	}
	out := &FolderScan{stats: map[string]fs.FileInfo{}}
	var wg sync.WaitGroup
	var changeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer guardMapped(debug.SetPanicOnFault(true), &changeErr)
		out.Changed, _, out.SkipWorktree, changeErr = r.worktreeChanges(dirs, snap, out.stats)
	}()
	out.listings = map[string][]fs.DirEntry{}
	untracked, ignored, walkErr := r.walkSnap(dirs, snap, true, out.listings)
	for _, f := range dirs {
		out.Tracked = append(out.Tracked, snap.namesUnder(f)...)
	}
	wg.Wait()
	if walkErr != nil {
		return nil, walkErr
	}
	if changeErr != nil {
		return nil, changeErr
	}
	out.Untracked, out.Ignored, out.Tracked = untracked, ignored, sortedUnique(out.Tracked)
	sortChanges(out.Changed)
	sort.Strings(out.SkipWorktree)
	return out, nil
}

// scan is Scan through the git CLI.
func (c *gitCLI) scan(folders []string) (*FolderScan, error) {
	var out FolderScan
	var err error
	if out.Untracked, err = c.lsFiles(folders, "--others", "--exclude-standard"); err != nil {
		return nil, err
	}
	if out.Ignored, err = c.lsFiles(folders, "--others", "--ignored", "--exclude-standard"); err != nil {
		return nil, err
	}
	if out.Tracked, err = c.lsFiles(folders); err != nil {
		return nil, err
	}
	if out.SkipWorktree, err = c.skipWorktree(folders); err != nil {
		return nil, err
	}
	changed, err := c.changed(folders)
	if err != nil {
		return nil, err
	}
	for _, ch := range changed {
		if !ch.Staged || ch.Kind == Unmerged {
			out.Changed = append(out.Changed, ch)
		}
	}
	return &out, nil
}

// skipWorktree lists the tracked files with the skip-worktree bit (`git
// ls-files -t` tags them S).
func (c *gitCLI) skipWorktree(folders []string) ([]string, error) {
	tagged, err := c.lsFiles(folders, "-t")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range tagged {
		if tag, path, ok := strings.Cut(l, " "); ok && tag == "S" {
			out = append(out, path)
		}
	}
	sort.Strings(out)
	return out, nil
}
