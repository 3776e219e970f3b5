package regen

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/regen-tool/regen/migrator"
)

// The PostgreSQL side of the keep_data step (issue 12). The pre-run rows
// come from the run's template copy when it took one; otherwise (other
// sessions connected: a running dev server) PrepareKeep copies the tables
// into a keep schema of regen's own in the same database before the
// rollback, named and marked for the run, and dropped at commit,
// compensation, recover and pruning.

// keepSchemas are the schemas a run can have changed the data of: the
// repo's own ("" = the connection's current schema) when migrations were
// rolled back or applied again there, and each tenant schema with a
// rollback set. Each gets its own report.
func keepSchemas(rec RepoRecord) []string {
	var out []string
	if len(rec.Rollback) > 0 || len(rec.Reapply) > 0 {
		out = append(out, "")
	}
	var tenants []string
	for p, vs := range rec.TenantRollback {
		if len(vs) > 0 {
			tenants = append(tenants, p)
		}
	}
	sort.Strings(tenants)
	return append(out, tenants...)
}

func (d *pgDB) PrepareKeep(ctx context.Context, rec *RepoRecord, runID string) error {
	if rec.DBRestore == RestoreTemplate {
		return nil // the copy holds everything
	}
	schemas := keepSchemas(*rec)
	if len(schemas) == 0 {
		return nil
	}
	rec.KeepRun = runID
	m, err := migrator.PGPrepareKeep(ctx, d.conn, runID, schemas, d.source)
	if err != nil {
		return err
	}
	rec.KeepSchemas = m
	return nil
}

func (d *pgDB) KeepData(ctx context.Context, rec RepoRecord, backupDir string, during func() error) ([]migrator.KeepReport, error) {
	schemas := keepSchemas(rec)
	if len(schemas) == 0 {
		return nil, nil
	}
	src := migrator.PGKeepSource{RunID: filepath.Base(backupDir)}
	switch {
	case rec.DBRestore == RestoreTemplate && rec.DBBackup != "":
		src.CopyDB = rec.DBBackup
	case len(rec.KeepSchemas) > 0:
		src.Schemas = rec.KeepSchemas
	default:
		return []migrator.KeepReport{{Repo: d.repo, Note: "no pre-run copy of the data was taken, so nothing was carried over"}}, nil
	}
	reps, err := migrator.PGKeepData(ctx, d.conn, src, schemas, d.source, during)
	if err != nil {
		return nil, err
	}
	for i := range reps {
		reps[i].Repo = d.repo
	}
	return reps, nil
}

func (d *pgDB) DropKeep(ctx context.Context, rec RepoRecord) error {
	if rec.KeepRun == "" {
		return nil
	}
	if err := migrator.PGDropKeep(ctx, d.conn, rec.KeepRun); err != nil {
		return fmt.Errorf("dropping keep schemas of run %s: %w", rec.KeepRun, err)
	}
	return nil
}
