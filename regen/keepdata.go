package regen

import (
	"context"
	"fmt"
	"strings"

	"github.com/regen-tool/regen/migrator"
)

// The keep_data step (issue 12: dev data survives regeneration). The
// rollback drops the columns and tables the untracked migrations created;
// the regenerated migration re-creates them empty. After migrate, and before
// the final verify, each database the run migrated gets back from the
// pre-run copy what exists before and after (database.KeepData). It is a
// step like any other: announced in the journal, compensated when it fails
// (the database comes back from the backup), its reports kept in the
// journal and the RunResult and given to the Reporter before the summary.

const (
	stepKeepPrepare = "keep_prepare" // PrepareKeep, before the rollback
	stepKeepData    = "keep_data"
)

// KeepReporter is a Reporter that also shows the carry-over's reports. A
// Reporter without it gets them as notes.
type KeepReporter interface {
	Keep(reports []migrator.KeepReport)
}

// keepWanted: keep_data on (config) and not --no-keep-data.
func (t *txn) keepWanted() bool { return t.proj.cfg.KeepData && !t.opts.NoKeepData }

// migrated says whether the run migrates repo i's database (-m, or --force
// applying tracked migrations again).
func (t *txn) migrated(i int) bool {
	return t.opts.Migrate || len(t.j.Repos[i].Reapply) > 0
}

// prepareKeep lets each database that will be migrated take what the carry
// needs before the rollback changes it. Quiet: SQLite needs nothing.
func (t *txn) prepareKeep(ctx context.Context) error {
	if !t.keepWanted() {
		return errSkip
	}
	for i := range t.j.Repos {
		if !t.migrated(i) {
			continue
		}
		if err := t.proj.dbs[i].PrepareKeep(ctx, &t.j.Repos[i], t.j.RunID); err != nil {
			return fmt.Errorf("database %s: cannot prepare keeping its data: %w", t.proj.dbs[i], err)
		}
		// Journalled now: a crash from here on finds what to drop.
		if err := t.j.save(t.e.stateDir); err != nil {
			return err
		}
	}
	return errSkip
}

// keepData carries the data over, database by database.
func (t *txn) keepData(ctx context.Context) error {
	if !t.keepWanted() {
		t.e.rep.Note("data not carried over (keep_data off): the rows the rollback dropped stay in the run's backup for `regen undo`")
		return errSkip
	}
	some := false
	for i := range t.j.Repos {
		some = some || t.migrated(i)
	}
	if !some {
		t.e.rep.Note("nothing was migrated (no -m), so no data was carried over: it stays in the run's backup for `regen undo`")
		return errSkip
	}
	t.e.rep.StepStart(stepKeepData, "dev data from the backup into the migrated databases")
	for i, rec := range t.j.Repos {
		if !t.migrated(i) {
			continue
		}
		db := t.proj.dbs[i]
		during := func() error { return t.e.faults.at("during", stepKeepData) }
		reps, err := db.KeepData(ctx, rec, t.j.BackupDir, during)
		if err != nil {
			return fmt.Errorf("database %s: carrying the data over: %w", db, err)
		}
		t.j.Keep = append(t.j.Keep, reps...)
	}
	return t.j.save(t.e.stateDir)
}

// reportKeep gives the Reporter the run's keep reports (before the summary).
func (e *Engine) reportKeep(reps []migrator.KeepReport) {
	if len(reps) == 0 {
		return
	}
	if kr, ok := e.rep.(KeepReporter); ok {
		kr.Keep(reps)
		return
	}
	n := 0
	for _, r := range reps {
		n += len(r.Kept) + len(r.NotKept)
	}
	e.rep.Note("data carried over: %d item(s), listed in the run's journal", n)
}

// dropKeeps removes what PrepareKeep made, for every repo of j (commit,
// and after a restore). Failures are warnings: the run's outcome stands.
func (e *Engine) dropKeeps(ctx context.Context, j *Journal) {
	for _, rec := range j.Repos {
		if err := e.databaseFor(rec).DropKeep(ctx, rec); err != nil {
			e.rep.Warn("database %s: cannot drop what was kept for the carry-over: %v", e.databaseFor(rec), err)
		}
	}
}

// keptAfterMigrate says, on the rebuild's "not carried over" lines, that the
// keep_data step after migrate still puts that data back.
func keptAfterMigrate(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if strings.HasPrefix(l, "not carried over: ") {
			l += "; keep_data puts it back after migrate where the regenerated migration has it"
		}
		out[i] = l
	}
	return out
}

// The keep report types under the engine's API (cmd imports no leaf
// package).
type (
	KeepReport  = migrator.KeepReport
	KeptData    = migrator.KeptData
	NotKeptData = migrator.NotKeptData
	KeepReason  = migrator.KeepReason
)

const (
	KeepTableGone    = migrator.KeepTableGone
	KeepColumnGone   = migrator.KeepColumnGone
	KeepTypeChanged  = migrator.KeepTypeChanged
	KeepNotNull      = migrator.KeepNotNull
	KeepNoPrimaryKey = migrator.KeepNoPrimaryKey
	KeepForeignKey   = migrator.KeepForeignKey
	KeepVirtual      = migrator.KeepVirtual
)
