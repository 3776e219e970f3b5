//go:build !windows

package cli

import (
	"os"
	"syscall"
)

// terminating are the signals a user (or a closed terminal, a supervisor,
// `timeout -s`) sends to stop a process and that would otherwise end
// regen: each cancels the run like Ctrl-C, the engine stops the child and
// restores. Go's defaults (exit for SIGHUP; a stack dump and exit 2 for
// SIGQUIT, SIGABRT, SIGSYS) would leave a half state. The others Go ignores
// (SIGUSR1, SIGALRM, ...) never end regen; SIGKILL cannot be caught, which is
// what the journal and `regen recover` are for.
var terminating = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGABRT, syscall.SIGSYS}
