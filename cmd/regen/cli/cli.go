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
	"github.com/regen-tool/regen/migrator"
)

// Main runs regen with args and returns the exit code.
func Main(args []string) int {
	ios := iostreams.System(os.Getenv)
	return Run(context.Background(), cmdutil.New(ios), args)
}

// Run executes the command tree. The first SIGINT or SIGTERM cancels the
// run (the engine forwards it to the child and restores); later ones are
// absorbed so that restoring is never cut short.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) (code int) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		first := true
		for sig := range sigs {
			if first {
				cancel(&migrator.SignalCause{Signal: sig})
				first = false
				continue
			}
			fmt.Fprintln(f.IOStreams.ErrOut, "regen: still restoring; please wait (interrupting now could leave a half state).")
		}
	}()
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
	fmt.Fprintf(f.IOStreams.ErrOut, "regen: %v\n", err)
	return cmdutil.ExitCode(err)
}
