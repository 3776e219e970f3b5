package cmdutil

import (
	"errors"
	"syscall"

	"github.com/regen-tool/regen/regen"
	checks "github.com/regen-tool/regen/regen/check"
	"github.com/regen-tool/regen/regen/project"
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
	ExitUnchecked    = 7   // an unexpected error; regen did not check the state: see UncheckedHint
	ExitSIGHUP       = 129 // interrupted by SIGHUP (terminal closed); everything was restored
	ExitSIGINT       = 130 // interrupted by SIGINT (Ctrl-C); everything was restored
	ExitSIGQUIT      = 131 // interrupted by SIGQUIT (Ctrl-\); everything was restored
	ExitSIGTERM      = 143 // interrupted by SIGTERM; everything was restored
)

// UncheckedHint follows the message of an error no type vouches for: it
// promises nothing about the state, and says how to find out.
const UncheckedHint = "regen did not check what state files and database are in after this error: run `regen status`; if it shows an interrupted run, run `regen recover`."

// UsageError marks a command-line mistake found by cobra or a command.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// CheckError marks an error of `regen check`, which reads only (and
// journals what it changes, as a typed error): its contract is exit 2,
// "the check cannot run".
type CheckError struct{ Err error }

func (e *CheckError) Error() string { return e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

// ExitCode maps an error to the documented code.
func ExitCode(err error) int {
	var (
		input    *regen.InputError
		config   *project.Error
		locked   *regen.LockedError
		recov    *regen.NeedsRecoverError
		restored *regen.RestoredError
		unrest   *regen.UnrestoredError
		intr     *regen.InterruptedError
		conflict *regen.ConflictError
		usage    *UsageError
		check    *CheckError
		findings *checks.FindingsError
		damaged  *regen.DamagedJournalError
		platform *regen.UnsupportedError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &intr):
		if !intr.Restored {
			return ExitUnrestored
		}
		return signalExit(intr)
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
	case errors.As(err, &input), errors.As(err, &config), errors.As(err, &usage), errors.As(err, &check), errors.As(err, &platform):
		return ExitUsage
	default:
		// No type says what state things are in: promise nothing.
		return ExitUnchecked
	}
}

// signalExit is 128 + the signal's number, as shells report a death by
// that signal (SIGHUP 129, SIGINT 130, SIGQUIT 131, SIGABRT 134, SIGTERM 143).
func signalExit(intr *regen.InterruptedError) int {
	if _, ok := intr.Signal.(regen.ParentGone); ok {
		return 128 + int(syscall.SIGHUP) // its session is gone, as when the terminal closes
	}
	if s, ok := intr.Signal.(syscall.Signal); ok && s > 0 && s < 64 {
		return 128 + int(s)
	}
	return ExitSIGINT
}
