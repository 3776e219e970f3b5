package migrator

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Holder is another process that has a database file (or its -wal, -shm or
// -journal) open: a dev server, an iex session, a DB browser.
type Holder struct {
	PID     int    `json:"pid"`
	Command string `json:"command"`
}

func (h Holder) String() string { return fmt.Sprintf("pid %d (%s)", h.PID, h.Command) }

// SQLiteHolders lists the other processes that have dbPath or one of its
// sidecar files open, this process excluded. known is false where the
// platform offers no way to tell; processes the user may not inspect (other
// users') are not seen.
func SQLiteHolders(dbPath string) (holders []Holder, known bool) {
	holders, known = platformHolders(holderFiles(dbPath))
	sort.Slice(holders, func(i, j int) bool { return holders[i].PID < holders[j].PID })
	return holders, known
}

// holderFiles are the files a connection to dbPath keeps open.
func holderFiles(dbPath string) []string {
	p := dbPath
	if resolved, err := filepath.EvalSymlinks(dbPath); err == nil {
		p = resolved
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	out := []string{p}
	for _, s := range sqliteSidecars() {
		out = append(out, p+s)
	}
	return out
}

// commandLine renders a NUL-separated argv (/proc/PID/cmdline) for a
// message, shortened.
func commandLine(raw []byte) string {
	s := strings.TrimSpace(strings.ReplaceAll(strings.TrimRight(string(raw), "\x00"), "\x00", " "))
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
