package regen

import (
	"context"
	"path/filepath"
)

// The commits. A run's and an undo's commit are announced first, then
// finished by a function that recover runs again after a crash in it: each
// part is idempotent, so there is one commit, not a copy in recover.

// enter announces a step in the journal and passes its "before" fault point:
// the start of every step (stepper.run) and of the commits.
func (e *Engine) enter(j *Journal, name StepName) error {
	if err := j.announce(e.stateDir, name); err != nil {
		return err
	}
	return e.faults.at("before", name)
}

// commit records the state the run leaves (for undo), keeps the backup and
// closes the journal.
func (t *txn) commit() error {
	ctx := context.Background()
	if err := t.e.enter(t.j, stepCommit); err != nil {
		return err
	}
	applied := func(i int) ([]int64, error) {
		if v, ok := t.verified[i]; ok {
			return v, nil // verify read them, the last step: nothing changed them since
		}
		return t.proj.dbs[i].Applied(ctx)
	}
	// regen's store (issue 13) learns what ran once the after-state is
	// known: beside the journal's last writes (each waits for its fsync)
	// when it needs no database, else after them.
	stored := make(chan struct{})
	remember := func() {
		defer close(stored)
		t.proj.rememberState(ctx, t.j, false)
	}
	started := false
	record := func() {
		t.recordState(ctx, stepCommit)
		if !t.proj.remembersFromDatabase(t.j) {
			started = true
			go remember()
		}
	}
	err := t.e.finishRun(t.j, t.afterInventory, applied, record)
	if !started && err == nil {
		remember()
	}
	if started || err == nil {
		<-stored
	}
	if err != nil {
		return err
	}
	t.e.pruneBackups(ctx, t.proj.cfg.Keep, t.j.RunID)
	return nil
}

// finishRun is the rest of a regen run's commit, once everything is done
// and verified: the after-state (unless already recorded), the last-run
// marker, the closed journal. record, when set, notes what else belongs to
// the after-state before it is saved.
func (e *Engine) finishRun(j *Journal, inventory func(root string, folders []string) (FileSet, error), applied func(repo int) ([]int64, error), record func()) error {
	if j.After == nil {
		after, err := inventory(j.Root, j.Files.Folders)
		if err != nil {
			return err
		}
		j.After = &after
		for i := range j.Repos {
			v, err := applied(i)
			if err != nil {
				return err
			}
			j.Repos[i].After = v
		}
		if record != nil {
			record()
		}
		if err := j.save(e.stateDir); err != nil {
			return err
		}
	}
	e.dropKeeps(context.Background(), j) // regen's own keep copies (issue 12): idempotent
	if err := writeFileAtomic(filepath.Join(e.stateDir, "last"), []byte(j.RunID+"\n"), 0o600); err != nil {
		return err
	}
	if err := e.faults.at("after", stepMark); err != nil {
		return err
	}
	return j.close(e.stateDir, OutcomeCommitted, e.opts.Now())
}
