package cli

import (
	"os"
	"syscall"
)

// terminating: Windows delivers only Ctrl-C (and Ctrl-Break) as SIGINT and
// a closed console as SIGTERM; the rest of the Unix set does not exist here.
var terminating = []os.Signal{syscall.SIGINT, syscall.SIGTERM}
