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

// Phantom is one phantom version, for the plan and the messages.
type Phantom struct {
	Repo    string `json:"repo"`
	Tenant  string `json:"tenant,omitempty"` // the tenant schema's prefix ("" for the repo)
	Version int64  `json:"version"`
	File    string `json:"file,omitempty"` // the file's base name ("" when nowhere)
	// Where the file was found, as status says it ("branch feature @ 1a2b3c4",
	// "regen's store", "nowhere: cannot be rolled back").
	Where   string `json:"where"`
	Missing bool   `json:"missing,omitempty"` // found nowhere: cannot be rolled back
}

func (ph Phantom) String() string {
	name := strconv.FormatInt(ph.Version, 10)
	if ph.File != "" {
		name = strings.TrimSuffix(ph.File, ".exs")
	}
	if ph.Tenant != "" {
		return fmt.Sprintf("%s (repo %s, tenant %s)", name, ph.Repo, ph.Tenant)
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
	phantoms []Phantom // every phantom, found or not
	pending  int       // migrations of the work tree (and tenants) not applied
}

func (sp *syncPlan) missing() []Phantom {
	var out []Phantom
	for _, ph := range sp.phantoms {
		if ph.Missing {
			out = append(out, ph)
		}
	}
	return out
}

// rollbackCount is the number of phantoms the sync rolls back.
func (sp *syncPlan) rollbackCount() int { return len(sp.phantoms) - len(sp.missing()) }

// planSync turns the work tree's plan into the sync's: per repo, the found
// phantoms are the rollback set (newest first, as the rollback runs), no
// file is removed or restored, and every other migration stays as it is.
func (e *Engine) planSync(ctx context.Context, p *workspace, pl *Plan) (*syncPlan, error) {
	sp := &syncPlan{}
	pl.Blocked = ""
	for i := range pl.Repos {
		rp, r := &pl.Repos[i], p.cfg.Repos[i]
		rp.Rollback, rp.Reapply, rp.BlockedBy = nil, nil, nil
		rp.Remove, rp.RestoreTracked, rp.RestoreBase = nil, nil, nil
		found, err := e.resolvePhantoms(ctx, p, r.Migrations, rp.Orphans)
		if err != nil {
			return nil, err
		}
		var missing []int64
		for _, f := range found {
			ph := Phantom{Repo: rp.Name, Version: f.m.Version, File: path.Base(f.m.Path), Where: f.where, Missing: f.m.content == nil}
			if ph.Missing {
				ph.File = ""
				missing = append(missing, f.m.Version)
			} else {
				rp.Rollback = append(rp.Rollback, f.m)
			}
			sp.phantoms = append(sp.phantoms, ph)
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
			if err := e.planTenantSync(ctx, p, r, rp, sp); err != nil {
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
		case pr.Kind == ProblemOrphan && !containsVersion(missing, pr.Version):
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
func (e *Engine) planTenantSync(ctx context.Context, p *workspace, r project.RepoConfig, rp *RepoPlan, sp *syncPlan) error {
	names, err := listFiles(p.cfg.Root, []string{r.TenantMigrations})
	if err != nil {
		return err
	}
	files := map[int64]bool{}
	for _, n := range names {
		if m, ok := migrationAt(n, r.TenantMigrations); ok {
			files[m.Version] = true
		}
	}
	var orphans []int64
	seen := map[int64]bool{}
	for _, tp := range rp.Tenants {
		for _, v := range tp.Applied {
			if !files[v] && !seen[v] {
				seen[v] = true
				orphans = append(orphans, v)
			}
		}
		for v := range files {
			if !containsVersion(tp.Applied, v) {
				sp.pending++
			}
		}
	}
	found, err := e.resolvePhantoms(ctx, p, r.TenantMigrations, uniqueSorted(orphans))
	if err != nil {
		return err
	}
	have := map[int64]bool{}
	rp.TenantUntracked = nil
	for _, f := range found {
		if f.m.content != nil {
			have[f.m.Version] = true
			rp.TenantUntracked = append(rp.TenantUntracked, f.m)
		}
	}
	for i := range rp.Tenants {
		tp := &rp.Tenants[i]
		tp.Rollback, tp.BlockedBy = nil, nil
		for _, v := range tp.Applied {
			if files[v] {
				continue
			}
			ph := Phantom{Repo: rp.Name, Tenant: tp.Prefix, Version: v}
			for _, f := range found {
				if f.m.Version == v {
					ph.Where = f.where
					if f.m.content != nil {
						ph.File = path.Base(f.m.Path)
					}
				}
			}
			ph.Missing = !have[v]
			if have[v] {
				tp.Rollback = append(tp.Rollback, v)
			}
			sp.phantoms = append(sp.phantoms, ph)
		}
	}
	return nil
}

// foundPhantom is one resolved phantom: a Migration (content nil when
// nowhere) and where its file was found.
type foundPhantom struct {
	m     Migration
	where string
}

// resolvePhantoms finds the files of the given versions of a migrations
// folder (project-relative), in git and in regen's store.
func (e *Engine) resolvePhantoms(ctx context.Context, p *workspace, folder string, vs []int64) ([]foundPhantom, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	req := phantom.Request{GitDir: filepath.Dir(e.stateDir), WorkTree: e.git.Root, MigrationsDir: p.gitPath(folder), Repo: e.git}
	for _, v := range vs {
		req.Versions = append(req.Versions, strconv.FormatInt(v, 10))
	}
	found, err := phantom.Resolve(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("cannot look for the files of the phantom migrations in %s: %w", folder, err)
	}
	var out []foundPhantom
	for _, f := range found {
		v, err := strconv.ParseInt(f.Version, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("phantom version %q: %w", f.Version, err)
		}
		fp := foundPhantom{m: Migration{Version: v, Applied: true}, where: f.Where.String()}
		if f.Content != nil && f.FileName != "" && path.Base(f.FileName) == f.FileName {
			if _, slug, ok := snapshots.ParseMigrationName(f.FileName); ok {
				fp.m.Slug, fp.m.Path, fp.m.content = slug, path.Join(folder, f.FileName), f.Content
			}
		}
		out = append(out, fp)
	}
	return out, nil
}
