package migrator

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// childProcAttr: its own process group (see Run), and SIGKILL when regen
// dies, however it dies: a kill -9 of regen must not leave mix running on.
// Go's fork checks the parent is still there after setting it, so a regen
// killed during the fork is covered too.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// processStart is "<boot id>/<start tick>": unique per process for the
// machine's uptime, and never equal across a reboot.
func processStart(pid int) (string, error) {
	st, err := readStat(pid)
	if err != nil {
		return "", err
	}
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(boot)) + "/" + st.start, nil
}

type procStat struct {
	state   byte
	ppid    int
	pgrp    int
	session int
	start   string
	zombie  bool
}

// readStat parses /proc/<pid>/stat; the command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
func readStat(pid int) (procStat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state), f[1] field 4 (ppid), f[2] field 5 (pgrp),
	// f[3] field 6 (session), f[19] field 22 (starttime).
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ppid, _ := strconv.Atoi(f[1])
	pgrp, _ := strconv.Atoi(f[2])
	session, _ := strconv.Atoi(f[3])
	return procStat{state: f[0][0], ppid: ppid, pgrp: pgrp, session: session, start: f[19], zombie: f[0][0] == 'Z' || f[0][0] == 'X'}, nil
}

// processAlive: a zombie has finished; only its parent's wait is missing.
func processAlive(pid int) bool {
	st, err := readStat(pid)
	return err == nil && !st.zombie
}

// markedProcesses lists the live processes (other than this one) whose
// environment holds marker exactly, and those in any of groups: everything
// a dead run's children spawned inherits the marker, even a grandchild that
// left the group. Processes of other users cannot be read and are not ours;
// daemons (isDaemon) serve more than the run and are left out.
func markedProcesses(marker string, groups map[int]bool) (marked, inGroups []int, err error) {
	procs, err := listProcesses()
	if err != nil {
		return nil, nil, err
	}
	session := ownSession()
	for _, p := range procs {
		switch {
		case marker != "" && hasMarker(p.pid, marker):
			if !isDaemon(p, session) {
				marked = append(marked, p.pid)
			}
		case groups[p.pgrp]:
			inGroups = append(inGroups, p.pid)
		}
	}
	return marked, inGroups, nil
}

type procInfo struct {
	pid int
	procStat
}

// listProcesses reads every live process's stat but this one's; a process
// that ends meanwhile is left out.
func listProcesses() ([]procInfo, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var out []procInfo
	for _, en := range entries {
		pid, err := strconv.Atoi(en.Name())
		if err != nil || pid == self {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.zombie {
			continue
		}
		out = append(out, procInfo{pid, st})
	}
	return out, nil
}

// ownSession is this process's session (-1 when unreadable: then no
// process shares it, and a daemon is told by its folder alone).
func ownSession() int {
	if st, err := readStat(os.Getpid()); err == nil {
		return st.session
	}
	return -1
}

func hasMarker(pid int, marker string) bool {
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	return err == nil && hasEnvEntry(env, []byte(marker))
}

// isDaemon: a process that detached as a service does, in a session that
// is not regen's and working from the root folder (epmd, which a task's
// node start launches, double-forked; an ssh or gpg agent). It outlives
// the run by design and holds nothing of the project. (A task's program
// started with cd: "/" looks the same, and is spared too.)
func isDaemon(p procInfo, selfSession int) bool {
	if p.session == selfSession {
		return false
	}
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(p.pid) + "/cwd")
	return err == nil && cwd == "/"
}

// findStragglers: see FindStragglers. Only processes started since this
// one are read for the marker: a run's processes are younger than regen.
func findStragglers(marker string, roots, spare []Child) ([]Straggler, error) {
	procs, err := listProcesses()
	if err != nil {
		return nil, err
	}
	var since uint64
	session := -1
	if st, err := readStat(os.Getpid()); err == nil {
		since, _ = strconv.ParseUint(st.start, 10, 64)
		session = st.session
	}
	kids := map[int][]int{}
	for _, p := range procs {
		kids[p.ppid] = append(kids[p.ppid], p.pid)
	}
	// subtree marks the live, proven processes of cs and all below them.
	subtree := func(cs []Child, self bool) map[int]bool {
		in := map[int]bool{}
		var walk func(pid int)
		walk = func(pid int) {
			for _, k := range kids[pid] {
				if !in[k] {
					in[k] = true
					walk(k)
				}
			}
		}
		for _, c := range cs {
			if now, err := processStart(c.PID); err == nil && c.Start != "" && now == c.Start {
				in[c.PID] = self
				walk(c.PID)
			}
		}
		return in
	}
	below, spared := subtree(roots, false), subtree(spare, true)
	var out []Straggler
	for _, p := range procs {
		if spared[p.pid] {
			continue
		}
		if !below[p.pid] {
			start, _ := strconv.ParseUint(p.start, 10, 64)
			if marker == "" || start < since || !hasMarker(p.pid, marker) {
				continue
			}
		}
		if isDaemon(p, session) {
			continue
		}
		out = append(out, Straggler{PID: p.pid, Command: procCommand(strconv.Itoa(p.pid))})
	}
	return out, nil
}

func hasEnvEntry(environ, entry []byte) bool {
	for _, e := range bytes.Split(environ, []byte{0}) {
		if bytes.Equal(e, entry) {
			return true
		}
	}
	return false
}

// canScanEnvironments: /proc tells which processes carry the marker.
const canScanEnvironments = true
