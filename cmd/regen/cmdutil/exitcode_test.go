package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/regen-tool/regen/regen"
	checks "github.com/regen-tool/regen/regen/check"
	"github.com/regen-tool/regen/regen/project"
)

// Every typed error, bare and wrapped, maps to its documented code; an
// error no type vouches for promises nothing (7), never "nothing changed".
func TestExitCodeOfEveryError(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"input", &regen.InputError{What: "x"}, ExitUsage},
		{"config", &project.Error{What: "x"}, ExitUsage},
		{"usage", &UsageError{Err: errors.New("x")}, ExitUsage},
		{"check cannot run", &CheckError{Err: errors.New("x")}, ExitUsage},
		{"check restored", &CheckError{Err: &regen.RestoredError{Step: "roundtrip", Cause: errors.New("x")}}, ExitRestored},
		{"check unrestored", &CheckError{Err: &regen.UnrestoredError{Step: "roundtrip", Cause: errors.New("x")}}, ExitUnrestored},
		{"findings", &checks.FindingsError{Count: 2}, ExitFindings},
		{"restored", &regen.RestoredError{Step: "codegen", Cause: errors.New("x")}, ExitRestored},
		{"unrestored", &regen.UnrestoredError{Step: "codegen", Cause: errors.New("x")}, ExitUnrestored},
		{"locked", &regen.LockedError{}, ExitLocked},
		{"needs recover", &regen.NeedsRecoverError{RunID: "r"}, ExitNeedsRecover},
		{"conflict", &regen.ConflictError{What: "x"}, ExitRefused},
		{"SIGHUP restored", &regen.InterruptedError{Signal: syscall.SIGHUP, Restored: true}, ExitSIGHUP},
		{"SIGINT restored", &regen.InterruptedError{Signal: syscall.SIGINT, Restored: true}, ExitSIGINT},
		{"SIGQUIT restored", &regen.InterruptedError{Signal: syscall.SIGQUIT, Restored: true}, ExitSIGQUIT},
		{"SIGTERM restored", &regen.InterruptedError{Signal: syscall.SIGTERM, Restored: true}, ExitSIGTERM},
		{"os.Interrupt restored", &regen.InterruptedError{Signal: os.Interrupt, Restored: true}, ExitSIGINT},
		{"interrupted, not restored", &regen.InterruptedError{Signal: syscall.SIGQUIT, Problems: []string{"x"}}, ExitUnrestored},
		{"untyped", errors.New("disk I/O error"), ExitUnchecked},
		{"wrapped untyped", fmt.Errorf("reading: %w", os.ErrPermission), ExitUnchecked},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
		if c.err == nil {
			continue
		}
		// A type keeps its code through any wrapping.
		if got := ExitCode(fmt.Errorf("context: %w", c.err)); got != c.want {
			t.Errorf("%s, wrapped: exit %d, want %d", c.name, got, c.want)
		}
	}
	for code, sig := range map[int]syscall.Signal{129: syscall.SIGHUP, 130: syscall.SIGINT, 131: syscall.SIGQUIT, 134: syscall.SIGABRT, 143: syscall.SIGTERM} {
		if got := ExitCode(&regen.InterruptedError{Signal: sig, Restored: true}); got != code {
			t.Errorf("%v: exit %d, want %d (128+signal)", sig, got, code)
		}
	}
}
