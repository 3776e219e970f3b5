package regen

import (
	"context"
	"fmt"
	"github.com/regen-tool/regen/gitops"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/regen-tool/regen/regen/phantom"
	"github.com/regen-tool/regen/regen/project"
)

// Issue 13: phantoms (applied versions whose file left the work tree with
// a branch switch) and regen's store of applied files (regen/phantom).

// Phantom is an applied version with no migration file in the work tree,
// and where its file was found (status fills it in).
type Phantom struct {
	Version int64            `json:"version"`
	File    string           `json:"file,omitempty"` // base name, "" when nowhere
	Where   phantom.Location `json:"where"`
	// Tenants: for a tenant phantom, the schemas that have it applied.
	Tenants []string `json:"tenants,omitempty"`
}

// EditedMigration is an applied migration whose file differs from the
// content regen saw applied (someone edited a migration that already ran).
type EditedMigration struct {
	Version int64  `json:"version"`
	Path    string `json:"path"` // project-relative, as it is now
	// AppliedAs is the file name it had when applied (it may have been renamed).
	AppliedAs string `json:"applied_as"`
}

// storeGitDir is where regen's store lives (<gitdir>/regen/store, beside
// the state dir).
func (p *workspace) storeGitDir() string { return p.git.GitDir }

// rememberApplied copies the repo's applied migration files (and the
// tenants') into the store and finds the applied ones edited since. It
// reads only files regen has not remembered yet, plus each remembered
// one once to compare. A store that cannot be read or written never fails
// the plan: p.storeProblem says so once.
//
// scan is the plan's scan of the folders, taken after now: the stats it
// took of the tracked files are used, not taken again. isApplied is the
// plan's set of rp.Applied (only read).
func (p *workspace) rememberApplied(r project.RepoConfig, rp *RepoPlan, tenantFiles []Migration, stamps map[int64]string, scan *gitops.FolderScan, now time.Time, isApplied map[int64]bool) {
	files := make([]Migration, 0, len(rp.Applied))
	for _, ms := range [][]Migration{rp.Tracked, rp.Untracked} {
		for _, m := range ms {
			if m.Applied {
				files = append(files, m)
			}
		}
	}
	rp.EditedAfterApplied = p.rememberFolderAt(r.Migrations, files, isApplied, stamps, now, scan)
	if r.TenantMigrations == "" {
		return
	}
	tenantApplied := map[int64]bool{}
	for _, tp := range rp.Tenants {
		for _, v := range tp.Applied {
			tenantApplied[v] = true
		}
	}
	var tfiles []Migration
	for _, m := range tenantFiles {
		if tenantApplied[m.Version] {
			tfiles = append(tfiles, m)
		}
	}
	rp.TenantEditedAfterApplied = p.rememberFolderAt(r.TenantMigrations, tfiles, tenantApplied, nil, now, scan) // no stamps: first content seen wins
}

// rememberFolder: stamps (inserted_at by version, nil when unknown) tell a
// version applied again since it was remembered (its content now is what
// ran) from one edited after it ran. A file whose stat signature is the one
// the store last saw it with is not read again (phantom.Stat): the work
// grows with what changed, not with the number of applied migrations.
func (p *workspace) rememberFolder(folder string, files []Migration, isApplied map[int64]bool, stamps map[int64]string) []EditedMigration {
	return p.rememberFolderAt(folder, files, isApplied, stamps, time.Now(), nil)
}

// rememberFolderAt is rememberFolder with the time taken before the stats
// (see phantom.SettledStat) and the scan that took them (nil: they are
// taken here).
func (p *workspace) rememberFolderAt(folder string, files []Migration, isApplied map[int64]bool, stamps map[int64]string, now time.Time, scan *gitops.FolderScan) []EditedMigration {
	gitDir, dir := p.storeGitDir(), p.gitPath(folder)
	var edited []EditedMigration
	err := phantom.Visit(gitDir, dir, p.storeReadOnly, func(recs map[string]phantom.Applied) phantom.Update {
		var u phantom.Update
		edited, u = p.compareApplied(files, recs, stamps, now, scan)
		// Rolled back since: applying it again is a new application.
		for v := range recs {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && !isApplied[n] {
				u.Gone = append(u.Gone, v)
			}
		}
		return u
	})
	if err != nil {
		p.noteStore(err)
	}
	return edited
}

// compareApplied sorts the applied files into the ones to remember (new to
// the store, or applied again since), the edited ones, and the unedited
// ones whose signature the store should keep for next time.
func (p *workspace) compareApplied(files []Migration, recs map[string]phantom.Applied, stamps map[int64]string, now time.Time, scan *gitops.FolderScan) ([]EditedMigration, phantom.Update) {
	var edited []EditedMigration
	var u phantom.Update
	for _, m := range files {
		info, err := p.lstatScanned(scan, m.Path)
		if err != nil || !info.Mode().IsRegular() {
			continue // a symlink is never followed; the plan reports unreadable files
		}
		v := strconv.FormatInt(m.Version, 10)
		rec, seen := recs[v]
		stamp := stamps[m.Version]
		again := !seen || (stamp != "" && stamp != rec.AppliedAt)
		sig, hasSig := fileStat(info)
		if !again && hasSig && rec.Seen != nil && *rec.Seen == sig {
			continue // unchanged since it was last found unedited
		}
		data, err := os.ReadFile(p.abs(m.Path))
		if err != nil {
			continue
		}
		var settled *phantom.Stat
		if hasSig {
			settled = phantom.SettledStat(sig, now)
		}
		switch {
		case again:
			u.Fresh = append(u.Fresh, phantom.AppliedFile{Version: v, FileName: path.Base(m.Path), Content: data, AppliedAt: stamp, Seen: settled})
		case rec.SHA256 != sha256Bytes(data):
			edited = append(edited, EditedMigration{Version: m.Version, Path: m.Path, AppliedAs: rec.FileName})
		case settled != nil:
			if u.Seen == nil {
				u.Seen = map[string]phantom.Stat{}
			}
			u.Seen[v] = *settled
		}
	}
	return edited, u
}

// lstatScanned is os.Lstat of the project file rel, as the scan took it
// when it did (a tracked file: 2,000 applied migrations are not stat'ed
// twice, nor their paths built), else now.
func (p *workspace) lstatScanned(scan *gitops.FolderScan, rel string) (fs.FileInfo, error) {
	if scan != nil {
		if fi, ok := scan.Lstat(p.gitPath(rel)); ok {
			return fi, nil
		}
	}
	return os.Lstat(p.abs(rel))
}

// abs is the absolute path of the project file rel.
func (p *workspace) abs(rel string) string { return filepath.Join(p.cfg.Root, filepath.FromSlash(rel)) }

// fileStat is the store's signature of a file (false where the platform
// gives no change time and inode: there every file is read).
func fileStat(info fs.FileInfo) (phantom.Stat, bool) {
	ctime, ino, ok := changeStamp(info)
	if !ok {
		return phantom.Stat{}, false
	}
	return phantom.Stat{Size: info.Size(), Mtime: info.ModTime().UnixNano(), Ctime: ctime, Ino: ino}, true
}

func (p *workspace) noteStore(err error) {
	if p.storeProblem == "" {
		p.storeProblem = fmt.Sprintf("regen's store could not be used (%v); phantoms are looked for in git only, and edits of applied migrations are not seen", err)
	}
}

// resolvePhantoms finds, for status, where each phantom's file is.
func (p *workspace) resolvePhantoms(ctx context.Context, pl *Plan) {
	for i := range pl.Repos {
		rp := &pl.Repos[i]
		r := p.cfg.Repos[i]
		rp.Phantoms = p.resolveFolder(ctx, r.Migrations, rp.Orphans, nil)
		if r.TenantMigrations != "" {
			vs, by := tenantOrphans(rp)
			rp.TenantPhantoms = p.resolveFolder(ctx, r.TenantMigrations, vs, by)
		}
		rp.phantomProblems()
	}
	pl.StoreProblem = p.storeProblem
}

func (p *workspace) resolveFolder(ctx context.Context, folder string, versions []int64, tenants map[int64][]string) []Phantom {
	if len(versions) == 0 {
		return nil
	}
	req := phantom.Request{GitDir: p.storeGitDir(), WorkTree: p.git.Root, MigrationsDir: p.gitPath(folder), Repo: p.git, SkipContent: true, NoWrite: p.storeReadOnly}
	for _, v := range versions {
		req.Versions = append(req.Versions, strconv.FormatInt(v, 10))
	}
	found, err := phantom.Resolve(ctx, req)
	if err != nil {
		p.noteStore(err)
		return nil
	}
	out := make([]Phantom, 0, len(found))
	for _, f := range found {
		v, _ := strconv.ParseInt(f.Version, 10, 64)
		out = append(out, Phantom{Version: v, File: f.FileName, Where: f.Where, Tenants: tenants[v]})
	}
	return out
}

// tenantOrphans are the tenant versions applied in some schema with no
// tenant migration file in the work tree, and the schemas that have each.
func tenantOrphans(rp *RepoPlan) ([]int64, map[int64][]string) {
	withFile := map[int64]bool{}
	for _, m := range rp.TenantFiles {
		withFile[m] = true
	}
	by := map[int64][]string{}
	for _, tp := range rp.Tenants {
		for _, v := range tp.Applied {
			if !withFile[v] {
				by[v] = append(by[v], tp.Prefix)
			}
		}
	}
	vs := make([]int64, 0, len(by))
	for v := range by {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	return vs, by
}

// phantomProblems: the orphan problems of phantoms whose file was found
// become one problem naming them all (the phantoms are listed with their
// places); those found nowhere keep their own. A thousand phantoms after a
// branch switch are one situation, not a thousand.
func (rp *RepoPlan) phantomProblems() {
	located := map[int64]bool{}
	for _, ph := range rp.Phantoms {
		if ph.Where.Source != phantom.SourceNowhere {
			located[ph.Version] = true
		}
	}
	if len(located) == 0 {
		return
	}
	kept := rp.Problems[:0]
	merged := Problem{Kind: ProblemPhantom}
	var versions []int64
	for _, pr := range rp.Problems {
		if pr.Kind == ProblemOrphan && located[pr.Version] {
			merged.Blocks = merged.Blocks || pr.Blocks
			versions = append(versions, pr.Version)
			continue
		}
		kept = append(kept, pr)
	}
	rp.Problems = kept
	if len(versions) == 0 {
		return
	}
	merged.What = fmt.Sprintf("%d applied version(s) have no migration file in the work tree (phantoms, listed with where their files are: a branch switch or a stash took them away). Ecto skips them, so their changes stay in the database.", len(versions))
	if merged.Blocks {
		merged.What += " Codegen would write those changes again and migrate would fail on them."
	}
	merged.Next = "Switch back to the branch that has them, or roll them back from their files (`regen sync`) before working here."
	rp.Problems = append(rp.Problems, merged)
}

// rememberState copies into regen's store the migration files each repo
// of j has applied now, as a run's commit does for what it leaves applied,
// and undo and recover for the files they put back (else a file they
// brought back is in the store only at the next status, and lost with it
// if deleted before). fresh: read the applied versions from the database
// now (after a restore or recover's finish); else the run's after-state,
// just read by its commit. Best effort, like every store write: a store
// that cannot be written never fails the command (the next status says
// so). A project that did not load (p nil) or is not the run's remembers
// nothing.
func (p *workspace) rememberState(ctx context.Context, j *Journal, fresh bool) {
	if p == nil || j == nil || filepath.Clean(p.cfg.Root) != filepath.Clean(j.Root) {
		return
	}
	ctx = context.WithoutCancel(ctx) // the command's work is done: a late signal does not skip this
	for i, r := range p.cfg.Repos {
		if i >= len(p.dbs) {
			return
		}
		rec, ok := j.repoNamed(r.Name)
		if !ok {
			continue
		}
		applied := rec.After
		if fresh {
			v, err := p.dbs[i].Applied(ctx)
			if err != nil {
				continue // status reads it again, and says what is wrong
			}
			applied = v
		}
		var files []Migration
		if !fresh {
			// Only what ran now (the plan compared the rest moments ago),
			// found in the after-state the commit just took.
			files = ranNow(rec).only(appliedIn(j.After, r.Migrations, applied))
		} else {
			files = p.appliedFiles(r.Migrations, applied)
		}
		p.rememberFolder(r.Migrations, files, versionSet(applied), p.dbs[i].AppliedStamps())
		if r.TenantMigrations != "" && len(rec.TenantBefore) > 0 {
			p.rememberTenants(ctx, i, r, rec)
		}
	}
}

// remembersFromDatabase: rememberState(…, false) of j reads a database (the
// tenant schemas' versions), so it must not run beside other database work.
func (p *workspace) remembersFromDatabase(j *Journal) bool {
	if p == nil || j == nil {
		return false
	}
	for _, r := range p.cfg.Repos {
		if rec, ok := j.repoNamed(r.Name); ok && r.TenantMigrations != "" && len(rec.TenantBefore) > 0 {
			return true
		}
	}
	return false
}

// rememberTenants does the same for the tenant migrations folder: the
// versions some tenant schema (of those the run recorded) has applied now.
// Tenant versions have no inserted_at: the first content seen is kept.
func (p *workspace) rememberTenants(ctx context.Context, i int, r project.RepoConfig, rec RepoRecord) {
	ts, ok := p.dbs[i].Tenants()
	if !ok {
		return
	}
	prefixes := make([]string, 0, len(rec.TenantBefore))
	for prefix := range rec.TenantBefore {
		prefixes = append(prefixes, prefix)
	}
	sort.Strings(prefixes)
	by, err := ts.TenantApplied(ctx, prefixes)
	if err != nil {
		return // status reads them again, and says what is wrong
	}
	var applied []int64
	for _, vs := range by {
		applied = append(applied, vs...)
	}
	p.rememberFolder(r.TenantMigrations, p.appliedFiles(r.TenantMigrations, applied), versionSet(applied), nil)
}

// appliedFiles are the regular files of a migrations folder whose
// versions are in applied.
func (p *workspace) appliedFiles(folder string, applied []int64) []Migration {
	isApplied := versionSet(applied)
	entries, err := os.ReadDir(filepath.Join(p.cfg.Root, filepath.FromSlash(folder)))
	if err != nil {
		return nil
	}
	var files []Migration
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue // a symlink is never followed
		}
		if m, ok := migrationAt(folder+"/"+e.Name(), folder); ok && isApplied[m.Version] {
			m.Applied = true
			files = append(files, m)
		}
	}
	return files
}

// appliedIn is appliedFiles from an inventory of the folder (nil: none).
func appliedIn(set *FileSet, folder string, applied []int64) []Migration {
	if set == nil {
		return nil
	}
	isApplied := versionSet(applied)
	var files []Migration
	for _, f := range set.Files {
		if !f.Mode.IsRegular() || f.Symlink != "" {
			continue // a symlink is never followed
		}
		if m, ok := migrationAt(f.Path, folder); ok && isApplied[m.Version] {
			m.Applied = true
			files = append(files, m)
		}
	}
	return files
}

func versionSet(vs []int64) map[int64]bool {
	set := make(map[int64]bool, len(vs))
	for _, v := range vs {
		set[v] = true
	}
	return set
}

// repoNamed is j's record of the repo named name.
func (j *Journal) repoNamed(name string) (RepoRecord, bool) {
	for _, rec := range j.Repos {
		if rec.Name == name {
			return rec, true
		}
	}
	return RepoRecord{}, false
}

// versionFilter is a set of versions.
type versionFilter map[int64]bool

// only is the files whose versions are in f.
func (f versionFilter) only(files []Migration) []Migration {
	var out []Migration
	for _, m := range files {
		if f[m.Version] {
			out = append(out, m)
		}
	}
	return out
}

// ranNow is the versions a run applied: applied after it and not applied,
// untouched, before it (the rolled-back ones were applied again). A
// commit reads only those: the plan compared and remembered the rest.
func ranNow(rr RepoRecord) versionFilter {
	kept := map[int64]bool{}
	for _, v := range rr.Before {
		kept[v] = true
	}
	for _, v := range rr.Rollback {
		delete(kept, v)
	}
	out := map[int64]bool{}
	for _, v := range rr.After {
		if !kept[v] {
			out[v] = true
		}
	}
	return out
}
