// Package version is `regen version`.
package version

import (
	"fmt"
	"runtime"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/spf13/cobra"
)

func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(f.IOStreams.Out, "regen %s (%s, %s/%s)\n", cmdutil.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
