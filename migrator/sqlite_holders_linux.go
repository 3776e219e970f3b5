package migrator

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// platformHolders first asks the kernel whether any process has one of the
// files open (openNowhere); only when one may, it scans /proc/*/fd: a link whose name looks like one of the
// files is compared by device and inode, so a renamed or deleted path
// cannot confuse it. Every plan (`regen status` included) pays for the
// walk, over every open file of every process on the machine, so it
// reads each fd folder through one descriptor with buffers it reuses
// instead of building a path and a string per open file.
func platformHolders(files []string) ([]Holder, bool) {
	want := map[fileKey]bool{}
	unopened := true
	for _, f := range files {
		var st unix.Stat_t
		if unix.Stat(f, &st) == nil {
			k := fileKey{uint64(st.Dev), st.Ino}
			want[k] = true
			unopened = unopened && openNowhere(f, k)
		}
	}
	if len(want) == 0 || unopened {
		return nil, true // no file, or no process has one open: no holder
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
	read:
		for !held {
			n, err := unix.ReadDirent(dfd, dirents)
			if err != nil || n <= 0 {
				break
			}
			var fds []string
			_, _, fds = unix.ParseDirent(dirents[:n], -1, fds)
			for _, fd := range fds {
				l, err := unix.Readlinkat(dfd, fd, link)
				if errors.Is(err, unix.EACCES) {
					break read // not ours to inspect (ptrace rules): nor are its other fds
				}
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
				if unix.Fstatat(dfd, fd, &st, 0) != nil || !want[fileKey{uint64(st.Dev), st.Ino}] {
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

type fileKey struct{ dev, ino uint64 }

// openNowhere tells that no process, this one included, has the file at
// path open: the kernel grants a write lease (fcntl(2) F_SETLEASE) only
// then, counting every open file description of the inode, a mapping's
// too. That is the usual case (no dev server, no iex) and costs a few
// system calls instead of the walk over every open file of the machine.
// false when it cannot tell (another user's file, a file system without
// leases, leases disabled, a symlink or another file now at path): the walk
// answers. The lease is released at once: a process opening the file
// meanwhile waits for that release (its open is the lease break), never
// longer than the kernel's lease-break-time when this process is stopped
// in between; killed, the kernel releases it with the descriptor.
func openNowhere(path string, want fileKey) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || (fileKey{uint64(st.Dev), st.Ino}) != want {
		return false
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_WRLCK); err != nil {
		return false
	}
	unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_UNLCK)
	return true
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
