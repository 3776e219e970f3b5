package migrator

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// UnsupportedError: this platform lacks what a feature needs (on Windows:
// process groups, POSIX signals, flock). It is returned before anything is
// started or changed.
type UnsupportedError struct {
	What string // the feature, e.g. "running mix from regen"
	Why  string // what it needs that the platform lacks
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s is not supported on %s: %s. Nothing was changed. Run regen under WSL, with the linux release.", e.What, runtime.GOOS, e.Why)
}

func itoa(n int) string { return strconv.Itoa(n) }

// containsField reports whether s has want as a whitespace-separated word.
func containsField(s, want string) bool {
	for _, f := range strings.Fields(s) {
		if f == want {
			return true
		}
	}
	return false
}
