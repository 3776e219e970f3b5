// Package recover is `regen recover`.
package recover

import (
	"context"
	"fmt"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/spf13/cobra"
)

type Options struct{}

func NewCmdRecover(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	return &cobra.Command{
		Use:   "recover",
		Short: "Finish or reverse a run that was interrupted (crash, kill -9, power loss)",
		Long: `recover reads the journal an interrupted run left under the git directory.
A run that had verified everything is finished; any other is reversed: every
file comes back byte for byte and the database from its backup. Running it
when there is nothing to recover does nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), f)
		},
	}
}

func run(ctx context.Context, f *cmdutil.Factory) error {
	eng, err := f.Engine("", 0)
	if err != nil {
		return err
	}
	res, err := eng.Recover(ctx, "regen recover")
	if err != nil {
		return err
	}
	w := f.IOStreams.ErrOut
	switch res.Action {
	case "none":
		fmt.Fprintln(w, "nothing to recover: no interrupted run.")
	case "nothing-changed":
		fmt.Fprintf(w, "run %s was interrupted before it changed anything; closed it.\n", res.Journal.RunID)
	case "finished":
		fmt.Fprintf(w, "run %s had completed its work; finished it. `regen undo` can reverse it.\n", res.Journal.RunID)
	case "restored":
		fmt.Fprintf(w, "run %s was reversed: files and database are as they were before it started.\n", res.Journal.RunID)
	}
	return nil
}
