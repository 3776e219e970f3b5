package regen

import (
	"context"

	"github.com/regen-tool/regen/migrator"
)

// restoreDB puts rec's database back. A PostgreSQL database restored from
// its template copy is first kept (renamed to a regen_bk_ name, see
// migrator.PGKeepAndRestore): always by recover (time passed since the
// crash, anyone may have written), and by undo and a compensation unless
// its data is proven to be the last state the run recorded (undo: the
// run's end, which undo's own backup holds too). A failed codegen or a
// plain undo costs no extra full copy; a dev server's writes during the
// run, or `undo --force` over new rows, are kept.
// SQLite keeps its copy in restoreInPlace.
func (e *Engine) restoreDB(ctx context.Context, j *Journal, rec RepoRecord, db database, quarantine string) error {
	d, ok := db.(*pgDB)
	live := e.live
	if live == nil {
		live = j
	}
	if !ok || rec.DBRestore != "template" || !(e.keepPresent || e.presentDiffers(ctx, j, rec)) {
		return db.Restore(ctx, rec, j.BackupDir, quarantine)
	}
	kept, err := migrator.PGKeepAndRestore(ctx, d.conn, rec.DBBackup, live.RunID)
	if err != nil || kept == "" {
		return err
	}
	e.recordKept(live, rec.Name, kept)
	e.rep.Note("database %s: as it was before this restore, it is kept as database %s (dropped when run %s's backup is pruned); `psql %q` to look", d, kept, live.RunID, withoutPassword(d.conn.WithDatabase(kept).URL))
	return nil
}

// presentDiffers: the database's data is not proven to be the state the
// run last recorded (changed, or unknown).
func (e *Engine) presentDiffers(ctx context.Context, j *Journal, rec RepoRecord) bool {
	then := lastRecordedState(ctx, j, rec)
	if then == nil || len(rec.TenantBefore) > 0 {
		return true // tenant schemas are not in the recorded state
	}
	changes, err := e.dataChanges(ctx, rec, then)
	return err != nil || len(changes) > 0
}

// recordKept notes a kept database in the open journal (the one whose
// pruning drops it) and writes it at once: a crash right after must not
// leave a copy nobody prunes.
func (e *Engine) recordKept(live *Journal, repo, kept string) {
	for i := range live.Repos {
		if live.Repos[i].Name == repo {
			live.Repos[i].DBKept = append(live.Repos[i].DBKept, kept)
			live.save(e.stateDir)
			return
		}
	}
	if len(live.Repos) > 0 { // never unrecorded: the first repo's record prunes it
		live.Repos[0].DBKept = append(live.Repos[0].DBKept, kept)
		live.save(e.stateDir)
	}
}

// dropKeptCopies drops the databases a pruned run kept before its
// restores (PGDropBackup refuses any without regen's mark).
func (e *Engine) dropKeptCopies(ctx context.Context, j *Journal) {
	for _, rec := range j.Repos {
		if rec.Kind != "postgres" {
			continue
		}
		db, ok := e.databaseFor(rec).(*pgDB)
		if !ok {
			continue
		}
		for _, name := range rec.DBKept {
			migrator.PGDropBackup(ctx, db.conn, name)
		}
	}
}
