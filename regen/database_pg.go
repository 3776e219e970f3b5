package regen

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/regen-tool/regen/migrator"
)

// pgDB is a repo's PostgreSQL database (public schema, or a tenant prefix).
// Its backup is a template copy of the whole database when no other session
// is connected; otherwise the database comes back by re-migration, which
// restores schema_migrations and the schema but not the rows of the tables
// the rolled-back migrations had created.
type pgDB struct {
	conn      migrator.PGConn
	source    string
	terminate bool // --terminate-connections: end other sessions for the template copy
	repo      string
	stamps    map[int64]string
}

func (d *pgDB) AppliedStamps() map[int64]string { return d.stamps }

func (d *pgDB) String() string { return d.conn.String() }

func (d *pgDB) Applied(ctx context.Context) ([]int64, error) {
	vs, err := migrator.PGAppliedVersions(ctx, d.conn, d.source, "")
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(vs))
	d.stamps = make(map[int64]string, len(vs))
	for i, v := range vs {
		out[i] = v.Version
		d.stamps[v.Version] = v.InsertedAt
	}
	return out, nil
}

func (d *pgDB) Backup(ctx context.Context, dir string) (RepoRecord, error) {
	// The journal keeps the connection without its password; recover and
	// undo get it again from the project (or PGPASSWORD, ~/.pgpass).
	rec := RepoRecord{Database: withoutPassword(d.conn.URL), Kind: KindPostgres}
	runID := filepath.Base(dir)
	if d.terminate {
		if _, err := migrator.PGTerminateOthers(ctx, d.conn); err != nil {
			return rec, err
		}
	}
	name, err := migrator.PGBackupTemplate(ctx, d.conn, runID)
	switch {
	case errors.Is(err, migrator.ErrPGBusy):
		rec.DBRestore = RestoreRemigrate
		rec.KeepRun = runID // before anything is kept: a crash finds it (keep_pg.go)
		rec.Note = "other sessions are connected to " + d.conn.Database() + " (a running server?), so no template copy could be taken: on failure the database comes back by re-migration (schema and schema_migrations; the rows of tables and columns the rolled-back migrations created come back from regen's keep copy when keep_data is on, else they are not kept). Stop them, or pass --terminate-connections, for a full copy."
		// A re-migration stamps inserted_at anew: keep the old stamps.
		vs, err := migrator.PGAppliedVersions(ctx, d.conn, d.source, "")
		if err != nil {
			return rec, err
		}
		rec.InsertedAt = map[int64]string{}
		for _, v := range vs {
			rec.InsertedAt[v.Version] = v.InsertedAt
		}
		return rec, nil
	case err != nil:
		return rec, fmt.Errorf("cannot back up %s: %w", d.conn.String(), err)
	}
	rec.DBRestore, rec.DBBackup = RestoreTemplate, name
	return rec, nil
}

// PrepareRestore: a re-migration first rolls back what the run applied
// (present now, not before), while the run's migration files still exist.
func (d *pgDB) PrepareRestore(ctx context.Context, req restoreRequest) error {
	rec := req.Rec
	if rec.DBRestore != RestoreRemigrate {
		return nil
	}
	if req.Remigrate == nil || rec.Remigrate == nil {
		return fmt.Errorf("it comes back by re-migration, and no re-migration command is recorded")
	}
	have, err := d.Applied(ctx)
	if err != nil {
		return err
	}
	_, extra := setDiff(rec.Before, have)
	if len(extra) == 0 {
		return nil
	}
	return req.Remigrate(ctx, rec.Remigrate.Rollback, extra, "down")
}

func (d *pgDB) Restore(ctx context.Context, req restoreRequest) (restored, error) {
	rec := req.Rec
	switch rec.DBRestore {
	case RestoreTemplate:
		return d.restoreTemplate(ctx, req)
	case RestoreRemigrate:
		return restored{}, d.remigrateUp(ctx, req)
	}
	return restored{}, fmt.Errorf("unknown restore method %q", rec.DBRestore)
}

// restoreTemplate puts the template copy back. The present database is
// first kept (renamed to a regen_bk_ name, see migrator.PGKeepAndRestore)
// when req.KeepPresent says its data is not proven to be the state the run
// last recorded: a failed codegen or a plain undo costs no extra full copy;
// a dev server's writes during the run, or `undo --force` over new rows,
// are kept.
func (d *pgDB) restoreTemplate(ctx context.Context, req restoreRequest) (restored, error) {
	if req.KeepPresent == nil || !req.KeepPresent() {
		return restored{}, migrator.PGRestoreTemplate(ctx, d.conn, req.Rec.DBBackup)
	}
	kept, err := migrator.PGKeepAndRestore(ctx, d.conn, req.Rec.DBBackup, req.RunID)
	if err != nil || kept == "" {
		return restored{}, err
	}
	return restored{KeptCopy: kept, Kept: fmt.Sprintf("as database %s (dropped when run %s's backup is pruned); `psql %q` to look", kept, req.RunID, withoutPassword(d.conn.WithDatabase(kept).URL))}, nil
}

// remigrateUp applies again the versions that were applied before the run
// and are not now (the rolled-back set), from the restored files, and puts
// back their inserted_at.
func (d *pgDB) remigrateUp(ctx context.Context, req restoreRequest) error {
	rec := req.Rec
	if req.Remigrate == nil || rec.Remigrate == nil {
		return fmt.Errorf("it comes back by re-migration, and no re-migration command is recorded")
	}
	have, err := d.Applied(ctx)
	if err != nil {
		return err
	}
	missing, _ := setDiff(rec.Before, have)
	if len(missing) == 0 {
		return nil
	}
	if err := req.Remigrate(ctx, rec.Remigrate.Migrate, missing, "up"); err != nil {
		return err
	}
	at := map[int64]string{}
	for _, v := range missing {
		if ts, ok := rec.InsertedAt[v]; ok {
			at[v] = ts
		}
	}
	if err := migrator.PGSetInsertedAt(ctx, d.conn, d.source, "", at); err != nil {
		return err
	}
	return d.carryBackFromKeep(ctx, rec)
}

// carryBackFromKeep: re-migration re-creates the tables the rolled-back
// migrations had created empty; when the run took a keep copy of the data
// (keep_data with other sessions connected), the rows come back from it
// before it is dropped. Without one they are lost, as the backup's note says.
func (d *pgDB) carryBackFromKeep(ctx context.Context, rec RepoRecord) error {
	if len(rec.KeepSchemas) == 0 {
		return nil
	}
	src := migrator.PGKeepSource{RunID: rec.KeepRun, Schemas: rec.KeepSchemas}
	if _, err := migrator.PGKeepData(ctx, d.conn, src, keepSchemas(rec), d.source, nil); err != nil {
		return fmt.Errorf("the rows from regen's keep copy (%s): %w", rec.KeepRun, err)
	}
	return nil
}

func (d *pgDB) BackupWhere(rec RepoRecord, _ string) (string, bool) {
	if rec.DBBackup == "" {
		return "none: it comes back by re-migration", false
	}
	return "the database " + rec.DBBackup, false
}

// Release drops the template copy of a restored run (the database now is
// that copy, and a full copy per failed run would pile up) and, when the
// run is pruned, the databases kept before its restores (PGDropBackup
// refuses any without regen's mark).
func (d *pgDB) Release(ctx context.Context, rec RepoRecord, pruned bool) {
	if rec.DBBackup != "" {
		migrator.PGDropBackup(ctx, d.conn, rec.DBBackup)
	}
	if pruned {
		for _, name := range rec.DBKept {
			migrator.PGDropBackup(ctx, d.conn, name)
		}
		d.DropKeep(ctx, rec) // issue 12: normally gone at commit already
	}
}

// BackupState: the template copy is not opened, a session on it would
// make the restore from it (CREATE DATABASE … TEMPLATE) fail; unknown.
func (d *pgDB) BackupState(context.Context, RepoRecord, string) (map[string]migrator.TableState, error) {
	return nil, nil
}

func (d *pgDB) ReadHint(error) string {
	return "Check that the server runs and the connection (.regen.toml `database`, DATABASE_URL, or the project's config) is right."
}

// RowCounts counts the given tables only: a count is a scan on PostgreSQL.
func (d *pgDB) RowCounts(ctx context.Context, tables []string) map[string]int64 {
	rows, _ := migrator.PGTableRowCounts(ctx, d.conn, "", tables)
	return rows
}

// Holders: the other sessions are not listed in the plan; the backup says
// when they keep it from taking a copy.
func (d *pgDB) Holders() []string { return nil }

func (d *pgDB) TenantPrefixes(ctx context.Context) ([]string, error) {
	return migrator.PGTenantPrefixes(ctx, d.conn, d.source)
}

func (d *pgDB) TenantApplied(ctx context.Context, prefixes []string) (map[string][]int64, error) {
	vs, err := migrator.PGAppliedVersionsByPrefix(ctx, d.conn, d.source, prefixes)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]int64, len(vs))
	for p, list := range vs {
		var got []int64
		for _, v := range list {
			got = append(got, v.Version)
		}
		out[p] = got
	}
	return out, nil
}

func (d *pgDB) Tenants() (tenantSchemas, bool) { return d, true }

// Rebuilder: a failing `down` rolls back in its own transaction on
// PostgreSQL, so nothing is left half-way to rebuild from.
func (d *pgDB) Rebuilder() (rebuilder, bool) { return nil, false }

// withoutPassword: migrator.WithoutPassword, the one redactor's rules.
func withoutPassword(s string) string { return migrator.WithoutPassword(s) }

// NonNullCounts counts in the default schema, in one read-only snapshot.
func (d *pgDB) NonNullCounts(ctx context.Context, cols []migrator.TableColumn) (map[migrator.TableColumn]int64, error) {
	return migrator.PGNonNullCounts(ctx, d.conn, "", cols)
}
