// Package cli wires the command tree to the process: streams, signals and
// the exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/cmd/regen/iostreams"
	"github.com/regen-tool/regen/cmd/regen/root"
	"github.com/regen-tool/regen/regen"
)

// Main runs regen with args and returns the exit code.
func Main(args []string) int {
	ios := iostreams.System(os.Getenv)
	return Run(context.Background(), cmdutil.New(ios), args)
}

// Run executes the command tree. The first terminating signal cancels the
// run (the engine forwards it to the child and restores); later ones are
// absorbed so that restoring is never cut short. SIGPIPE is absorbed too: a
// reader of regen's output that went away (`regen NAME -m | head`) is no
// reason to stop half-way, and with SIGPIPE notified a write to a closed
// stdout or stderr fails with EPIPE instead of killing regen; the writes
// ignore that error.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) (code int) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, append([]os.Signal{syscall.SIGPIPE}, terminating...)...)
	defer signal.Stop(sigs)
	go func() {
		first := true
		for sig := range sigs {
			if sig == syscall.SIGPIPE {
				// Printing here would write to the closed pipe again.
				continue
			}
			if first {
				cancel(&regen.SignalCause{Signal: sig})
				first = false
				continue
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "regen: %s received; still restoring, please wait (stopping regen now could leave a half state).\n", regen.SignalName(sig))
		}
	}()
	// mix regen's VM gone (killed, or `a` in its BREAK menu) interrupts
	// the run as a signal does: nobody is left to see it end.
	defer watchParent(f.Getenv, func() { cancel(regen.MixRegenGone()) })()
	defer func() {
		// No panic reaches the user as a stack trace: say what happened
		// and where the state is.
		if r := recover(); r != nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "regen: internal error: %v\nIf a run was under way, its journal is kept: run `regen status`, then `regen recover`.\n", r)
			code = cmdutil.ExitUnrestored
		}
	}()

	cmd := root.NewCmdRoot(f, nil)
	cmd.SetArgs(args)
	cmd.SetIn(f.IOStreams.In)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	var usage *cmdutil.UsageError
	if errors.As(err, &usage) {
		fmt.Fprintf(f.IOStreams.ErrOut, "regen: %v\nRun `regen --help` for usage.\n", err)
		return cmdutil.ExitUsage
	}
	code = cmdutil.ExitCode(err)
	fmt.Fprintf(f.IOStreams.ErrOut, "regen: %v\n", err)
	if code == cmdutil.ExitUnchecked {
		fmt.Fprintln(f.IOStreams.ErrOut, cmdutil.UncheckedHint)
	}
	return code
}
