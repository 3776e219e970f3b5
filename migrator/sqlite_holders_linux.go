package migrator

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// platformHolders scans /proc/*/fd: a link whose name looks like one of the
// files is compared by device and inode, so a renamed or deleted path
// cannot confuse it. Every plan (`regen status` included) pays for the
// walk, over every open file of every process on the machine, so it
// reads each fd folder through one descriptor with buffers it reuses
// instead of building a path and a string per open file.
func platformHolders(files []string) ([]Holder, bool) {
	type key struct{ dev, ino uint64 }
	want := map[key]bool{}
	for _, f := range files {
		var st unix.Stat_t
		if unix.Stat(f, &st) == nil {
			want[key{uint64(st.Dev), st.Ino}] = true
		}
	}
	if len(want) == 0 {
		return nil, true // no file, no holder
	}
	base := []byte(filepath.Base(files[0]))
	proc, err := os.Open("/proc")
	if err != nil {
		return nil, false
	}
	names, err := proc.Readdirnames(-1)
	proc.Close()
	if err != nil {
		return nil, false
	}
	self := os.Getpid()
	dirents := make([]byte, 8<<10)
	link := make([]byte, unix.PathMax+1)
	var out []Holder
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid == self {
			continue
		}
		fdDir := "/proc/" + name + "/fd"
		dfd, err := unix.Open(fdDir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // gone, or another user's
		}
		held := false
		for !held {
			n, err := unix.ReadDirent(dfd, dirents)
			if err != nil || n <= 0 {
				break
			}
			var fds []string
			_, _, fds = unix.ParseDirent(dirents[:n], -1, fds)
			for _, fd := range fds {
				l, err := unix.Readlinkat(dfd, fd, link)
				if err != nil {
					continue
				}
				target := link[:l]
				if l == len(link) { // longer than PATH_MAX: read it whole
					s, err := os.Readlink(fdDir + "/" + fd)
					if err != nil {
						continue
					}
					target = []byte(s)
				}
				if !bytes.HasPrefix(target[bytes.LastIndexByte(target, '/')+1:], base) {
					continue
				}
				var st unix.Stat_t
				if unix.Fstatat(dfd, fd, &st, 0) != nil || !want[key{uint64(st.Dev), st.Ino}] {
					continue
				}
				held = true
				break
			}
		}
		unix.Close(dfd)
		if held {
			out = append(out, Holder{PID: pid, Command: procCommand(name)})
		}
	}
	return out, true
}

// procCommand is a process's command line, or its name when it has none
// (a kernel thread, a zombie).
func procCommand(pid string) string {
	cmd, _ := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
	c := commandLine(cmd)
	if c == "" {
		comm, _ := os.ReadFile(filepath.Join("/proc", pid, "comm"))
		c = strings.TrimSpace(string(comm))
	}
	return c
}
