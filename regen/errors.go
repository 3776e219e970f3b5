package regen

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/regen-tool/regen/migrator"
)

// The engine reports failures as typed errors; cmd maps each type to one
// documented exit code, in one place.

// InputError: the request or the project cannot be worked on. Nothing was
// changed.
type InputError struct {
	What string // what is wrong
	Next string // what to run or change next
}

func (e *InputError) Error() string { return joinMessage(e.What, "Nothing was changed.", e.Next) }

// LockedError: another regen holds the lock.
type LockedError struct {
	Holder LockInfo
	Path   string
}

func (e *LockedError) Error() string {
	h := e.Holder
	who := fmt.Sprintf("another regen process (it has not written its details to %s)", e.Path)
	switch {
	case h.PID != 0 && h.Unwritten:
		who = fmt.Sprintf("regen (pid %d on %s; it has not written its start and command to %s yet)", h.PID, h.Host, e.Path)
	case h.PID != 0:
		who = fmt.Sprintf("regen (pid %d on %s, started %s: %s)", h.PID, h.Host, h.Started.Local().Format("15:04:05"), h.Command)
	}
	return joinMessage(
		fmt.Sprintf("%s is running in this repository.", who),
		"Nothing was changed.",
		"Wait for it to finish, then run regen again.")
}

// NeedsRecoverError: an interrupted run left its journal behind.
type NeedsRecoverError struct {
	RunID   string
	Step    string
	Journal string
	Damaged error // the journal cannot be read (RunID and Step unknown)
}

func (e *NeedsRecoverError) Error() string {
	if e.Damaged != nil {
		return joinMessage(
			fmt.Sprintf("an interrupted regen run left its journal %s, and it is damaged: %v.", e.Journal, e.Damaged),
			"Files and database may be half-way; nothing more was changed.",
			"Run `regen recover`: it reverses the run from the manifest kept with its backup, or says what else to do.")
	}
	return joinMessage(
		fmt.Sprintf("an interrupted regen run (%s) stopped during %q; its journal is %s.", e.RunID, e.Step, e.Journal),
		"Files and database may be half-way; nothing more was changed.",
		"Run `regen recover` to put everything back as it was before that run.")
}

// RestoredError: a step failed and the compensation put everything back.
type RestoredError struct {
	Step  string
	Cause error
}

func (e *RestoredError) Error() string {
	next := "Fix the cause above and run the same command again."
	if s := storageIn(e.Cause); s != nil {
		next = s.advice("run the same command again")
	}
	return joinMessage(
		fmt.Sprintf("%s failed: %v", e.Step, e.Cause),
		"Everything was restored: files and database are as they were before regen started.",
		next)
}

func (e *RestoredError) Unwrap() error { return e.Cause }

// UnrestoredError: a step failed and the compensation could not put back
// everything. It names what is left and where the backup is.
type UnrestoredError struct {
	Step      string
	Cause     error
	Problems  []string
	BackupDir string
	// Storage: the file system refused a write (disk full, quota,
	// read-only…); then that is the cause to name and to fix first.
	Storage *storageFault
}

func (e *UnrestoredError) Error() string {
	head, next := fmt.Sprintf("%s failed: %v", e.Step, e.Cause), "Run `regen recover` to try again."
	if s := e.Storage; s != nil {
		var jw *JournalWriteError
		if errors.As(e.Cause, &jw) {
			head = fmt.Sprintf("regen could not write its journal (step %s): %s.\n%v", e.Step, s.what, e.Cause)
		} else {
			head += fmt.Sprintf("\nThen regen could not write to %s: %s.", s.dir, s.what)
		}
		next = s.advice("run `regen recover` to put everything back")
	}
	return joinMessage(head,
		"Restoring did not complete:\n  - "+strings.Join(e.Problems, "\n  - "),
		fmt.Sprintf("The backup is kept in %s.", e.BackupDir), next)
}

// InterruptedError: a signal stopped the run; Restored tells whether the
// compensation completed.
type InterruptedError struct {
	Signal   os.Signal
	Restored bool
	Problems []string
}

func (e *InterruptedError) Error() string {
	sig := migrator.SignalDescription(e.Signal)
	if e.Restored {
		return joinMessage(fmt.Sprintf("interrupted by %s.", sig),
			"Everything was restored: files and database are as they were before regen started.", "")
	}
	return joinMessage(fmt.Sprintf("interrupted by %s.", sig),
		"Restoring did not complete:\n  - "+strings.Join(e.Problems, "\n  - "),
		"Run `regen recover`.")
}

// ConflictError: the plan cannot go ahead safely as asked (e.g. a tracked
// migration was applied after an untracked one). Nothing was changed.
type ConflictError struct {
	What string
	Next string
}

func (e *ConflictError) Error() string { return joinMessage(e.What, "Nothing was changed.", e.Next) }

// ErrNothingToUndo is returned by Undo when no committed run is on record.
var ErrNothingToUndo = errors.New("there is no regen run to undo")

func joinMessage(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "\n")
}
