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
	// PostCheckout selects the post-checkout hook (`regen sync` after a
	// branch switch) instead of the pre-commit hook.
	PostCheckout bool
}

func (o *Options) kind() Kind {
	if o.PostCheckout {
		return PostCheckout
	}
	return PreCommit
}

func NewCmdHook(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook",
		Short: "Install or remove the pre-commit hook (`regen check --staged`) or the post-checkout hook (`regen sync`)",
		Long: `hook installs a git pre-commit hook that runs ` + "`regen check --staged`" + `,
or with --post-checkout a post-checkout hook that runs ` + "`regen sync`" + ` after a
branch checkout that changed the migrations folders (skipped during a rebase,
a bisect, a merge or a cherry-pick; it never fails the checkout, never
prompts, and prints one line; the sync's details go to .git/regen/post-checkout.log).

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
		Short: "Write the pre-commit hook (--post-checkout: the post-checkout hook)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Force && opts.Chain {
				return &cmdutil.UsageError{Err: errors.New("--force and --chain exclude each other: --chain keeps the existing hook, --force replaces it")}
			}
			dir, err := hooksDir(f)
			if err != nil {
				return err
			}
			res, err := opts.kind().Install(dir, opts.Force, opts.Chain)
			if err != nil {
				return err
			}
			w := f.IOStreams.ErrOut
			what := "commits now run `regen check --staged`"
			if opts.PostCheckout {
				what = "branch checkouts that change the migrations now run `regen sync`"
			}
			fmt.Fprintf(w, "%s %s: %s.\n", res.Action, res.Path, what)
			if res.Chained != "" {
				fmt.Fprintf(w, "The previous hook runs first, from %s.\n", res.Chained)
			}
			if res.Replaced != "" {
				fmt.Fprintf(w, "The previous hook was moved to %s.\n", res.Replaced)
			}
			return nil
		},
	}
	install.Flags().BoolVar(&opts.Force, "force", false, "replace a hook regen did not write (it is moved to "+ReplacedName+", or post-checkout.regen-replaced)")
	install.Flags().BoolVar(&opts.Chain, "chain", false, "keep an existing hook and run it before regen's")
	install.Flags().BoolVar(&opts.PostCheckout, "post-checkout", false, "the post-checkout hook: `regen sync` after a branch checkout that changed the migrations")
	uninstall := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove the pre-commit hook, or with --post-checkout the post-checkout hook (and put back a chained one)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := hooksDir(f)
			if err != nil {
				return err
			}
			k := opts.kind()
			res, err := k.Uninstall(dir)
			if err != nil {
				return err
			}
			w := f.IOStreams.ErrOut
			switch {
			case res.Action == "nothing":
				fmt.Fprintf(w, "no %s hook at %s; nothing to remove.\n", k.Name, res.Path)
			case res.Restored:
				fmt.Fprintf(w, "removed regen's hook; the previous hook is back at %s.\n", res.Path)
			default:
				fmt.Fprintf(w, "removed %s.\n", res.Path)
			}
			return nil
		},
	}
	uninstall.Flags().BoolVar(&opts.PostCheckout, "post-checkout", false, "remove the post-checkout hook")
	run := newCmdRun(f)
	for _, c := range []*cobra.Command{cmd, install, uninstall, run} {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.UsageError{Err: err} })
	}
	cmd.AddCommand(install, uninstall, run)
	return cmd
}

func hooksDir(f *cmdutil.Factory) (string, error) {
	dir, err := f.Dir()
	if err != nil {
		return "", err
	}
	return regen.HooksDir(dir)
}
