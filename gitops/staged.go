package gitops

import (
	"runtime/debug"
	"sort"
)

// StagedNew lists the files under the folders that the index holds and HEAD
// does not (`git add` of a new file, not committed yet), sorted. On an
// unborn branch every indexed file is new.
func (r *Repo) StagedNew(folders []string) (_ []string, err error) {
	defer guardMapped(debug.SetPanicOnFault(true), &err)
	fs, err := cleanFolders(folders)
	if err != nil || len(fs) == 0 {
		return nil, err
	}
	var changes []Change
	if r.cli != nil {
		out, err := r.cli.run(append([]string{"diff", "--cached", "--no-renames", "--name-only", "--diff-filter=A", "-z", "--"}, pathspecs(fs)...)...)
		if err != nil {
			return nil, err
		}
		return sortedUnique(splitZ(out)), nil
	}
	snap, err := r.index()
	if err != nil {
		return nil, err
	}
	if r.noneStaged(fs, snap) {
		return nil, nil
	}
	if changes, err = r.stagedChanges(fs, snap, map[string]bool{}); err != nil {
		return nil, err
	}
	var out []string
	for _, c := range changes {
		if c.Kind == Added {
			out = append(out, c.Path)
		}
	}
	sort.Strings(out)
	return out, nil
}

// noneStaged tells, without listing HEAD's files, that the index holds
// under each folder exactly what HEAD does: the cache tree's record of the
// folder is valid and names HEAD's tree of it, as kept with HEAD's listing
// (headcache.go). Any doubt (no cache tree, a folder git invalidated since
// it last wrote trees, no listing kept for this commit yet, a folder HEAD
// does not have) is false: the entries are compared one by one.
func (r *Repo) noneStaged(folders []string, snap *indexSnapshot) bool {
	tree := snap.cacheTree()
	if tree == nil {
		return false
	}
	ref, err := r.repo.Head()
	if err != nil {
		return false
	}
	heads, ok := readHeadTrees(r.headCacheFile(folders), ref.Hash(), folders)
	if !ok {
		return false
	}
	for i, f := range folders {
		if got, ok := cacheTreeOf(tree, f); !ok || heads[i].IsZero() || got != heads[i] {
			return false
		}
	}
	return true
}
