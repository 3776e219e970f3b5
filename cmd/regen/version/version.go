// Package version is `regen version`.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/spf13/cobra"
)

// Line is what `regen version`, `regen -v` and `regen --version` print.
func Line() string {
	return fmt.Sprintf("regen %s (%s, %s/%s)", Resolve(cmdutil.Version, debug.ReadBuildInfo), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// Resolve picks the version to print: the release build's stamp, else the
// main module's version from the build info (what `go install
// …/cmd/regen@v1.2.3` records), else "devel". A plain `go build` in a
// checkout records "(devel)" or, from a git checkout, a pseudo-version
// naming the commit; both are passed through as Go wrote them, except
// "(devel)", which is spelled "devel".
func Resolve(stamp string, buildInfo func() (*debug.BuildInfo, bool)) string {
	if stamp != "" {
		return stamp
	}
	if buildInfo != nil {
		if bi, ok := buildInfo(); ok && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "devel"
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
