package regen

import (
	"context"
)

// restoreDB puts rec's database back. Where keeping the present database
// costs a full copy (PostgreSQL), it is kept always by recover (time passed
// since the crash, anyone may have written), and by undo and a
// compensation unless its data is proven to be the last state the run
// recorded (undo: the run's end, which undo's own backup holds too). A
// copy kept is recorded in the open journal, whose pruning drops it.
func (e *Engine) restoreDB(ctx context.Context, j *Journal, rec RepoRecord, db database, quarantine string) (restored, error) {
	live := e.live
	if live == nil {
		live = j
	}
	res, err := db.Restore(ctx, restoreRequest{
		Rec: rec, BackupDir: j.BackupDir, Quarantine: quarantine, RunID: live.RunID,
		KeepPresent: func() bool { return e.keepPresent || e.presentDiffers(ctx, j, rec) },
		Remigrate:   e.remigrator(j, rec),
	})
	if res.KeptCopy != "" {
		e.recordKept(live, rec.Name, res.KeptCopy)
	}
	return res, err
}

// presentDiffers: the database's data is not proven to be the state the
// run last recorded (changed, or unknown).
func (e *Engine) presentDiffers(ctx context.Context, j *Journal, rec RepoRecord) bool {
	then := e.lastRecordedState(ctx, j, rec)
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
