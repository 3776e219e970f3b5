// Package completion is `regen completion SHELL`: the shell completion
// script on stdout.
package completion

import (
	"fmt"
	"io"
	"strings"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/spf13/cobra"
)

// shells are the supported shells, each with its generator.
var shells = []struct {
	name string
	gen  func(root *cobra.Command, w io.Writer) error
}{
	{"bash", func(r *cobra.Command, w io.Writer) error { return r.GenBashCompletionV2(w, true) }},
	{"zsh", func(r *cobra.Command, w io.Writer) error { return r.GenZshCompletion(w) }},
	{"fish", func(r *cobra.Command, w io.Writer) error { return r.GenFishCompletion(w, true) }},
	{"powershell", func(r *cobra.Command, w io.Writer) error { return r.GenPowerShellCompletionWithDesc(w) }},
}

func names() []string {
	var out []string
	for _, s := range shells {
		out = append(out, s.name)
	}
	return out
}

func NewCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	supported := strings.Join(names(), ", ")
	cmd := &cobra.Command{
		Use:       "completion " + strings.Join(names(), "|"),
		Short:     "Print the shell completion script (" + supported + ")",
		Long:      "completion prints the completion script for SHELL on stdout, e.g.\n\n  source <(regen completion bash)\n  regen completion zsh > \"${fpath[1]}/_regen\"\n  regen completion fish > ~/.config/fish/completions/regen.fish\n\nSupported shells: " + supported + ".",
		ValidArgs: names(),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &cmdutil.UsageError{Err: fmt.Errorf("name one shell: regen completion SHELL, where SHELL is one of %s", supported)}
			}
			for _, s := range shells {
				if s.name == args[0] {
					return nil
				}
			}
			return &cmdutil.UsageError{Err: fmt.Errorf("no completion for the shell %q; supported shells: %s", args[0], supported)}
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, s := range shells {
				if s.name == args[0] {
					return s.gen(cmd.Root(), f.IOStreams.Out)
				}
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.UsageError{Err: err} })
	return cmd
}
