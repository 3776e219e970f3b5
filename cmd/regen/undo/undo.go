// Package undo is `regen undo`.
package undo

import (
	"context"
	"fmt"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/cmd/regen/render"
	"github.com/spf13/cobra"
)

type Options struct {
	Force      bool
	Verbose    bool
	ConfigFile *string
}

func NewCmdUndo(f *cmdutil.Factory, runF func(context.Context, *Options) error, configFile *string) *cobra.Command {
	opts := &Options{ConfigFile: configFile}
	cmd := &cobra.Command{
		Use:   "undo",
		Short: "Put back exactly what the last successful regen replaced (files and database)",
		Long: `undo restores the migrations, snapshots and database as they were before
the last successful run. It refuses when they changed since that run, since
undo would replace the newer work; --force goes back anyway (the present state
is backed up first).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "undo even though files or databases changed since the run")
	cmd.Flags().BoolVar(&opts.Verbose, "verbose", false, "list every file undo changed")
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	eng, err := f.Engine(cmdutil.Deref(opts.ConfigFile), 0)
	if err != nil {
		return err
	}
	res, err := eng.Undo(ctx, "regen undo", opts.Force)
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "undone: run %s (%s). Files and database are as they were before it.\n", res.Run.RunID, res.Run.Command)
	for _, c := range render.Summarize(res.Changed, opts.Verbose) {
		fmt.Fprintf(f.IOStreams.ErrOut, "  %s\n", c)
	}
	return nil
}
