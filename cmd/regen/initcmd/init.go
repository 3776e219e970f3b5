// Package initcmd is `regen init`.
package initcmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/regen"
	"github.com/spf13/cobra"
)

type Options struct {
	Force      bool
	Stdout     bool
	ConfigFile *string // --config: the file to write (default .regen.toml at the project root)
}

func NewCmdInit(f *cmdutil.Factory, runF func(context.Context, *Options) error, configFile *string) *cobra.Command {
	opts := &Options{ConfigFile: configFile}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write .regen.toml from what regen detects (optional: zero config works)",
		Long: `init writes what regen detects into .regen.toml at the project root, or
into the file --config names (then pass the same --config to later runs).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace an existing config file")
	cmd.Flags().BoolVar(&opts.Stdout, "stdout", false, "print the config instead of writing it")
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	target, read, err := configTarget(f, cmdutil.Deref(opts.ConfigFile))
	if err != nil {
		return err
	}
	eng, err := f.Engine(read, 0)
	if err != nil {
		return err
	}
	path, text, err := eng.InitConfig(ctx)
	if err != nil {
		return err
	}
	if target != "" {
		path = target
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

// configTarget resolves --config against the working folder: the file init
// writes, and the one the engine reads (only when it exists already, as
// .regen.toml is read today; a new one has nothing to read yet).
func configTarget(f *cmdutil.Factory, flag string) (target, read string, err error) {
	if flag == "" {
		return "", "", nil
	}
	target = flag
	if !filepath.IsAbs(target) {
		dir, err := f.Dir()
		if err != nil {
			return "", "", err
		}
		target = filepath.Join(dir, target)
	}
	if _, err := os.Stat(target); err == nil {
		read = target
	}
	return target, read, nil
}
