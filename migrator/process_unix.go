//go:build !windows

package migrator

import "syscall"

// signalGroup sends sig to every process of the group (0: only checks).
func signalGroup(pgid int, sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }

func signalProcess(pid int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }

// childrenSupported: process groups and signals are there.
func childrenSupported(string) error { return nil }

// unixSignalName names the signals Windows does not define.
func unixSignalName(s syscall.Signal) (string, bool) {
	switch s {
	case syscall.SIGUSR1:
		return "SIGUSR1", true
	case syscall.SIGUSR2:
		return "SIGUSR2", true
	case syscall.SIGSYS:
		return "SIGSYS", true
	}
	return "", false
}
