package regen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// LockInfo is written into the lock file so that a refused run can say who
// holds it.
type LockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
}

// lock is held through flock(2) on <state>/lock: the kernel releases it when
// the process dies, so a crash never leaves a stale lock. The metadata in the
// file is only for the message.
type lock struct {
	f    *os.File
	path string
}

func acquireLock(stateDir, command string, now time.Time) (*lock, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", stateDir, err)
	}
	path := filepath.Join(stateDir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the lock file %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Holder: readLockInfo(path), Path: path}
		}
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	host, _ := os.Hostname()
	info, _ := json.Marshal(LockInfo{PID: os.Getpid(), Host: host, Started: now, Command: command})
	if err := f.Truncate(0); err == nil {
		f.WriteAt(append(info, '\n'), 0)
		f.Sync()
	}
	return &lock{f: f, path: path}, nil
}

func readLockInfo(path string) LockInfo {
	var info LockInfo
	data, err := os.ReadFile(path)
	if err == nil {
		json.Unmarshal([]byte(strings.TrimSpace(string(data))), &info)
	}
	return info
}

func (l *lock) release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
