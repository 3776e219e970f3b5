// Package version is `regen version`.
package version

import (
	"fmt"
	"runtime"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/spf13/cobra"
)

// Line is what `regen version`, `regen -v` and `regen --version` print.
func Line() string {
	return fmt.Sprintf("regen %s (%s, %s/%s)", cmdutil.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version (same as regen -v)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(f.IOStreams.Out, Line())
			return err
		},
	}
}
