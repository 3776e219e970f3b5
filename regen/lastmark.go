package regen

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// A run's commit replaces the last-run marker before it closes its journal.
// A run reversed after that (its journal damaged, so it is reversed from its
// manifest) must not leave the marker naming itself: undo would refuse it,
// and the run before it could no longer be undone. So each run records the
// marker as it found it, in its journal and hence its manifest, and reversing
// puts that back.

// notePrevLast records the marker as the run finds it (under the lock, so
// no other run can change it before this one's commit).
func (e *Engine) notePrevLast(j *Journal) error {
	data, err := os.ReadFile(e.lastMarker())
	switch {
	case errors.Is(err, os.ErrNotExist):
		none := ""
		j.PrevLast = &none
	case err != nil:
		return fmt.Errorf("cannot read the record of the last run (%s): %w", e.lastMarker(), err)
	default:
		prev := strings.TrimSpace(string(data))
		j.PrevLast = &prev
	}
	return nil
}

// putBackLast runs before a regen run is reversed: when its commit had
// already named it in the marker, the marker gets back the value the run
// found. Idempotent, so a crash during the reversal is reversed again.
func (e *Engine) putBackLast(j *Journal) error {
	if !j.Kind.isRun() {
		return nil
	}
	data, err := os.ReadFile(e.lastMarker())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot read the record of the last run (%s): %w", e.lastMarker(), err)
	}
	if strings.TrimSpace(string(data)) != j.RunID {
		return nil // the commit had not written it
	}
	switch {
	case j.PrevLast == nil:
		// An older regen's journal: what was there is not known, and a
		// marker naming a reversed run is never right.
		err = os.Remove(e.lastMarker())
	case *j.PrevLast == "":
		err = os.Remove(e.lastMarker())
	default:
		err = writeFileAtomic(e.lastMarker(), []byte(*j.PrevLast+"\n"), 0o600)
	}
	if err != nil {
		return fmt.Errorf("cannot put back the record of the last run (%s): %w", e.lastMarker(), err)
	}
	return syncDir(e.stateDir)
}
