//go:build !linux && !windows

package migrator

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// childProcAttr: its own process group (see Run). Without Pdeathsig, the
// journal's record of the group is what stops a child that outlived regen.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// processStart asks ps for the start time (lstart: to the second, in
// every BSD and procps ps); the command is never run through a shell.
func processStart(pid int) (string, error) {
	out, err := exec.Command("ps", "-o", "lstart=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func processAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	out, err := exec.Command("ps", "-o", "stat=", "-p", strconv.Itoa(pid)).Output()
	return err != nil || !strings.HasPrefix(strings.TrimSpace(string(out)), "Z")
}

// markedProcesses: without /proc, environments are not read; the members of
// the recorded groups are found with ps.
func markedProcesses(marker string, groups map[int]bool) (marked, inGroups []int, err error) {
	out, err := exec.Command("ps", "-A", "-o", "pid=,pgid=").Output()
	if err != nil {
		return nil, nil, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		pid, _ := strconv.Atoi(f[0])
		pgid, _ := strconv.Atoi(f[1])
		if groups[pgid] && processAlive(pid) {
			inGroups = append(inGroups, pid)
		}
	}
	return nil, inGroups, nil
}

const canScanEnvironments = false

func findStragglers(string, []Child, []Child) ([]Straggler, error) { return nil, nil }
