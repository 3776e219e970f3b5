package regen

import (
	"context"
	"path/filepath"

	"github.com/regen-tool/regen/migrator"
)

// The SQLite side of the keep_data step (issue 12): the backup copy is the
// pre-run data, so nothing is prepared and nothing has to be dropped.

func (d *sqliteDB) PrepareKeep(ctx context.Context, rec *RepoRecord, runID string) error { return nil }

func (d *sqliteDB) DropKeep(ctx context.Context, rec RepoRecord) error { return nil }

func (d *sqliteDB) KeepData(ctx context.Context, rec RepoRecord, backupDir string, during func() error) ([]migrator.KeepReport, error) {
	if rec.DBAbsent || rec.DBBackup == "" {
		return nil, nil // no data before the run
	}
	r, err := migrator.SQLiteKeepData(ctx, d.path, filepath.Join(backupDir, rec.DBBackup), d.source, during)
	if err != nil {
		return nil, err
	}
	r.Repo = d.repo
	return []migrator.KeepReport{*r}, nil
}

// NonNullCounts reads the database read-only.
func (d *sqliteDB) NonNullCounts(ctx context.Context, cols []migrator.TableColumn) (map[migrator.TableColumn]int64, error) {
	return migrator.SQLiteNonNullCounts(ctx, d.path, cols)
}
