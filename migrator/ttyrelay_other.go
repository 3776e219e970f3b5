//go:build !unix

package migrator

import (
	"errors"
	"os"
	"time"
)

// foreground: without process groups to check, no relay (codegen reads
// end of input, as with `--yes`).
func foreground(*os.File) bool { return false }

func pollIn(*os.File, time.Duration) (bool, error) {
	return false, errors.New("no terminal relay on this platform")
}
