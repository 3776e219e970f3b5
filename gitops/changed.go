package gitops

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ChangeKind says how a tracked path differs.
type ChangeKind int

const (
	// Modified: other content, or the executable bit changed (core.fileMode).
	Modified ChangeKind = iota
	// Deleted: missing from the work tree (or, staged, removed from the index).
	Deleted
	// TypeChanged: a regular file became a symlink or the reverse.
	TypeChanged
	// Added: staged, a path in the index that HEAD lacks; unstaged, an
	// intent-to-add entry (`git add -N`) as `git diff` shows it.
	Added
	// Unmerged: the index holds a merge conflict for the path (reported
	// once, with Staged=true).
	Unmerged
)

func (k ChangeKind) String() string {
	switch k {
	case Modified:
		return "modified"
	case Deleted:
		return "deleted"
	case TypeChanged:
		return "type changed"
	case Added:
		return "added"
	case Unmerged:
		return "unmerged"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// Change is one difference of a tracked path.
type Change struct {
	Path   string
	Kind   ChangeKind
	Staged bool // index differs from HEAD for this path
}

// Changed lists tracked files under the folders whose work-tree content
// differs from the index or which are missing from the work tree
// (Staged=false, like `git diff`), and paths whose index entry differs from
// HEAD (Staged=true, like `git diff --cached`). A path changed in both
// places appears twice. Submodule work trees and skip-worktree (sparse)
// entries are not inspected. Sorted by path, unstaged first.
func (r *Repo) Changed(folders []string) (_ []Change, err error) {
	defer guardMapped(debug.SetPanicOnFault(true), &err)
	if r.cli != nil {
		return r.cli.changed(folders)
	}
	fs, err := cleanFolders(folders)
	if err != nil {
		return nil, err
	}
	snap, err := r.index()
	if err != nil {
		return nil, err
	}
	out, unmerged, _, err := r.worktreeChanges(fs, snap, nil)
	if err != nil {
		return nil, err
	}
	staged, err := r.stagedChanges(fs, snap, unmerged)
	if err != nil {
		return nil, err
	}
	out = append(out, staged...)
	sortChanges(out)
	return out, nil
}

// worktreeChanges compares the stage-0 entries under the folders with the
// work tree (Staged=false) and reports merge conflicts (Unmerged,
// Staged=true) with their paths in unmerged. Unsorted.
// skip lists the entries it did not inspect for their skip-worktree bit.
// stats, when not nil, receives the lstat of every entry compared that is
// there (reached through real folders), by path.
func (r *Repo) worktreeChanges(folders []string, snap *indexSnapshot, stats map[string]fs.FileInfo) (out []Change, unmerged map[string]bool, skip []string, err error) {
	// A path under two of the folders (one inside the other) is compared
	// once; disjoint folders (the usual case) need no set of 2,000 names.
	var done map[string]bool
	if nested(folders) {
		done = map[string]bool{}
	}
	unmerged = map[string]bool{}
	var check []*index.Entry
	for _, f := range folders {
		for _, e := range snap.under(f) {
			if done[e.Name] {
				continue
			}
			if e.Stage != stageMerged {
				unmerged[e.Name] = true
				continue
			}
			if done != nil {
				done[e.Name] = true
			}
			if e.SkipWorktree {
				skip = append(skip, e.Name)
				continue
			}
			if e.Mode == filemode.Submodule {
				continue
			}
			check = append(check, e)
		}
	}
	kinds, changed, infos, err := r.compareWorktree(check, snap.stamp.mtimeNano)
	if err != nil {
		return nil, nil, nil, err
	}
	if stats != nil {
		for i, fi := range infos {
			if fi != nil {
				stats[check[i].Name] = fi
			}
		}
	}
	if err := r.recheckFiltered(check, kinds, changed); err != nil {
		return nil, nil, nil, err
	}
	for i, e := range check {
		if changed[i] {
			out = append(out, Change{Path: e.Name, Kind: kinds[i]})
		}
	}
	for p := range unmerged {
		out = append(out, Change{Path: p, Kind: Unmerged, Staged: true})
	}
	return out, unmerged, skip, nil
}

// nested tells whether one of the (cleaned, distinct) folders is inside
// another ("" holds every one).
func nested(folders []string) bool {
	for _, a := range folders {
		for _, b := range folders {
			if a != b && (a == "" || strings.HasPrefix(b, a+"/")) {
				return true
			}
		}
	}
	return false
}

// statChunk is how many entries one goroutine compares: an lstat costs
// about a microsecond, so below this a goroutine is not worth starting
// (git's preload-index uses the same kind of threshold).
const statChunk = 500

// compareWorktree runs worktreeChange for every entry, split over the
// CPUs when there are many: it is one lstat per tracked file, the largest
// cost of a plan on a folder of 2,000 migrations.
// The lstat of each entry found as a file or symlink is kept in infos.
func (r *Repo) compareWorktree(entries []*index.Entry, indexMtime int64) ([]ChangeKind, []bool, []fs.FileInfo, error) {
	kinds := make([]ChangeKind, len(entries))
	changed := make([]bool, len(entries))
	infos := make([]fs.FileInfo, len(entries))
	parts := min(runtime.GOMAXPROCS(0), (len(entries)+statChunk-1)/statChunk)
	if parts < 1 {
		parts = 1
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		lo, hi := p*len(entries)/parts, (p+1)*len(entries)/parts
		work := func() {
			parentOK := map[string]bool{}
			ds := newDirStat(r.Root)
			defer ds.close()
			for i := lo; i < hi; i++ {
				k, c, fi, err := r.worktreeChange(entries[i], indexMtime, parentOK, ds)
				if err != nil {
					errs[p] = err
					return
				}
				kinds[i], changed[i], infos[i] = k, c, fi
			}
		}
		if p == parts-1 {
			work() // the last part on this goroutine
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, nil, err
		}
	}
	return kinds, changed, infos, nil
}

// worktreeChange compares one stage-0 entry with the work tree.
// fi is the entry's lstat (nil when it is not there or not reached
// through real folders).
func (r *Repo) worktreeChange(e *index.Entry, indexMtime int64, parentOK map[string]bool, ds *dirStat) (kind ChangeKind, changed bool, fi os.FileInfo, err error) {
	// Like git, a path reached through a symlinked folder is not the
	// tracked file: it counts as deleted.
	if !r.realParents(e.Name, parentOK) {
		return Deleted, true, nil, nil
	}
	fi, err = ds.lstat(e.Name)
	if errors.Is(err, os.ErrNotExist) || isNotDir(err) {
		return Deleted, true, nil, nil
	}
	if err != nil {
		return 0, false, nil, fmt.Errorf("gitops: %w", err)
	}
	isLink := e.Mode == filemode.Symlink
	switch t := fi.Mode().Type(); {
	case t.IsDir():
		return Deleted, true, fi, nil // git diff shows a file replaced by a folder as deleted
	case t&os.ModeSymlink != 0:
		if !isLink {
			return TypeChanged, true, fi, nil
		}
	case t.IsRegular():
		if isLink {
			return TypeChanged, true, fi, nil
		}
	default:
		return TypeChanged, true, fi, nil
	}
	if e.IntentToAdd {
		return Added, true, fi, nil
	}
	if !isLink && r.settings.fileMode && (fi.Mode().Perm()&0o100 != 0) != (e.Mode == filemode.Executable) {
		return Modified, true, fi, nil
	}
	if statClean(e, fi, indexMtime) {
		return 0, false, fi, nil
	}
	var data []byte
	abs := filepath.Join(r.Root, filepath.FromSlash(e.Name))
	if isLink {
		target, err := os.Readlink(abs)
		if err != nil {
			return 0, false, fi, fmt.Errorf("gitops: %w", err)
		}
		data = []byte(target)
	} else {
		data, err = os.ReadFile(abs)
		if err != nil {
			return 0, false, fi, fmt.Errorf("gitops: %w", err)
		}
	}
	if plumbing.ComputeHash(plumbing.BlobObject, data) != e.Hash {
		return Modified, true, fi, nil
	}
	return 0, false, fi, nil
}

// recheckFiltered asks git about files whose raw bytes differ from their
// blob where a content filter applies: git compares the filtered content
// (CRLF on disk, LF in the blob is clean under autocrlf), and so must we.
func (r *Repo) recheckFiltered(check []*index.Entry, kinds []ChangeKind, changed []bool) error {
	var cand []int
	var paths []string
	for i, e := range check {
		if changed[i] && kinds[i] == Modified && e.Mode != filemode.Symlink && !e.IntentToAdd && !r.modeChanged(e) {
			cand = append(cand, i)
			paths = append(paths, e.Name)
		}
	}
	if len(cand) == 0 {
		return nil
	}
	filtered, err := r.Filtered(paths)
	if err != nil || len(filtered) == 0 {
		return err
	}
	var ask []int
	var names []string
	for _, i := range cand {
		if filtered[check[i].Name] {
			ask = append(ask, i)
			names = append(names, check[i].Name)
		}
	}
	cli, err := newGitCLI(r)
	if err != nil {
		return nil // without git, a filtered file counts as modified: it is backed up, never trusted
	}
	out, err := cli.run(append([]string{"hash-object", "--"}, names...)...)
	if err != nil {
		return err
	}
	hashes := strings.Fields(string(out))
	if len(hashes) != len(ask) {
		return fmt.Errorf("gitops: git hash-object printed %d hashes for %d files", len(hashes), len(ask))
	}
	for k, i := range ask {
		if hashes[k] == check[i].Hash.String() {
			changed[i] = false
		}
	}
	return nil
}

// modeChanged is the executable-bit test of worktreeChange.
func (r *Repo) modeChanged(e *index.Entry) bool {
	fi, err := os.Lstat(filepath.Join(r.Root, filepath.FromSlash(e.Name)))
	return err == nil && r.settings.fileMode && (fi.Mode().Perm()&0o100 != 0) != (e.Mode == filemode.Executable)
}

// realParents reports whether every folder above rel is a real folder (not
// a symlink), caching answers per folder.
func (r *Repo) realParents(rel string, cache map[string]bool) bool {
	for i := strings.IndexByte(rel, '/'); i >= 0; {
		dir := rel[:i]
		ok, seen := cache[dir]
		if !seen {
			fi, err := os.Lstat(filepath.Join(r.Root, filepath.FromSlash(dir)))
			ok = err == nil && fi.IsDir()
			cache[dir] = ok
		}
		if !ok {
			return false
		}
		next := strings.IndexByte(rel[i+1:], '/')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return true
}

type treeEntry struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// stagedChanges compares the index with HEAD, walking only the subtrees of
// HEAD under the folders.
func (r *Repo) stagedChanges(folders []string, snap *indexSnapshot, unmerged map[string]bool) ([]Change, error) {
	head := map[string]treeEntry{}
	ref, err := r.repo.Head()
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		// unborn branch: everything in the index is added
	case err != nil:
		return nil, fmt.Errorf("gitops: reading HEAD: %w", err)
	default:
		if head, err = r.headEntries(ref.Hash(), folders); err != nil {
			return nil, err
		}
	}
	var out []Change
	seen := make(map[string]bool, len(head))
	for _, f := range folders {
		for _, e := range snap.under(f) {
			if seen[e.Name] || e.Stage != stageMerged || unmerged[e.Name] {
				continue
			}
			seen[e.Name] = true
			if e.IntentToAdd {
				continue // not staged content: `git diff --cached` skips it
			}
			h, ok := head[e.Name]
			switch {
			case !ok:
				out = append(out, Change{Path: e.Name, Kind: Added, Staged: true})
			case modeClass(h.mode) != modeClass(e.Mode):
				out = append(out, Change{Path: e.Name, Kind: TypeChanged, Staged: true})
			case h.hash != e.Hash || h.mode != e.Mode:
				out = append(out, Change{Path: e.Name, Kind: Modified, Staged: true})
			}
		}
	}
	for p := range head {
		if !seen[p] && !unmerged[p] && !snap.tracked(p) {
			out = append(out, Change{Path: p, Kind: Deleted, Staged: true})
		}
	}
	return out, nil
}

// modeClass groups modes whose change is a type change rather than an edit.
func modeClass(m filemode.FileMode) int {
	switch m {
	case filemode.Symlink:
		return 1
	case filemode.Submodule:
		return 2
	}
	return 0
}

// collectTree adds the blobs, symlinks and submodules of HEAD at or below
// folder to into, descending only along folder's own path. It returns the
// tree object of folder (the zero hash when folder is no folder there).
func (r *Repo) collectTree(root *object.Tree, folder string, into map[string]treeEntry) (plumbing.Hash, error) {
	if folder == "" {
		return root.Hash, r.walkTree(root, "", into)
	}
	tree := root
	parts := strings.Split(folder, "/")
	for i, name := range parts {
		var found *object.TreeEntry
		for j := range tree.Entries {
			if tree.Entries[j].Name == name {
				found = &tree.Entries[j]
				break
			}
		}
		if found == nil {
			return plumbing.ZeroHash, nil
		}
		if found.Mode != filemode.Dir {
			if i == len(parts)-1 {
				into[folder] = treeEntry{found.Hash, found.Mode}
			}
			return plumbing.ZeroHash, nil
		}
		sub, err := r.repo.TreeObject(found.Hash)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("gitops: reading HEAD tree %s: %w", strings.Join(parts[:i+1], "/"), err)
		}
		tree = sub
	}
	return tree.Hash, r.walkTree(tree, folder, into)
}

func (r *Repo) walkTree(tree *object.Tree, base string, into map[string]treeEntry) error {
	for _, e := range tree.Entries {
		p := joinRel(base, e.Name)
		if e.Mode != filemode.Dir {
			into[p] = treeEntry{e.Hash, e.Mode}
			continue
		}
		sub, err := r.repo.TreeObject(e.Hash)
		if err != nil {
			return fmt.Errorf("gitops: reading HEAD tree %s: %w", p, err)
		}
		if err := r.walkTree(sub, p, into); err != nil {
			return err
		}
	}
	return nil
}

func sortChanges(cs []Change) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Path != cs[j].Path {
			return cs[i].Path < cs[j].Path
		}
		return !cs[i].Staged && cs[j].Staged
	})
}
