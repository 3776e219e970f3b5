// Package recover is `regen recover`.
package recover

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/regen"
	"github.com/spf13/cobra"
)

type Options struct {
	DiscardJournal bool
	ConfigFile     *string
}

func NewCmdRecover(f *cmdutil.Factory, runF func(context.Context, *Options) error, configFile *string) *cobra.Command {
	opts := &Options{ConfigFile: configFile}
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Finish or reverse a run that was interrupted (crash, kill -9, power loss)",
		Long: `recover reads the journal an interrupted run left under the git directory.
A run that had verified everything is finished; any other is reversed: every
file comes back byte for byte and the database from its backup. Running it
when there is nothing to recover does nothing.

When the journal is damaged, the run is reversed from the manifest kept in
its backup folder. When even that is not possible, --discard-journal moves
the journal into the backup folder (nothing is deleted) so regen can be used
again, and says what may be half-way.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DiscardJournal, "discard-journal", false, "move the interrupted run's journal aside without restoring anything")
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	eng, err := f.Engine(cmdutil.Deref(opts.ConfigFile), 0)
	if err != nil {
		return err
	}
	w := f.IOStreams.ErrOut
	if opts.DiscardJournal {
		res, err := eng.DiscardJournal(ctx)
		if err != nil {
			return err
		}
		if res == nil {
			fmt.Fprintln(w, "nothing to discard: no interrupted run.")
			return nil
		}
		who := "the interrupted run"
		if res.RunID != "" {
			who = fmt.Sprintf("the interrupted run %s (%s)", res.RunID, res.Kind)
		}
		fmt.Fprintf(w, "the journal of %s was moved to %s; nothing was restored or deleted, and regen can be used again.\nCheck by hand:\n", who, res.MovedTo)
		for _, s := range res.State {
			fmt.Fprintf(w, "  - %s\n", s)
		}
		return nil
	}
	res, err := eng.Recover(ctx, "regen recover")
	if err != nil {
		return err
	}
	j := res.Journal
	switch {
	case res.Action == regen.RecoverNone:
		fmt.Fprintln(w, "nothing to recover: no interrupted run.")
	case res.Action == regen.RecoverAlreadyClosed:
		fmt.Fprintf(w, "run %s had already finished (its record is in %s); nothing to recover, nothing was changed.\n", j.RunID, filepath.Dir(res.JournalKept))
	case res.Action == regen.RecoverNothingChanged:
		fmt.Fprintf(w, "run %s was interrupted before it changed anything; closed it.\n", j.RunID)
	case res.Action == regen.RecoverFinished && j.Kind == regen.RunUndo:
		fmt.Fprintf(w, "the undo %s of run %s had put everything back; finished it. Files and database are as they were before run %s.\n", j.RunID, j.UndoOf, j.UndoOf)
	case res.Action == regen.RecoverFinished:
		fmt.Fprintf(w, "run %s had completed its work; finished it. `regen undo` can reverse it.\n", j.RunID)
	case res.Action == regen.RecoverRestored && j.Kind == regen.RunUndo:
		fmt.Fprintf(w, "the undo %s was reversed: files and database are as they were after run %s, and `regen undo` can still undo it.\n", j.RunID, j.UndoOf)
	case res.Action == regen.RecoverRestored && j.Kind == regen.RunRoundtrip:
		fmt.Fprintf(w, "the round trip check %s was reversed: the database is as it was before it.\n", j.RunID)
	case res.Action == regen.RecoverRestored:
		fmt.Fprintf(w, "run %s was reversed: files and database are as they were before it started.\n", j.RunID)
	}
	if res.FromManifest != "" {
		fmt.Fprintf(w, "the journal was damaged: recovered from %s; the damaged journal is kept at %s.\n", res.FromManifest, res.JournalKept)
	} else if res.JournalKept != "" {
		fmt.Fprintf(w, "the journal was damaged; it is kept at %s.\n", res.JournalKept)
	}
	return nil
}
