//go:build unix

package migrator

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// foreground: f is this process's controlling terminal and its process
// group is the terminal's foreground group (tcgetpgrp fails with ENOTTY
// for anything else, a pipe or a terminal of another session).
func foreground(f *os.File) bool {
	pgrp, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// pollIn waits up to d for f to be readable.
func pollIn(f *os.File, d time.Duration) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, int(d/time.Millisecond))
	if errors.Is(err, unix.EINTR) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if n > 0 && fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 && fds[0].Revents&unix.POLLIN == 0 {
		return false, errors.New("the terminal hung up")
	}
	return n > 0, nil
}
