// Package initcmd is `regen init`.
package initcmd

import (
	"context"
	"fmt"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/regen"
	"github.com/spf13/cobra"
)

type Options struct {
	Force  bool
	Stdout bool
}

func NewCmdInit(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write .regen.toml from what regen detects (optional: zero config works)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace an existing .regen.toml")
	cmd.Flags().BoolVar(&opts.Stdout, "stdout", false, "print the config instead of writing it")
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	eng, err := f.Engine("", 0)
	if err != nil {
		return err
	}
	path, text, err := eng.InitConfig(ctx)
	if err != nil {
		return err
	}
	if opts.Stdout {
		_, err := fmt.Fprint(f.IOStreams.Out, text)
		return err
	}
	if err := regen.WriteNewFile(path, []byte(text), opts.Force); err != nil {
		return err
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "wrote %s\n", path)
	return nil
}
