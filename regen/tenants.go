package regen

import (
	"context"
	"fmt"
	"github.com/regen-tool/regen/regen/project"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Schema-based multitenancy (AshPostgres): tenant migrations live in their
// own folder and are applied once per tenant schema, each with its own
// schema_migrations. The rollback set, the rollback and the verification are
// per tenant; all tenants roll back in one mix start (one task per schema:
// 1,000 tenants one VM each would take half an hour).

// TenantPlan is one tenant schema's part of the plan.
type TenantPlan struct {
	Prefix   string  `json:"prefix"`
	Applied  []int64 `json:"applied"`
	Rollback []int64 `json:"rollback"`
	// BlockedBy are tracked tenant migrations applied after an untracked one.
	BlockedBy []int64 `json:"blocked_by,omitempty"`
	// BaseAfter: as RepoPlan.BaseAfter, per tenant.
	BaseAfter []int64 `json:"base_after,omitempty"`
}

// planTenants fills the tenant part of a repo's plan.
func (p *workspace) planTenants(ctx context.Context, r project.RepoConfig, db database, rp *RepoPlan, untracked, tracked []Migration) error {
	ts, ok := db.Tenants()
	if !ok {
		return fmt.Errorf("repo %q has tenant migrations (%s) but its database is not PostgreSQL", r.Name, r.TenantMigrations)
	}
	prefixes := r.Tenants
	if len(prefixes) == 0 {
		var err error
		if prefixes, err = ts.TenantPrefixes(ctx); err != nil {
			return &InputError{What: fmt.Sprintf("cannot list the tenant schemas of repo %q: %v", r.Name, err), Next: "Check the database, or list the tenants in .regen.toml (`tenants = [...]`)."}
		}
	}
	applied, err := ts.TenantApplied(ctx, prefixes)
	if err != nil {
		return &InputError{What: fmt.Sprintf("cannot read the tenants' applied migrations of repo %q: %v", r.Name, err), Next: "Check the database."}
	}
	rp.TenantUntracked = untracked
	seenIn := map[int64][]string{}
	for _, prefix := range prefixes {
		tp := TenantPlan{Prefix: prefix}
		on := map[int64]bool{}
		for _, v := range applied[prefix] {
			tp.Applied = append(tp.Applied, v)
			on[v] = true
		}
		for _, m := range untracked {
			if on[m.Version] {
				tp.Rollback = append(tp.Rollback, m.Version)
				seenIn[m.Version] = append(seenIn[m.Version], prefix)
			}
		}
		if len(tp.Rollback) > 0 {
			var after []Migration
			for _, m := range tracked {
				if on[m.Version] && m.Version > tp.Rollback[0] {
					after = append(after, m)
				}
			}
			blocked, base := p.splitBaseAfter(after)
			tp.BlockedBy, tp.BaseAfter = versions(blocked), versions(base)
		}
		rp.Tenants = append(rp.Tenants, tp)
	}
	// A tenant in another state than the others is reported, not guessed
	// about: it is rolled back where applied, and -m applies the new
	// migration to every tenant.
	for _, m := range untracked {
		if n := len(seenIn[m.Version]); n > 0 && n < len(prefixes) {
			rp.TenantNotes = append(rp.TenantNotes, fmt.Sprintf("%s is applied in %d of %d tenants (%s); it is rolled back where applied",
				path.Base(m.Path), n, len(prefixes), strings.Join(seenIn[m.Version], ", ")))
		}
	}
	return nil
}

// tenantRollbackTasks are the per-tenant rollback tasks (without {mix}) of
// repo i, over one folder holding the repo's untracked tenant migrations.
func (t *txn) tenantRollbackTasks(i int) ([][]string, error) {
	rp := t.plan.Repos[i]
	var prefixes []string
	for _, tp := range rp.Tenants {
		if len(tp.Rollback) > 0 {
			prefixes = append(prefixes, tp.Prefix)
		}
	}
	if len(prefixes) == 0 {
		return nil, nil
	}
	dir := t.tenantRollbackDir(rp)
	cfg := t.proj.cfg
	var tasks [][]string
	for _, prefix := range prefixes {
		task, ok := withoutMix(project.Expand(cfg.TenantRollback, []string{"{mix}"}, map[string]string{"dir": dir, "repo": cfg.Repos[i].Module, "prefix": prefix}))
		if !ok {
			return nil, fmt.Errorf("the tenant rollback command must be a mix task ({mix} …)")
		}
		tasks = append(tasks, task)
	}
	return tasks, nil
}

func (t *txn) tenantRollbackDir(rp RepoPlan) string {
	return filepath.Join(t.backupDir(), "rollback", rp.Name+"-tenants")
}

// prepareTenantRollbackDir copies repo i's untracked tenant migrations into
// the folder the tenant rollbacks run from (from the backup once removed).
func (t *txn) prepareTenantRollbackDir(i int) error {
	rp := t.plan.Repos[i]
	dir := t.tenantRollbackDir(rp)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, m := range rp.TenantUntracked {
		root := t.root
		if !exists(filepath.Join(root, filepath.FromSlash(m.Path))) {
			root = filepath.Join(t.j.BackupDir, "files")
		}
		if err := m.copyTo(root, filepath.Join(dir, path.Base(m.Path))); err != nil {
			return fmt.Errorf("cannot prepare the tenant rollback folder: %w", err)
		}
	}
	return nil
}

// rollbackTenants rolls back every tenant's set in one mix start, then
// checks each tenant.
func (t *txn) rollbackTenants(ctx context.Context, i int) error {
	tasks, err := t.tenantRollbackTasks(i)
	if err != nil || len(tasks) == 0 {
		return err
	}
	if err := t.prepareTenantRollbackDir(i); err != nil {
		return err
	}
	t.e.rep.StepStart(string(stepRollback), fmt.Sprintf("%s: %d tenant schema(s)", t.plan.Repos[i].Name, len(tasks)))
	if err := t.runMixIn(ctx, t.proj.cfg.Repos[i].App, stepRollback, doCommand(t.proj.cfg.Mix, tasks)); err != nil {
		return err
	}
	return t.expectTenants(ctx, i, false)
}

// doCommand joins tasks into one `mix do a + b + …` (run as one task
// driver, which really runs repeats: driver.go).
func doCommand(mix []string, tasks [][]string) []string {
	if len(tasks) == 1 {
		return append(append([]string{}, mix...), tasks[0]...)
	}
	argv := append(append([]string{}, mix...), "do")
	for i, task := range tasks {
		if i > 0 {
			argv = append(argv, "+")
		}
		argv = append(argv, task...)
	}
	return argv
}

// expectTenants checks every tenant schema: after the rollback it holds its
// versions less its rollback set; after migrating it also holds every
// tenant migration that has a file.
func (t *txn) expectTenants(ctx context.Context, i int, migrated bool) error {
	rec := t.j.Repos[i]
	if len(rec.TenantBefore) == 0 {
		return nil
	}
	var prefixes []string
	for p := range rec.TenantBefore {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	ts, ok := t.proj.dbs[i].Tenants()
	if !ok {
		return &VerificationError{fmt.Sprintf("repo %s records tenant schemas, and its database %s has none", t.plan.Repos[i].Name, t.proj.dbs[i])}
	}
	have, err := ts.TenantApplied(ctx, prefixes)
	if err != nil {
		return err
	}
	var files []int64
	if migrated {
		names, err := listFiles(t.root, []string{t.proj.cfg.Repos[i].TenantMigrations})
		if err != nil {
			return err
		}
		for _, p := range names {
			if m, ok := migrationAt(p, t.proj.cfg.Repos[i].TenantMigrations); ok {
				files = append(files, m.Version)
			}
		}
	}
	var bad []string
	for _, p := range prefixes {
		want := uniqueSorted(append(minus(rec.TenantBefore[p], rec.TenantRollback[p]), files...))
		if missing, extra := setDiff(want, have[p]); len(missing)+len(extra) > 0 {
			bad = append(bad, fmt.Sprintf("%s (missing %v, unexpected %v)", p, missing, extra))
		}
	}
	if len(bad) > 0 {
		return &VerificationError{fmt.Sprintf("verification failed for tenant schemas: %s", strings.Join(bad, "; "))}
	}
	return nil
}

// tenantRecords copies the tenant state into the journal before anything changes.
func tenantRecords(rp RepoPlan, rec *RepoRecord) {
	if len(rp.Tenants) == 0 {
		return
	}
	rec.TenantBefore, rec.TenantRollback = map[string][]int64{}, map[string][]int64{}
	for _, tp := range rp.Tenants {
		rec.TenantBefore[tp.Prefix] = tp.Applied
		rec.TenantRollback[tp.Prefix] = tp.Rollback
	}
}

func (rp *RepoPlan) tenantWork() bool {
	for _, tp := range rp.Tenants {
		if len(tp.Rollback) > 0 {
			return true
		}
	}
	return false
}
