package regen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The undo's commit is announced in its journal before the last-run marker
// goes: a crash before the announcement is reversed by recover, which puts
// the marker back (keepUndoable); a crash after it is finished by recover
// (finishUndo), since everything was restored and verified by then. Either
// way the run stays undoable, or is undone, never lost in between.

func (e *Engine) lastMarker() string { return filepath.Join(e.stateDir, "last") }

// finishUndo is the undo's commit: the marker goes, the run is recorded as
// undone, the journal is closed. Each part is idempotent, so recover can
// run it again after a crash anywhere in it.
func (e *Engine) finishUndo(j *Journal) error {
	data, err := os.ReadFile(e.lastMarker())
	if err == nil && strings.TrimSpace(string(data)) == j.UndoOf {
		if err := os.Remove(e.lastMarker()); err != nil {
			return err
		}
		if err := syncDir(e.stateDir); err != nil {
			return err
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := e.faults.at("after", "unmark"); err != nil {
		return err
	}
	if err := e.setRunOutcome(j.UndoOf, OutcomeCommitted, OutcomeUndone); err != nil {
		return err
	}
	if err := e.faults.at("after", stepCommit); err != nil {
		return err
	}
	return j.close(e.stateDir, OutcomeCommitted, e.opts.Now())
}

// keepUndoable runs before an undo is reversed: the run it was undoing gets
// its marker back (and its record its outcome), so `regen undo` still works.
// No other run can have committed while the undo's journal was open.
func (e *Engine) keepUndoable(j *Journal) error {
	if j.Kind != RunUndo || j.UndoOf == "" || !runIDShape().MatchString(j.UndoOf) {
		return nil
	}
	if !exists(filepath.Join(e.backupRoot(), j.UndoOf, "run.json")) {
		return nil // pruned or damaged: nothing to point at
	}
	if err := e.setRunOutcome(j.UndoOf, OutcomeUndone, OutcomeCommitted); err != nil {
		return err
	}
	if err := writeFileAtomic(e.lastMarker(), []byte(j.UndoOf+"\n"), 0o600); err != nil {
		return fmt.Errorf("cannot put back the record of the last run (%s): %w", e.lastMarker(), err)
	}
	return nil
}

// setRunOutcome rewrites a closed run's outcome from one value to another
// (no change when it holds anything else).
func (e *Engine) setRunOutcome(runID string, from, to Outcome) error {
	p := filepath.Join(e.backupRoot(), runID, "run.json")
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("cannot read the record of run %s: %w", runID, err)
	}
	run, err := decodeJournal(data)
	if err != nil {
		return fmt.Errorf("the record of run %s (%s): %w", runID, p, err)
	}
	if run.Outcome != from {
		return nil
	}
	run.Outcome = to
	out, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(p, append(out, '\n'), 0o600)
}

// damagedLastHint is the way on when the record of the last run cannot be
// used: it names only what exists.
func (e *Engine) damagedLastHint() string {
	hint := "undo cannot tell what the last run replaced."
	if exists(e.backupRoot()) {
		hint += " The copies each run took before it started are in its folder under " + e.backupRoot() + " (run.json says which run, files/ and db-* hold the copies)."
	}
	return hint + " The next successful `regen NAME` replaces " + e.lastMarker() + "."
}
