package regen

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/regen-tool/regen/regen/phantom"
	"github.com/regen-tool/regen/regen/project"
	"github.com/regen-tool/regen/snapshots"
)

// The plan of `regen sync`: the regen plan of the work tree (read only),
// turned into "roll back the phantoms, apply what is pending". A phantom
// is an applied version with no migration file in the work tree; its file
// comes from git or regen's store (package phantom) and is written only
// into the run's own rollback folder. The work tree is never changed.

// SyncPhantom is one phantom of a sync, for its result and messages.
type SyncPhantom struct {
	Repo string `json:"repo"`
	Phantom
}

// Missing: its file was found nowhere, so it cannot be rolled back.
func (ph SyncPhantom) Missing() bool { return ph.Where.Source == phantom.SourceNowhere }

func (ph SyncPhantom) String() string {
	name := strconv.FormatInt(ph.Version, 10)
	if ph.File != "" {
		name = strings.TrimSuffix(ph.File, ".exs")
	}
	if len(ph.Tenants) > 0 {
		return fmt.Sprintf("%s (repo %s, tenant(s) %s)", name, ph.Repo, strings.Join(ph.Tenants, ", "))
	}
	return fmt.Sprintf("%s (repo %s)", name, ph.Repo)
}

// bytes is the migration's file: the recovered content of a phantom, else
// the file under root.
func (m Migration) bytes(root string) ([]byte, error) {
	if m.content != nil {
		return m.content, nil
	}
	return os.ReadFile(filepath.Join(root, filepath.FromSlash(m.Path)))
}

// copyTo puts the migration's file at dst (a rollback folder of the run):
// a phantom's recovered bytes, else a copy of the file under root.
func (m Migration) copyTo(root, dst string) error {
	if m.content != nil {
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		return writeFileAtomic(dst, m.content, 0o600)
	}
	_, err := copyFileAtomic(filepath.Join(root, filepath.FromSlash(m.Path)), dst, 0o600)
	return err
}

// syncPlan is what a sync will do, beyond the Plan the reporter shows.
type syncPlan struct {
	phantoms []SyncPhantom // every phantom, found or not
	pending  int           // migrations of the work tree (and tenants) not applied
}

func (sp *syncPlan) missing() []SyncPhantom {
	var out []SyncPhantom
	for _, ph := range sp.phantoms {
		if ph.Missing() {
			out = append(out, ph)
		}
	}
	return out
}

// rollbackCount is the number of phantoms the sync rolls back.
func (sp *syncPlan) rollbackCount() int { return len(sp.phantoms) - len(sp.missing()) }

// planSync turns the work tree's plan into the sync's: per repo, the found
// phantoms are the rollback set (the rollback runs newest first), no file
// is removed or restored, and every other migration stays as it is. The
// plan's phantom lists say where each file was found (as status does).
func (e *Engine) planSync(ctx context.Context, p *workspace, pl *Plan) (*syncPlan, error) {
	sp := &syncPlan{}
	pl.Blocked = ""
	for i := range pl.Repos {
		rp, r := &pl.Repos[i], p.cfg.Repos[i]
		rp.Rollback, rp.Reapply, rp.BlockedBy = nil, nil, nil
		rp.Remove, rp.RestoreTracked, rp.RestoreBase = nil, nil, nil
		found, err := p.recoverFolder(ctx, r.Migrations, rp.Orphans, nil)
		if err != nil {
			return nil, err
		}
		var missing []int64
		rp.Phantoms = nil
		for _, f := range found {
			rp.Phantoms = append(rp.Phantoms, f.ph)
			sp.phantoms = append(sp.phantoms, SyncPhantom{Repo: rp.Name, Phantom: f.ph})
			if f.m.content == nil {
				missing = append(missing, f.m.Version)
			} else {
				rp.Rollback = append(rp.Rollback, f.m)
			}
		}
		// Found phantoms are handled; the missing stay orphans (and a
		// rebuild refuses them, as for any run).
		rp.Orphans = missing
		rp.Problems = syncProblems(rp.Problems, missing, r)
		for _, m := range append(append([]Migration{}, rp.Tracked...), rp.Untracked...) {
			if !m.Applied {
				sp.pending++
			}
		}
		if r.TenantMigrations != "" && len(rp.Tenants) > 0 {
			if err := p.planTenantSync(ctx, r, rp, sp); err != nil {
				return nil, err
			}
		}
	}
	return sp, nil
}

// syncProblems keeps the problems that matter to a rollback and a migrate:
// the snapshots are codegen's (a sync runs none), and an orphan that has
// been found is a phantom the sync rolls back.
func syncProblems(problems []Problem, missing []int64, r project.RepoConfig) []Problem {
	var out []Problem
	for _, pr := range problems {
		switch {
		case pr.Kind == ProblemPhantom, pr.Kind == ProblemOrphan && !containsVersion(missing, pr.Version):
			continue
		case pr.Kind == ProblemOrphan:
			// A sync runs no codegen: the orphan only stays applied (with
			// --skip-missing; without, the sync refuses: missingError).
			pr.Blocks = false
			pr.What = fmt.Sprintf("version %d is applied, and its migration file is nowhere: not in the work tree, in git (any branch, tag, stash or reflog) or in regen's store, so a sync cannot roll it back.", pr.Version)
			pr.Next = "`regen sync --skip-missing` leaves it applied; or undo its change in the database by hand and delete its row from schema_migrations."
		case pr.Kind == ProblemBadSnapshot || pr.Kind == ProblemStranded || pr.Path != "" && under(pr.Path, r.Snapshots):
			pr.Blocks = false
		}
		out = append(out, pr)
	}
	return out
}

// planTenantSync: each tenant's phantoms are its applied versions with no
// file in the tenant migrations folder; they are rolled back from one
// folder holding every tenant phantom's recovered file.
func (p *workspace) planTenantSync(ctx context.Context, r project.RepoConfig, rp *RepoPlan, sp *syncPlan) error {
	for _, tp := range rp.Tenants {
		for _, v := range rp.TenantFiles {
			if !containsVersion(tp.Applied, v) {
				sp.pending++
			}
		}
	}
	vs, by := tenantOrphans(rp)
	found, err := p.recoverFolder(ctx, r.TenantMigrations, vs, by)
	if err != nil {
		return err
	}
	have := map[int64]bool{}
	rp.TenantUntracked, rp.TenantPhantoms = nil, nil
	for _, f := range found {
		rp.TenantPhantoms = append(rp.TenantPhantoms, f.ph)
		sp.phantoms = append(sp.phantoms, SyncPhantom{Repo: rp.Name, Phantom: f.ph})
		if f.m.content != nil {
			have[f.m.Version] = true
			rp.TenantUntracked = append(rp.TenantUntracked, f.m)
		}
	}
	for i := range rp.Tenants {
		tp := &rp.Tenants[i]
		tp.Rollback, tp.BlockedBy = nil, nil
		for _, v := range tp.Applied {
			if have[v] {
				tp.Rollback = append(tp.Rollback, v)
			}
		}
	}
	return nil
}

// recovered is one phantom with its file read back: m.content is nil when
// the file is nowhere.
type recovered struct {
	ph Phantom
	m  Migration
}

// recoverFolder finds the files of the given versions of a migrations
// folder (project-relative), in git and in regen's store, with their bytes
// (status asks only where they are: resolveFolder).
func (p *workspace) recoverFolder(ctx context.Context, folder string, vs []int64, tenants map[int64][]string) ([]recovered, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	req := phantom.Request{GitDir: p.storeGitDir(), WorkTree: p.git.Root, MigrationsDir: p.gitPath(folder), Repo: p.git}
	for _, v := range vs {
		req.Versions = append(req.Versions, strconv.FormatInt(v, 10))
	}
	found, err := phantom.Resolve(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("cannot look for the files of the phantom migrations in %s: %w", folder, err)
	}
	var out []recovered
	for _, f := range found {
		v, err := strconv.ParseInt(f.Version, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("phantom version %q: %w", f.Version, err)
		}
		r := recovered{ph: Phantom{Version: v, File: f.FileName, Where: f.Where, Tenants: tenants[v]}, m: Migration{Version: v, Applied: true}}
		if f.Content != nil && f.FileName != "" && path.Base(f.FileName) == f.FileName {
			if _, slug, ok := snapshots.ParseMigrationName(f.FileName); ok {
				r.m.Slug, r.m.Path, r.m.content = slug, path.Join(folder, f.FileName), f.Content
			}
		}
		if r.m.content == nil {
			// Nowhere, or a name that is no migration's: not rolled back.
			r.ph.Where = phantom.Location{Source: phantom.SourceNowhere}
			r.ph.File = ""
		}
		out = append(out, r)
	}
	return out, nil
}
