// Package hook is `regen hook install|uninstall`: the pre-commit hook that
// runs `regen check --staged`.
package hook

import (
	"errors"
	"fmt"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/regen"
	"github.com/spf13/cobra"
)

type Options struct {
	Force bool
	Chain bool
}

func NewCmdHook(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook",
		Short: "Install or remove the pre-commit hook that runs `regen check --staged`",
		Long: `hook installs a git pre-commit hook that runs ` + "`regen check --staged`" + `.

It goes where git looks for hooks: core.hooksPath when set (relative to the
work-tree top), else the common git directory's hooks/ (shared by linked
worktrees). A hook regen did not write is never overwritten: --chain keeps it
(as ` + ChainedName + `) and runs it first, --force moves it to
` + ReplacedName + `. ` + "`regen hook uninstall`" + ` removes regen's hook and puts a
chained one back.

With the pre-commit framework, use the regen-check hook from this
repository's .pre-commit-hooks.yaml instead.`,
	}
	opts := &Options{}
	install := &cobra.Command{
		Use:   "install",
		Short: "Write the pre-commit hook",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Force && opts.Chain {
				return &cmdutil.UsageError{Err: errors.New("--force and --chain exclude each other: --chain keeps the existing hook, --force replaces it")}
			}
			dir, err := hooksDir(f)
			if err != nil {
				return err
			}
			res, err := Install(dir, opts.Force, opts.Chain)
			if err != nil {
				return err
			}
			w := f.IOStreams.ErrOut
			fmt.Fprintf(w, "%s %s: commits now run `regen check --staged`.\n", res.Action, res.Path)
			if res.Chained != "" {
				fmt.Fprintf(w, "The previous hook runs first, from %s.\n", res.Chained)
			}
			if res.Replaced != "" {
				fmt.Fprintf(w, "The previous hook was moved to %s.\n", res.Replaced)
			}
			return nil
		},
	}
	install.Flags().BoolVar(&opts.Force, "force", false, "replace a pre-commit hook regen did not write (it is moved to "+ReplacedName+")")
	install.Flags().BoolVar(&opts.Chain, "chain", false, "keep an existing pre-commit hook and run it before regen's check")
	uninstall := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove the pre-commit hook (and put back a chained one)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := hooksDir(f)
			if err != nil {
				return err
			}
			res, err := Uninstall(dir)
			if err != nil {
				return err
			}
			w := f.IOStreams.ErrOut
			switch {
			case res.Action == "nothing":
				fmt.Fprintf(w, "no pre-commit hook at %s; nothing to remove.\n", res.Path)
			case res.Restored:
				fmt.Fprintf(w, "removed regen's hook; the previous hook is back at %s.\n", res.Path)
			default:
				fmt.Fprintf(w, "removed %s.\n", res.Path)
			}
			return nil
		},
	}
	for _, c := range []*cobra.Command{cmd, install, uninstall} {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.UsageError{Err: err} })
	}
	cmd.AddCommand(install, uninstall)
	return cmd
}

func hooksDir(f *cmdutil.Factory) (string, error) {
	dir, err := f.Dir()
	if err != nil {
		return "", err
	}
	return regen.HooksDir(dir)
}
