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
