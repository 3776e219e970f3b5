package migrator

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// platformHolders scans /proc/*/fd: a link whose name looks like one of the
// files is compared by device and inode, so a renamed or deleted path
// cannot confuse it.
func platformHolders(files []string) ([]Holder, bool) {
	type key struct{ dev, ino uint64 }
	want := map[key]bool{}
	for _, f := range files {
		var st syscall.Stat_t
		if syscall.Stat(f, &st) == nil {
			want[key{uint64(st.Dev), st.Ino}] = true
		}
	}
	if len(want) == 0 {
		return nil, true // no file, no holder
	}
	base := filepath.Base(files[0])
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, false
	}
	self := os.Getpid()
	var out []Holder
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == self {
			continue
		}
		fdDir := filepath.Join("/proc", p.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue // gone, or another user's
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil || !strings.HasPrefix(filepath.Base(link), base) {
				continue
			}
			var st syscall.Stat_t
			if syscall.Stat(filepath.Join(fdDir, fd.Name()), &st) != nil || !want[key{uint64(st.Dev), st.Ino}] {
				continue
			}
			cmd, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
			c := commandLine(cmd)
			if c == "" {
				comm, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
				c = strings.TrimSpace(string(comm))
			}
			out = append(out, Holder{PID: pid, Command: c})
			break
		}
	}
	return out, true
}
