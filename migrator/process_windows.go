package migrator

import (
	"os/exec"
	"syscall"
)

// Windows has no process groups to signal as one, no SIGINT/SIGTERM to
// forward to a child and no Pdeathsig: Run refuses to start a child rather
// than start one it could not stop cleanly (a half-migrated database).

func childrenSupported(command string) error {
	return &UnsupportedError{What: "running " + command + " from regen", Why: "regen stops mix and everything it started as one process group, forwarding Ctrl-C to it, and Windows has no process groups or signals to do that with"}
}

func signalGroup(int, syscall.Signal) error {
	return &UnsupportedError{What: "signalling a process group", Why: "Windows has no process groups"}
}

func signalProcess(int, syscall.Signal) error {
	return &UnsupportedError{What: "signalling a process", Why: "Windows has no signals"}
}

func childProcAttr() *syscall.SysProcAttr { return nil }

func unixSignalName(syscall.Signal) (string, bool) { return "", false }

// processStart: no start time is read here; a recorded child's identity is
// then unproven, and regen leaves it alone (and says so).
func processStart(int) (string, error) {
	return "", &UnsupportedError{What: "reading a process's start time", Why: "regen reads it from /proc or ps"}
}

func processAlive(pid int) bool {
	// tasklist is the Windows ps; no shell is involved.
	out, err := exec.Command("tasklist", "/FI", "PID eq "+itoa(pid), "/NH").Output()
	return err == nil && containsField(string(out), itoa(pid))
}

func markedProcesses(string, map[int]bool) (marked, inGroups []int, err error) {
	return nil, nil, &UnsupportedError{What: "finding a run's leftover processes", Why: "Windows has no process groups"}
}

const canScanEnvironments = false

func findStragglers(string, []Child, []Child) ([]Straggler, error) { return nil, nil }
