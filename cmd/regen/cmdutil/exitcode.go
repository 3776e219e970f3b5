package cmdutil

import (
	"errors"
	"syscall"

	"github.com/regen-tool/regen/regen"
)

// Exit codes, documented in the README. The only place errors become codes.
const (
	ExitOK           = 0   // done
	ExitFindings     = 1   // `regen check` found problems
	ExitRestored     = 1   // a step failed; everything was restored
	ExitUsage        = 2   // bad usage or input, or the project cannot be worked on; nothing changed
	ExitLocked       = 3   // another regen holds the lock; nothing changed
	ExitNeedsRecover = 4   // an interrupted run needs `regen recover`; nothing changed
	ExitUnrestored   = 5   // a step failed and restoring did not complete; see the message
	ExitRefused      = 6   // the plan is unsafe as asked (see the message); nothing changed
	ExitSIGINT       = 130 // interrupted by SIGINT; everything was restored
	ExitSIGTERM      = 143 // interrupted by SIGTERM; everything was restored
)

// UsageError marks a command-line mistake found by cobra or a command.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitCode maps an error to the documented code.
func ExitCode(err error) int {
	var (
		input    *regen.InputError
		locked   *regen.LockedError
		recov    *regen.NeedsRecoverError
		restored *regen.RestoredError
		unrest   *regen.UnrestoredError
		intr     *regen.InterruptedError
		conflict *regen.ConflictError
		usage    *UsageError
		findings *regen.CheckFindingsError
		damaged  *regen.DamagedJournalError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &intr):
		if !intr.Restored {
			return ExitUnrestored
		}
		if intr.Signal == syscall.SIGTERM {
			return ExitSIGTERM
		}
		return ExitSIGINT
	case errors.As(err, &findings):
		return ExitFindings
	case errors.As(err, &unrest), errors.As(err, &damaged):
		return ExitUnrestored
	case errors.As(err, &restored):
		return ExitRestored
	case errors.As(err, &locked):
		return ExitLocked
	case errors.As(err, &recov):
		return ExitNeedsRecover
	case errors.As(err, &conflict):
		return ExitRefused
	case errors.As(err, &input), errors.As(err, &usage):
		return ExitUsage
	default:
		// An unexpected error before anything changed (the engine wraps
		// every failure after the backup in one of the types above).
		return ExitUsage
	}
}
