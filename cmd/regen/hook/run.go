package hook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/cmd/regen/iostreams"
	synccmd "github.com/regen-tool/regen/cmd/regen/sync"
	"github.com/regen-tool/regen/regen"
	"github.com/spf13/cobra"
)

// LogName is the file under regen's state folder that holds the last
// post-checkout sync's whole output (the hook itself prints one line).
const LogName = "post-checkout.log"

// newCmdRun is `regen hook run post-checkout PREV NEW FLAG`, what the
// post-checkout script runs. It never fails: the checkout is done, and a
// hook must not make it look failed.
func newCmdRun(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    "run post-checkout PREV NEW FLAG",
		Short:  "Run a hook's work (what the installed hook scripts call)",
		Hidden: true,
		Args:   cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(f.IOStreams.ErrOut, "regen: "+PostCheckoutLine(cmd.Context(), f, args))
			return nil
		},
	}
}

// PostCheckoutLine decides whether the checkout calls for a sync, runs it
// with its output in the log, and says what happened in one line.
func PostCheckoutLine(ctx context.Context, f *cmdutil.Factory, args []string) string {
	if len(args) != 4 || args[0] != "post-checkout" {
		return "the hook was called with unexpected arguments; the database was not synced (run `regen sync`)"
	}
	quiet := withStreams(f, &bytes.Buffer{}, io.Discard)
	eng, err := quiet.EngineFor(cmdutil.EngineSettings{})
	if err != nil {
		return "database not synced: " + firstLine(err)
	}
	why, err := eng.CheckoutSkip(ctx, args[1], args[2], args[3])
	if err != nil {
		return "database not synced: " + firstLine(err)
	}
	if why != "" {
		return "database not synced: " + why
	}
	logPath := filepath.Join(eng.StateDir(), LogName)
	log, err := openLog(logPath)
	if err != nil {
		return "database not synced: " + firstLine(err) + " (run `regen sync`)"
	}
	defer log.Close()
	res, err := synccmd.Sync(ctx, withStreams(f, &bytes.Buffer{}, log), &synccmd.Options{}, "regen sync (post-checkout hook)")
	if err != nil {
		fmt.Fprintf(log, "regen: %v\n", err)
		return notSynced(err, logPath)
	}
	return synccmd.Summary(res) + " (details: " + logPath + ")"
}

// notSynced is a failed sync in one line: the state things are in (from
// the error's type, as its exit code says it), and where the details are.
func notSynced(err error, logPath string) string {
	state := "nothing was changed"
	switch cmdutil.ExitCode(err) {
	case cmdutil.ExitRestored:
		state = "it failed and the database was restored"
	case cmdutil.ExitUnrestored:
		state = "it failed and not everything was restored: run `regen recover`"
	case cmdutil.ExitNeedsRecover:
		state = "an interrupted run needs `regen recover` first"
	case cmdutil.ExitLocked:
		state = "another regen is running; run `regen sync` after it"
	case cmdutil.ExitUnchecked:
		state = "regen did not check the state: run `regen status`"
	}
	var intr *regen.InterruptedError
	if errors.As(err, &intr) && intr.Restored {
		state = "interrupted, the database was restored"
	}
	return fmt.Sprintf("database not synced (%s): %s; details in %s", state, firstLine(err), logPath)
}

// withStreams is f with the engine's progress and the children's output
// going to w, and nothing to read: a hook never prompts.
func withStreams(f *cmdutil.Factory, in io.Reader, w io.Writer) *cmdutil.Factory {
	g := *f
	g.IOStreams = &iostreams.IOStreams{In: in, Out: w, ErrOut: w}
	return &g
}

// openLog truncates the log (it holds the last sync); regen's state folder
// is created like every command creates it.
func openLog(p string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	fi, err := os.Lstat(p)
	if err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
}

func firstLine(err error) string {
	s := strings.TrimSpace(err.Error())
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
