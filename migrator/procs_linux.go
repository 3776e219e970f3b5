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
	state  byte
	pgrp   int
	start  string
	zombie bool
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
	// f[0] is field 3 (state), f[2] field 5 (pgrp), f[19] field 22 (starttime).
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	pgrp, _ := strconv.Atoi(f[2])
	return procStat{state: f[0][0], pgrp: pgrp, start: f[19], zombie: f[0][0] == 'Z' || f[0][0] == 'X'}, nil
}

// processAlive: a zombie has finished; only its parent's wait is missing.
func processAlive(pid int) bool {
	st, err := readStat(pid)
	return err == nil && !st.zombie
}

// markedProcesses lists the live processes (other than this one) whose
// environment holds marker exactly, and those in any of groups: everything
// a dead run's children spawned inherits the marker, even a grandchild that
// left the group. Processes of other users cannot be read and are not ours.
func markedProcesses(marker string, groups map[int]bool) (marked, inGroups []int, err error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, nil, err
	}
	self := os.Getpid()
	want := []byte(marker)
	for _, en := range entries {
		pid, err := strconv.Atoi(en.Name())
		if err != nil || pid == self {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.zombie {
			continue
		}
		if marker != "" {
			if env, err := os.ReadFile("/proc/" + en.Name() + "/environ"); err == nil && hasEnvEntry(env, want) {
				marked = append(marked, pid)
				continue
			}
		}
		if groups[st.pgrp] {
			inGroups = append(inGroups, pid)
		}
	}
	return marked, inGroups, nil
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
