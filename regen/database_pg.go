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
}

func (d *pgDB) String() string { return d.conn.String() }

func (d *pgDB) Applied(ctx context.Context) ([]int64, error) {
	vs, err := migrator.PGAppliedVersions(ctx, d.conn, d.source, "")
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out, nil
}

func (d *pgDB) Backup(ctx context.Context, dir string) (RepoRecord, error) {
	// The journal keeps the connection without its password; recover and
	// undo get it again from the project (or PGPASSWORD, ~/.pgpass).
	rec := RepoRecord{Database: withoutPassword(d.conn.URL), Kind: "postgres"}
	runID := filepath.Base(dir)
	if d.terminate {
		if _, err := migrator.PGTerminateOthers(ctx, d.conn); err != nil {
			return rec, err
		}
	}
	name, err := migrator.PGBackupTemplate(ctx, d.conn, runID)
	switch {
	case errors.Is(err, migrator.ErrPGBusy):
		rec.DBRestore = "remigrate"
		rec.Note = "other sessions are connected to " + d.conn.Database() + " (a running server?), so no template copy could be taken: on failure the database comes back by re-migration (schema and schema_migrations; rows of tables the rolled-back migrations created are not kept). Stop them, or pass --terminate-connections, for a full copy."
		return rec, nil
	case err != nil:
		return rec, fmt.Errorf("cannot back up %s: %w", d.conn.String(), err)
	}
	rec.DBRestore, rec.DBBackup = "template", name
	return rec, nil
}

func (d *pgDB) Restore(ctx context.Context, rec RepoRecord, backupDir, quarantine string) error {
	switch rec.DBRestore {
	case "template":
		return migrator.PGRestoreTemplate(ctx, d.conn, rec.DBBackup)
	case "remigrate":
		return errRemigrate
	}
	return fmt.Errorf("unknown restore method %q", rec.DBRestore)
}

// errRemigrate tells the compensation that this database comes back by
// running migrations (it needs mix), not by a copy.
var errRemigrate = errors.New("restore by re-migration")

// withoutPassword: migrator.WithoutPassword, the one redactor's rules.
func withoutPassword(s string) string { return migrator.WithoutPassword(s) }
