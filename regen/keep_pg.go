package regen

import (
	"context"

	"github.com/regen-tool/regen/migrator"
)

// The PostgreSQL side of the keep_data step (issue 12). This is the
// minimal stand-in until the PostgreSQL carry-over lands (branch k-pg
// replaces this file): nothing is prepared, nothing is carried, and the
// report says so, so a run on PostgreSQL behaves as before.

func (d *pgDB) PrepareKeep(ctx context.Context, rec *RepoRecord, runID string) error { return nil }

func (d *pgDB) KeepData(ctx context.Context, rec RepoRecord, backupDir string) ([]migrator.KeepReport, error) {
	return []migrator.KeepReport{{Repo: d.repo, Note: "PostgreSQL data is not carried over yet: the rows stay in the run's backup for `regen undo`"}}, nil
}

func (d *pgDB) DropKeep(ctx context.Context, rec RepoRecord) error { return nil }
