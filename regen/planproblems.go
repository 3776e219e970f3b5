package regen

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/regen/project"
	"github.com/regen-tool/regen/snapshots"
)

// Problem is something the plan finds that makes a run fail in codegen or
// migrate (Blocks: the run refuses before it changes anything), or that the
// run leaves as it is and the user should know about. Each says what the
// run would do with it and the command that fixes it.
type Problem struct {
	Kind    string `json:"kind"`
	Path    string `json:"path,omitempty"` // project-relative
	Version int64  `json:"version,omitempty"`
	What    string `json:"what"`
	Next    string `json:"next,omitempty"`
	Blocks  bool   `json:"blocks"`
}

// Problem kinds.
const (
	ProblemOrphan      = "orphaned_version"           // applied, no file anywhere
	ProblemPhantom     = "phantom_versions"           // applied, the files in git or regen's store (status: phantoms.go)
	ProblemDeleted     = "deleted_tracked"            // tracked, missing from the work tree
	ProblemSymlink     = "symlink"                    // regen never follows it; mix does
	ProblemNotFile     = "not_a_regular_file"         // a FIFO, socket or device named like a migration
	ProblemUnreadable  = "unreadable"                 // mix would fail to read it
	ProblemBadSnapshot = "malformed_snapshot"         // codegen would fail to decode it
	ProblemHidden      = "hidden_from_worktree"       // sparse checkout / skip-worktree
	ProblemConflict    = "merge_conflict"             // unmerged in the index: conflict markers in the file
	ProblemDuplicate   = "duplicate_version"          // two migrations with one version: Ecto refuses to migrate
	ProblemStranded    = "snapshot_without_migration" // a committed snapshot of an untracked migration
	ProblemAdapter     = "strategy_not_supported"     // --rollback rebuild on PostgreSQL
)

// Blocking returns the problems that make the run refuse.
func (rp *RepoPlan) Blocking() []Problem {
	var out []Problem
	for _, pr := range rp.Problems {
		if pr.Blocks {
			out = append(out, pr)
		}
	}
	return out
}

// problemsError is the refusal for a plan with blocking problems: nothing
// has changed yet, and each line says what to run.
func (pl *Plan) problemsError() error {
	var lines []string
	for _, rp := range pl.Repos {
		for _, pr := range rp.Blocking() {
			l := "  - " + pr.What
			if pr.Next != "" {
				l += "\n    fix: " + pr.Next
			}
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return &InputError{
		What: "the run would fail in codegen or migrate and then have to restore:\n" + strings.Join(lines, "\n"),
		Next: "Fix these first (`regen status` lists them), then run the same command again.",
	}
}

// shellQuote quotes a path for the commands the messages suggest; regen
// itself never runs a shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fileProblems looks, read-only, at what mix will read in repo r's folders
// and regen cannot handle: links, unreadable files, applied versions whose
// file is gone, tracked files git hides from the work tree, and the
// snapshots codegen will decode.
// isApplied is the plan's set of rp.Applied (only read).
func (p *workspace) fileProblems(r project.RepoConfig, rp *RepoPlan, scan *gitops.FolderScan, isApplied map[int64]bool) {
	tracked := make(map[string]bool, len(scan.Tracked))
	for _, g := range scan.Tracked {
		tracked[p.projectPath(g)] = true
	}
	explained := map[int64]bool{}
	for _, folder := range []string{r.Migrations, r.TenantMigrations} {
		if folder != "" {
			p.migrationFolderProblems(folder, scan, rp, tracked, isApplied, explained)
		}
	}
	p.orphanProblems(r, rp, explained)
	p.deletedProblems(r, rp, scan, isApplied)
	p.conflictProblems(rp, scan)
	duplicateProblems(rp)
	p.strandedSnapshotProblems(r, rp, scan)
	p.hiddenProblems(r, rp, scan)
	p.snapshotProblems(r, rp, tracked, scan)
}

// migrationFolderProblems checks the entries named like migrations: Ecto
// reads every one of them (through links too), regen only regular files.
func (p *workspace) migrationFolderProblems(folder string, scan *gitops.FolderScan, rp *RepoPlan, tracked map[string]bool, isApplied, explained map[int64]bool) {
	abs := filepath.Join(p.cfg.Root, filepath.FromSlash(folder))
	entries, ok := scan.Listing(p.gitPath(folder)) // the walk read it already
	if !ok {
		var err error
		if entries, err = os.ReadDir(abs); err != nil {
			return // absent (nothing to read) or not a folder (refused at load)
		}
	}
	// A folder of 2,000 migrations: one path.Join per entry cost more than
	// reading the folder, so the entries' paths are the clean folder plus
	// the name (what path.Join gives for a plain name).
	relDir := path.Join(folder, "x")
	relDir = relDir[:len(relDir)-1]
	// The walk's listing is in the file system's order: the problems found
	// (a few) are put in name order, as os.ReadDir's order gave them.
	first := len(rp.Problems)
	defer func() {
		found := rp.Problems[first:]
		sort.SliceStable(found, func(i, j int) bool { return found[i].Path < found[j].Path })
	}()
	for _, en := range entries {
		v, _, ok := snapshots.ParseMigrationName(en.Name())
		if !ok || en.IsDir() {
			continue
		}
		rel := relDir + en.Name()
		isTracked := tracked[rel]
		switch {
		case en.Type()&os.ModeSymlink != 0:
			explained[v] = true
			rp.Problems = append(rp.Problems, symlinkProblem(rel, filepath.Join(abs, en.Name()), v, isTracked, isApplied[v]))
		case !en.Type().IsRegular():
			rp.Problems = append(rp.Problems, Problem{Kind: ProblemNotFile, Path: rel, Version: v, Blocks: !isTracked,
				What: fmt.Sprintf("%s is not a regular file (%s); Ecto would try to read it as migration %d.", rel, en.Type(), v),
				Next: fmt.Sprintf("Move it out of %s.", folder)})
		case isTracked && isApplied[v] && !inVersions(rp.Rollback, v):
			// Neither regen nor Ecto reads a tracked, applied migration
			// the run does not roll back: no need to open it.
		default:
			f, err := os.Open(filepath.Join(abs, en.Name()))
			if err == nil {
				_, err = f.Read(make([]byte, 1))
				f.Close()
				if errors.Is(err, io.EOF) {
					err = nil
				}
			}
			if err == nil {
				continue
			}
			// Ecto reads it to roll it back or to apply it, regen to back
			// it up.
			rp.Problems = append(rp.Problems, Problem{Kind: ProblemUnreadable, Path: rel, Version: v, Blocks: true,
				What: fmt.Sprintf("%s cannot be read (%v); regen backs it up and mix reads it to roll it back or apply it.", rel, err),
				Next: fmt.Sprintf("`chmod u+r %s`", shellQuote(rel))})
		}
	}
}

func symlinkProblem(rel, file string, v int64, isTracked, applied bool) Problem {
	target, _ := os.Readlink(file)
	pr := Problem{Kind: ProblemSymlink, Path: rel, Version: v}
	lead := fmt.Sprintf("%s is a symlink to %s. regen never follows symlinks (it neither backs it up, rolls it back nor removes it), but Ecto reads through it as migration %d", rel, target, v)
	if _, err := os.Stat(file); err != nil {
		pr.Blocks = true
		pr.What = lead + "; its target does not exist, so migrate would fail to read it."
		pr.Next = fmt.Sprintf("Remove the dangling link: `rm %s`.", shellQuote(rel))
		return pr
	}
	abs := target
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(filepath.Dir(file), target)
	}
	fix := fmt.Sprintf("Replace the link with a copy of its file, which regen can then handle: `rm %s && cp %s %s`; or, if it is not part of this work, remove the link: `rm %s`.",
		shellQuote(rel), shellQuote(abs), shellQuote(rel), shellQuote(rel))
	switch {
	case isTracked:
		pr.What = lead + "; git tracks the link, so regen leaves it as it is."
	case applied:
		pr.Blocks = true
		pr.What = lead + ". It is applied: the run could not roll it back, codegen would write its change again, and migrate would fail on it."
		pr.Next = fix
	default:
		pr.Blocks = true
		pr.What = lead + ". It is not applied: migrate would apply it next to the regenerated migration, which holds the same change."
		pr.Next = fix
	}
	return pr
}

// orphanProblems: an applied version with no file is skipped by Ecto's
// rollback, so its change stays in the database. Newer than every tracked
// migration it is feature work: codegen writes its change again and the
// migration fails on it. Older, it is history someone removed: the run
// leaves it applied.
func (p *workspace) orphanProblems(r project.RepoConfig, rp *RepoPlan, explained map[int64]bool) {
	var newest int64
	for _, m := range rp.Tracked {
		if m.Version > newest {
			newest = m.Version
		}
	}
	source := r.MigrationSource
	if source == "" {
		source = "schema_migrations"
	}
	for _, v := range rp.Orphans {
		if explained[v] {
			continue
		}
		pr := Problem{Kind: ProblemOrphan, Version: v}
		if v > newest {
			pr.Blocks = true
			pr.What = fmt.Sprintf("version %d is applied but its migration file is gone (deleted by hand?). Ecto skips it, so nothing can roll its change back; codegen would write that change again and migrate would fail on it (a column or table that exists).", v)
			pr.Next = fmt.Sprintf("Put the file back (from your editor's history or a copy) and run again; or, to drop that change, undo it in the database by hand and then delete its row: `DELETE FROM %s WHERE version = %d;` (in %s).", source, v, rp.Database)
		} else {
			pr.What = fmt.Sprintf("version %d is applied and has no migration file (older than the newest tracked migration: removed history?). Ecto skips it; the run leaves it applied.", v)
		}
		rp.Problems = append(rp.Problems, pr)
	}
}

// deletedProblems: a tracked migration deleted from the work tree. Ecto
// does not see it; the run needs it only when it rolls it back (--force)
// or rebuilds (marked later, once those are known).
func (p *workspace) deletedProblems(r project.RepoConfig, rp *RepoPlan, scan *gitops.FolderScan, isApplied map[int64]bool) {
	for _, c := range scan.Changed {
		if c.Staged || c.Kind != gitops.Deleted {
			continue
		}
		rel := p.projectPath(c.Path)
		m, ok := migrationAt(rel, r.Migrations)
		if !ok {
			continue
		}
		what := fmt.Sprintf("%s is tracked but deleted from the work tree, so Ecto does not see it; ", rel)
		if isApplied[m.Version] {
			what += "its version stays applied and is skipped."
		} else {
			what += "it is not applied, and `-m` will not apply it."
		}
		rp.Problems = append(rp.Problems, Problem{Kind: ProblemDeleted, Path: rel, Version: m.Version, What: what,
			Next: fmt.Sprintf("`git checkout -- %s`", shellQuote(rel))})
	}
}

// conflictProblems: a file under the folders with a merge conflict holds
// conflict markers: codegen cannot decode such a snapshot, Ecto cannot
// compile such a migration.
func (p *workspace) conflictProblems(rp *RepoPlan, scan *gitops.FolderScan) {
	for _, c := range scan.Changed {
		if c.Kind != gitops.Unmerged {
			continue
		}
		rel := p.projectPath(c.Path)
		q := shellQuote(rel)
		rp.Problems = append(rp.Problems, Problem{Kind: ProblemConflict, Path: rel, Blocks: true,
			What: fmt.Sprintf("%s has an unresolved merge conflict; codegen and Ecto would read its conflict markers and fail.", rel),
			Next: fmt.Sprintf("Resolve it (`git checkout --theirs -- %s` or `--ours`, or edit it), then `git add %s`.", q, q)})
	}
}

// duplicateProblems: two kept migrations with one version. Ecto refuses to
// migrate ("migration version N is duplicated"); the rollback, which runs
// on a folder of its own, is not affected. So it stops `-m` runs (marked
// once the plan knows whether it migrates).
func duplicateProblems(rp *RepoPlan) {
	removed := make(map[string]bool, len(rp.Remove))
	for _, f := range rp.Remove {
		removed[f] = true
	}
	seen := make(map[int64]string, len(rp.Tracked)) // sized: 2,000 tracked migrations rehashed it eight times
	for _, m := range rp.Tracked {
		if removed[m.Path] {
			continue
		}
		if prev, dup := seen[m.Version]; dup {
			rp.Problems = append(rp.Problems, Problem{Kind: ProblemDuplicate, Path: m.Path, Version: m.Version,
				What: fmt.Sprintf("%s and %s have the same version %d; Ecto refuses to migrate then (\"migration version %d is duplicated\"), so a run with -m would fail at migrate.", prev, m.Path, m.Version, m.Version),
				Next: fmt.Sprintf("Give one of them a new timestamp: `git mv %s %s/<new 14-digit timestamp>_%s.exs`, then commit.", shellQuote(m.Path), path.Dir(m.Path), m.Slug)})
			continue
		}
		seen[m.Version] = m.Path
	}
}

// strandedSnapshotProblems: a tracked snapshot written by the same codegen
// run as an untracked migration (snapshots are named after the run's
// timestamp: the migration gets T, its snapshots T+1, T+2, …; so a
// snapshot belongs to the newest migration not after it). The snapshot was
// committed without its migration: after the rollback, codegen compares
// against it, finds no changes, and the rolled-back change (and its data)
// is gone while the run says done.
func (p *workspace) strandedSnapshotProblems(r project.RepoConfig, rp *RepoPlan, scan *gitops.FolderScan) {
	if len(rp.Untracked) == 0 {
		return
	}
	// The migration each snapshot belongs to is the latest at or before
	// its timestamp, tracked or untracked (both lists are sorted by
	// version; on a tie the tracked one owns it, as a duplicate version is
	// refused on its own).
	owner := func(t int64) (Migration, bool) {
		i := sort.Search(len(rp.Tracked), func(i int) bool { return rp.Tracked[i].Version > t }) - 1
		j := sort.Search(len(rp.Untracked), func(j int) bool { return rp.Untracked[j].Version > t }) - 1
		if j < 0 || (i >= 0 && rp.Tracked[i].Version >= rp.Untracked[j].Version) {
			return Migration{}, false
		}
		return rp.Untracked[j], !rp.Untracked[j].Committed
	}
	stranded := map[string][]string{}
	var order []string
	for _, g := range scan.Tracked {
		rel := p.projectPath(g)
		base := path.Base(rel)
		if _, ok := snapshots.InFolder(rel, r.Snapshots); !ok || len(base) != len("20060102150405.json") {
			continue
		}
		t, err := strconv.ParseInt(strings.TrimSuffix(base, ".json"), 10, 64)
		if err != nil {
			continue
		}
		m, untracked := owner(t)
		if !untracked {
			continue
		}
		mp := m.Path
		if _, ok := stranded[mp]; !ok {
			order = append(order, mp)
		}
		stranded[mp] = append(stranded[mp], rel)
	}
	for _, mp := range order {
		snaps := stranded[mp]
		quoted := make([]string, len(snaps))
		for i, s := range snaps {
			quoted[i] = shellQuote(s)
		}
		rp.Problems = append(rp.Problems, Problem{Kind: ProblemStranded, Path: mp, Blocks: true,
			What: fmt.Sprintf("%s is untracked, but the snapshot(s) codegen wrote with it are committed (%s). After the rollback codegen would compare against them, find no changes and write nothing: the change and its data would be gone while the run says done.", mp, strings.Join(snaps, ", ")),
			Next: fmt.Sprintf("To regenerate it, untrack those snapshots: `git rm --cached %s` (the run then replaces them); to keep the migration as it is, commit it: `git add %s`.", strings.Join(quoted, " "), shellQuote(mp))})
	}
}

// migrateProblems marks the problems that only a run with -m meets.
func (rp *RepoPlan) migrateProblems(migrate bool) {
	for i := range rp.Problems {
		if rp.Problems[i].Kind == ProblemDuplicate {
			rp.Problems[i].Blocks = migrate
		}
	}
}

// hiddenProblems: tracked files with the skip-worktree bit that are not
// in the work tree (a sparse checkout leaves them out, or `git update-index
// --skip-worktree`): git status never reports them, and codegen and Ecto
// do not see them, so codegen writes a full new set and migrate fails.
func (p *workspace) hiddenProblems(r project.RepoConfig, rp *RepoPlan, scan *gitops.FolderScan) {
	count := map[string]int{}
	for _, g := range scan.SkipWorktree {
		if _, err := os.Lstat(filepath.Join(p.git.Root, filepath.FromSlash(g))); !os.IsNotExist(err) {
			continue
		}
		rel := p.projectPath(g)
		for _, f := range r.Folders() {
			if under(rel, f) {
				count[f]++
				break
			}
		}
	}
	var folders []string
	for f := range count {
		folders = append(folders, f)
	}
	sort.Strings(folders)
	sparse := len(folders) > 0 && p.git.SparseCheckout()
	for _, f := range folders {
		why := "they are marked skip-worktree"
		next := fmt.Sprintf("`git ls-files -z -- %s | xargs -0 git update-index --no-skip-worktree --` and then `git checkout -- %s` (in %s)", shellQuote(f), shellQuote(f), p.cfg.Root)
		if sparse {
			why = "the sparse checkout leaves them out"
			next = fmt.Sprintf("`git sparse-checkout add %s` (in %s)", shellQuote(p.gitPath(f)), p.git.Root)
		}
		effect := "codegen would not see the snapshots: it would write a full new set and a migration that creates tables that exist, and migrate would fail."
		if f == r.Migrations || f == r.TenantMigrations {
			effect = "Ecto would not see those tracked migrations: it could neither roll them back nor apply them."
		}
		rp.Problems = append(rp.Problems, Problem{Kind: ProblemHidden, Path: f, Blocks: true,
			What: fmt.Sprintf("%d tracked file(s) under %s are not in the work tree, and git status does not show them (%s); %s", count[f], f, why, effect),
			Next: next})
	}
}

// snapshotProblems checks, per table folder, the snapshot codegen will
// read: the newest one left after the run's removals (the index's content
// when the run restores it). Codegen fails on one it cannot decode.
func (p *workspace) snapshotProblems(r project.RepoConfig, rp *RepoPlan, tracked map[string]bool, scan *gitops.FolderScan) {
	removed := map[string]bool{}
	for _, f := range rp.Remove {
		removed[f] = true
	}
	restored := map[string]bool{}
	for _, f := range rp.RestoreTracked {
		restored[f] = true
	}
	for _, pr := range rp.Problems {
		removed[pr.Path] = true // already explained (a conflict): not twice
	}
	if ext := path.Join(r.Snapshots, "extensions.json"); !removed[ext] {
		if fi, err := os.Lstat(filepath.Join(p.cfg.Root, filepath.FromSlash(ext))); err == nil {
			if pr, bad := p.checkSnapshot(ext, fi.Mode().Type(), tracked[ext], restored[ext]); bad {
				rp.Problems = append(rp.Problems, pr)
			}
		}
	}
	list := p.lister(scan)
	for _, dir := range snapshotTableDirs(p.cfg.Root, r.Snapshots, rp, list) {
		entries, err := list(dir)
		if err != nil {
			continue
		}
		newest := ""
		var newestType os.FileMode
		for _, en := range entries {
			rel := path.Join(dir, en.Name())
			if _, ok := snapshots.InFolder(rel, r.Snapshots); en.IsDir() || !ok || en.Name() == "extensions.json" || removed[rel] {
				continue
			}
			if en.Name() > path.Base(newest) || newest == "" {
				newest, newestType = rel, en.Type()
			}
		}
		if newest == "" {
			continue
		}
		if pr, bad := p.checkSnapshot(newest, newestType, tracked[newest], restored[newest]); bad {
			rp.Problems = append(rp.Problems, pr)
		}
	}
}

// snapshotTableDirs lists the table folders under the snapshots folder
// (tenants' too); a table folder that is a symlink is reported instead.
// list is os.ReadDir of a project folder (see lister).
func snapshotTableDirs(root, snaps string, rp *RepoPlan, list func(dir string) ([]os.DirEntry, error)) []string {
	var out []string
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		entries, err := list(dir)
		if err != nil {
			return
		}
		for _, en := range entries {
			rel := path.Join(dir, en.Name())
			switch {
			case en.Type()&os.ModeSymlink != 0:
				if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err == nil && fi.IsDir() {
					rp.Problems = append(rp.Problems, Problem{Kind: ProblemSymlink, Path: rel, Blocks: true,
						What: fmt.Sprintf("%s is a symlink to a folder. regen never follows symlinks (it neither backs up nor removes what is behind it), but codegen reads the snapshots through it.", rel),
						Next: fmt.Sprintf("Replace the link with a copy of its folder: `rm %s && cp -R \"$(readlink %s)\" %s` (or remove it).", shellQuote(rel), shellQuote(rel), shellQuote(rel))})
				}
			case !en.IsDir():
			case en.Name() == "tenants" && depth == 0:
				walk(rel, depth+1)
			default:
				out = append(out, rel)
			}
		}
	}
	walk(snaps, 0)
	return out
}

// lister is os.ReadDir of a project folder, from the listings the scan's
// walk read where it has them (the snapshots folder's table folders: no
// second reading of each), sorted as os.ReadDir sorts.
func (p *workspace) lister(scan *gitops.FolderScan) func(dir string) ([]os.DirEntry, error) {
	return func(dir string) ([]os.DirEntry, error) {
		if scan != nil {
			if ents, ok := scan.Listing(p.gitPath(dir)); ok {
				slices.SortFunc(ents, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
				return ents, nil
			}
		}
		return os.ReadDir(filepath.Join(p.cfg.Root, filepath.FromSlash(dir)))
	}
}

func (p *workspace) checkSnapshot(rel string, typ os.FileMode, isTracked, restored bool) (Problem, bool) {
	lead := fmt.Sprintf("%s is the newest snapshot of table %s, the one codegen reads", rel, path.Base(path.Dir(rel)))
	if path.Base(rel) == "extensions.json" {
		lead = rel + " is read by codegen (AshPostgres's extensions)"
	}
	if typ&os.ModeSymlink != 0 {
		target, _ := os.Readlink(filepath.Join(p.cfg.Root, filepath.FromSlash(rel)))
		return Problem{Kind: ProblemSymlink, Path: rel, Blocks: true,
			What: lead + fmt.Sprintf("; it is a symlink to %s, which regen never follows (it neither backs up nor removes it), while codegen reads through it.", target),
			Next: fmt.Sprintf("Replace the link with a copy of its file: `rm %s && cp \"$(readlink %s)\" %s`; or remove it: `rm %s`.", shellQuote(rel), shellQuote(rel), shellQuote(rel), shellQuote(rel))}, true
	}
	var data []byte
	var err error
	if restored {
		// The run puts the index's content back first, as git checks it
		// out (through the path's filters).
		var mode os.FileMode
		if data, mode, err = p.git.IndexBlob(p.gitPath(rel)); err == nil {
			data, err = p.checkoutBytes(rel, data, mode)
		}
	} else {
		data, err = os.ReadFile(filepath.Join(p.cfg.Root, filepath.FromSlash(rel)))
	}
	if err != nil {
		return Problem{Kind: ProblemUnreadable, Path: rel, Blocks: true,
			What: lead + fmt.Sprintf("; it cannot be read (%v), so codegen would fail.", err),
			Next: fmt.Sprintf("`chmod u+r %s`", shellQuote(rel))}, true
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		next := fmt.Sprintf("Fix the file, or remove it if it is yours: `rm %s`.", shellQuote(rel))
		if isTracked {
			next = fmt.Sprintf("Fix the file, or take a good version from git: `git log --oneline -- %s` lists its commits, `git checkout COMMIT -- %s` takes it from one.", shellQuote(rel), shellQuote(rel))
		}
		where := ""
		if restored {
			where = " (as the index has it, which the run puts back first)"
		}
		return Problem{Kind: ProblemBadSnapshot, Path: rel, Blocks: true,
			What: lead + fmt.Sprintf("%s; it is not valid JSON (%v), so codegen would fail on it.", where, err),
			Next: next}, true
	}
	return Problem{}, false
}

// neededProblems marks, once the rollback set is final (--force), the
// problems of files the run must read: a deleted tracked migration that it
// rolls back and applies again.
func (rp *RepoPlan) neededProblems() {
	for i := range rp.Problems {
		pr := &rp.Problems[i]
		if pr.Kind == ProblemDeleted && !pr.Blocks && inVersions(rp.Rollback, pr.Version) {
			pr.Blocks = true
			pr.What += " The run rolls it back and applies it again (--force), which needs the file."
		}
	}
}

// strategyProblems: a rebuild exists on SQLite only; on PostgreSQL the
// run would fail at its rollback step.
func (rp *RepoPlan) strategyProblems(strategy Strategy, canRebuild bool) {
	if strategy == StrategyRebuild && !canRebuild && len(rp.Rollback) > 0 {
		rp.Problems = append(rp.Problems, Problem{Kind: ProblemAdapter, Blocks: true,
			What: fmt.Sprintf("repo %s is on PostgreSQL, and the rebuild strategy works on SQLite only (a failing `down` rolls back in its own transaction there).", rp.Name),
			Next: "Run with `--rollback down` (or set rollback_strategy = \"down\" in .regen.toml)."})
	}
}

// rebuildProblems: a rebuild recreates the database from the tracked,
// applied migrations, copied from the work tree; it cannot do without any.
func (rp *RepoPlan) rebuildProblems() {
	if rp.RollbackBy != StrategyRebuild {
		return
	}
	for i := range rp.Problems {
		pr := &rp.Problems[i]
		if pr.Blocks {
			continue
		}
		switch pr.Kind {
		case ProblemOrphan:
			pr.Blocks = true
			pr.What += " But this run rebuilds the database from the tracked migrations, and cannot recreate this version's schema."
			pr.Next = "Put the file back, or run with `--rollback down`."
		case ProblemDeleted, ProblemUnreadable:
			pr.Blocks = true
			pr.What += " But this run rebuilds the database from the tracked migrations, which needs the file."
		}
	}
}

func inVersions(ms []Migration, v int64) bool {
	for _, m := range ms {
		if m.Version == v {
			return true
		}
	}
	return false
}
