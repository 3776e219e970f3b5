package regen

import (
	"context"
	"fmt"
	"strings"

	"github.com/regen-tool/regen/migrator"
)

// DBState is a database's data as a run recorded it: every table's digest
// (and row count), after the named step.
type DBState struct {
	After  StepName                       `json:"after"`
	Tables map[string]migrator.TableState `json:"tables"`
}

// changesDatabase: the steps after which the run records the database's
// state (the others leave it alone).
func changesDatabase(step StepName) bool {
	switch step {
	case stepRollback, stepMigrate, stepMixDo, stepKeepData, stepCommit, stepUndo, stepCompensate:
		return true
	}
	return false
}

// recordState notes every database's state after a step that changed it.
// It is written with the journal's next save; a state that cannot be read
// is left unknown rather than failing the step.
func (t *txn) recordState(ctx context.Context, step StepName) {
	if !changesDatabase(step) {
		return
	}
	for i, db := range t.proj.dbs {
		if step == stepCommit && t.j.Repos[i].State != nil {
			// Recorded by this run after its last step that changes the
			// database (the steps since, verify among them, only read it):
			// the same digest, read again, would cost a full read of every
			// table. A change by someone else in between is then one undo
			// reports, as it should.
			continue
		}
		st, err := db.State(ctx)
		if err != nil {
			t.j.Repos[i].State = nil
			continue
		}
		t.j.Repos[i].State = &DBState{After: step, Tables: st}
	}
}

func (d *pgDB) State(ctx context.Context) (map[string]migrator.TableState, error) {
	digests, err := migrator.PGTableDigests(ctx, d.conn, "public")
	if err != nil {
		return nil, err
	}
	out := make(map[string]migrator.TableState, len(digests))
	for t, h := range digests {
		out[t] = migrator.TableState{Rows: -1, Digest: h}
	}
	return out, nil
}

// dataChanges says how a database's data differs now from the state the
// record holds; nil when it does not, or when nothing was recorded.
func (e *Engine) dataChanges(ctx context.Context, rec RepoRecord, then *DBState) ([]string, error) {
	if then == nil {
		return nil, nil
	}
	now, err := e.databaseFor(rec).State(ctx)
	if err != nil {
		return nil, err
	}
	return migrator.DiffTableStates(then.Tables, now), nil
}

// lastRecordedState is the state of rec's database the interrupted run
// last knew: what it recorded, or else (SQLite) the copy it started from.
func (e *Engine) lastRecordedState(ctx context.Context, j *Journal, rec RepoRecord) *DBState {
	if rec.State != nil {
		return rec.State
	}
	st, err := e.databaseFor(rec).BackupState(ctx, rec, j.BackupDir)
	if err != nil || st == nil {
		return nil
	}
	return &DBState{After: stepBackup, Tables: st}
}

// warnDiscard says, before recover restores, what in each database
// changed since the last state the interrupted run recorded: that is what
// the restore replaces (SQLite keeps the present database aside first).
func (e *Engine) warnDiscard(ctx context.Context, j *Journal) {
	for _, rec := range j.Repos {
		if rec.DBAbsent {
			continue // moved aside whole, nothing is replaced
		}
		then := e.lastRecordedState(ctx, j, rec)
		changes, err := e.dataChanges(ctx, rec, then)
		if err != nil || len(changes) == 0 {
			continue
		}
		why := ""
		if changesDatabase(j.Step) && !j.did(j.Step) {
			why = fmt.Sprintf(" (the run was interrupted in its %s step, which may have made some of these changes itself)", j.Step)
		}
		kept := "the present database is copied aside first (where is said below)"
		if !rec.DBRestore.KeepsPresentCopy() {
			kept = "these changes cannot be kept: the run could take no copy of this database (other sessions were connected), so it comes back by re-migration, which keeps no copy of the present one; copy what you need before running recover"
		}
		e.rep.Warn("database %s changed since the last state run %s recorded (after its %s step)%s:\n    %s\n  recover puts back the copy from before the run; %s.",
			rec.Database, j.RunID, then.After, why, strings.Join(changes, "\n    "), kept)
	}
}
