package check

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/snapshots"
)

// baseFindings compares this branch with ref since their merge base: a new
// migration older than ref's newest one (merge order), and one table's
// snapshot added on both sides (the conflict users fix by hand). It returns
// the merge base for the other checks.
func (in *checkInput) baseFindings(ref string) ([]Finding, string, error) {
	g := in.v.Git()
	refHash, err := g.ResolveRef(ref)
	if err != nil {
		return nil, "", checkBaseError(ref, err)
	}
	mb, err := g.MergeBase(ref)
	if err != nil {
		return nil, "", checkBaseError(ref, err)
	}
	var out []Finding
	for _, cr := range in.repos {
		fs, err := in.baseRepoFindings(cr, ref, refHash, mb)
		if err != nil {
			return nil, "", err
		}
		out = append(out, fs...)
	}
	return out, mb, nil
}

func checkBaseError(ref string, err error) error {
	switch {
	case errors.Is(err, gitops.ErrUnknownRef):
		return &regen.InputError{What: fmt.Sprintf("--base %s: no such branch, tag or commit.", ref), Next: "Fetch it first (in CI: `git fetch origin main` and `--base origin/main`; a shallow clone needs `fetch-depth: 0`)."}
	case errors.Is(err, gitops.ErrNoMergeBase):
		return &regen.InputError{What: fmt.Sprintf("--base %s: HEAD and %s share no history (or the clone is too shallow to see it).", ref, ref), Next: "Fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in CI)."}
	}
	return checkGitError(err)
}

// ours lists the generated files this branch adds since the merge base:
// committed or staged, and in the work-tree mode untracked ones too.
func (in *checkInput) ours(cr checkRepo, mb string) (map[string]bool, error) {
	v := in.v
	added, err := v.Git().AddedSince(mb, v.GitPaths([]string{cr.cfg.Migrations, cr.cfg.Snapshots}))
	if err != nil {
		return nil, checkGitError(err)
	}
	set := map[string]bool{}
	for _, a := range added {
		set[v.ProjectPath(a)] = true
	}
	if !in.staged {
		for _, u := range in.untracked {
			if checkUnder(u, cr.cfg.Migrations) || checkUnder(u, cr.cfg.Snapshots) {
				set[u] = true
			}
		}
	}
	return set, nil
}

func (in *checkInput) baseRepoFindings(cr checkRepo, ref, refHash, mb string) ([]Finding, error) {
	v := in.v
	ours, err := in.ours(cr, mb)
	if err != nil {
		return nil, err
	}
	atRef, err := v.Git().FilesAt(refHash, v.GitPaths([]string{cr.cfg.Migrations, cr.cfg.Snapshots}))
	if err != nil {
		return nil, checkGitError(err)
	}
	atBase, err := v.Git().FilesAt(mb, v.GitPaths([]string{cr.cfg.Snapshots}))
	if err != nil {
		return nil, checkGitError(err)
	}
	inBase := map[string]bool{}
	for _, f := range atBase {
		inBase[v.ProjectPath(f)] = true
	}
	onRef := map[string]bool{}
	var newest checkMigration
	theirs := map[string][]string{} // snapshot key -> ref's snapshots added since the merge base
	for _, g := range atRef {
		rel := v.ProjectPath(g)
		onRef[rel] = true
		if dir, base := path.Split(rel); strings.TrimSuffix(dir, "/") == cr.cfg.Migrations {
			if v, slug, ok := snapshots.ParseMigrationName(base); ok && v > newest.version {
				newest = checkMigration{path: rel, version: v, slug: slug}
			}
			continue
		}
		if f, ok := snapshots.InFolder(rel, cr.cfg.Snapshots); ok && f.Kind == snapshots.KindSnapshot && !inBase[rel] {
			theirs[f.Key()] = append(theirs[f.Key()], rel)
		}
	}

	var out []Finding
	mine := map[string][]string{}
	for rel := range ours {
		if onRef[rel] {
			continue // the same file on both sides is shared history, not ours
		}
		if dir, base := path.Split(rel); strings.TrimSuffix(dir, "/") == cr.cfg.Migrations {
			v, slug, ok := snapshots.ParseMigrationName(base)
			if ok && newest.path != "" && v < newest.version {
				out = append(out, newCheckFinding(RuleMergeOrder, rel, 0,
					fmt.Sprintf("version %d is older than %s's newest migration %s: merged, it sorts before migrations it was generated after, and databases that already ran %s's migrations run it out of order.", v, ref, path.Base(newest.path), ref),
					fmt.Sprintf("Regenerate it on top of %s: `regen %s --base %s` (or rename it to a timestamp newer than %d).", ref, slug, ref, newest.version)))
			}
			continue
		}
		if f, ok := snapshots.InFolder(rel, cr.cfg.Snapshots); ok && f.Kind == snapshots.KindSnapshot {
			mine[f.Key()] = append(mine[f.Key()], rel)
		}
	}
	keys := make([]string, 0, len(mine))
	for k := range mine {
		if len(theirs[k]) > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, key := range keys {
		f, err := in.snapshotConflict(cr, ref, refHash, key, mine[key], theirs[key])
		if err != nil {
			return nil, err
		}
		if f != nil {
			out = append(out, *f)
		}
	}
	return out, nil
}

// snapshotConflict reports one table whose snapshots both sides added,
// unless the two newest describe the same table field by field.
func (in *checkInput) snapshotConflict(cr checkRepo, ref, refHash, key string, mine, theirs []string) (*Finding, error) {
	sort.Strings(mine)
	sort.Strings(theirs)
	ourNewest, theirNewest := checkNewestSnapshot(mine), checkNewestSnapshot(theirs)
	var detail string
	ourData, errA := in.read(ourNewest)
	theirData, theirMode, errB := in.v.Git().BlobAt(refHash, in.v.GitPath(theirNewest))
	if errB == nil {
		theirData, errB = in.v.CheckoutBytes(theirNewest, theirData, theirMode) // as checked out: filters applied
	}
	if errA == nil && errB == nil {
		a, errA := snapshots.Parse(ourData)
		b, errB := snapshots.Parse(theirData)
		if errA == nil && errB == nil {
			diff := snapshots.Diff(b, a)
			if len(diff) == 0 {
				return nil, nil // the same table state: the merge loses nothing
			}
			if len(diff) > 4 {
				diff = append(diff[:4], fmt.Sprintf("%d more", len(diff)-4))
			}
			detail = " They differ (" + strings.Join(diff, "; ") + ")."
		}
	}
	msg := fmt.Sprintf("table %s: this branch and %s both added snapshots since the merge base (here %s, on %s %s).%s After the merge Ash diffs against only the newest one, so the next codegen drops the other side's changes.",
		key, ref, strings.Join(checkBaseNames(mine), ", "), ref, strings.Join(checkBaseNames(theirs), ", "), detail)
	fix := fmt.Sprintf("Merge or rebase onto %s, keep %s's snapshots of %s (the newest is %s), delete this branch's (%s), then regenerate this branch's migration from them: `regen NAME --base %s`.",
		ref, ref, key, path.Base(theirNewest), strings.Join(checkBaseNames(mine), ", "), ref)
	f := newCheckFinding(RuleSnapshotConflict, ourNewest, 0, msg, fix)
	return &f, nil
}

// checkNewestSnapshot is Ash's choice: the plain string maximum of the names.
func checkNewestSnapshot(paths []string) string {
	best := ""
	for _, p := range paths {
		if best == "" || path.Base(p) > path.Base(best) {
			best = p
		}
	}
	return best
}

func checkBaseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = path.Base(p)
	}
	return out
}
