package regen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/regen-tool/regen/migrator"
)

// LockInfo is written into the lock file so that a refused run can say who
// holds it.
type LockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
	// Unwritten: the kernel says the lock is held, but its holder had not
	// written these details yet (only PID and Host are known then).
	Unwritten bool `json:"unwritten,omitempty"`
}

// lock is held through flock(2) on <state>/lock: the kernel releases it when
// the process dies, so a crash never leaves a stale lock. The metadata in the
// file is only for the message. Only changing commands take it; read-only
// ones observe it (observeLock) and never take it, not even for an instant,
// since a changing run that met it taken would refuse to start.
type lock struct {
	f    *os.File
	path string
}

// holderWait bounds how long a refused run waits for the holder's details:
// a holder writes them right after taking the lock, and clears them right
// before releasing it, so the wait is a few microseconds in practice.
const holderWait = time.Second

func acquireLock(stateDir, command string, now time.Time) (*lock, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", stateDir, err)
	}
	path := lockPath(stateDir)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the lock file %s: %w", path, err)
	}
	deadline := time.Now().Add(holderWait)
	for {
		busy, err := tryLockFile(f, command)
		if err == nil {
			break
		}
		if !busy {
			f.Close()
			var unsupported *migrator.UnsupportedError
			if errors.As(err, &unsupported) {
				return nil, err
			}
			return nil, fmt.Errorf("cannot lock %s: %w", path, err)
		}
		// Held: refuse with the holder's details. Between its flock and its
		// write (or its clear and its unlock) they are not there yet; try
		// again, the lock may also have been released meanwhile.
		final := time.Now().After(deadline)
		holder, known := heldBy(f, path, final)
		if known || final {
			f.Close()
			return nil, &LockedError{Holder: holder, Path: path}
		}
		time.Sleep(2 * time.Millisecond)
	}
	host, _ := os.Hostname()
	info, _ := json.Marshal(LockInfo{PID: os.Getpid(), Host: host, Started: now, Command: command})
	// Overwrite, then cut: the file is never empty while the lock is held
	// by a holder that has written its details.
	info = append(info, '\n')
	if _, err := f.WriteAt(info, 0); err == nil {
		f.Truncate(int64(len(info)))
		f.Sync()
	}
	return &lock{f: f, path: path}, nil
}

func lockPath(stateDir string) string { return filepath.Join(stateDir, "lock") }

// heldBy says who holds the lock on f (which the caller could not take):
// the details the holder wrote, when the kernel agrees that this PID holds
// it (a kill -9 leaves a previous holder's details behind). known is false
// while the holder has not written them yet; the kernel's PID (Linux) is
// then given, so the caller never has nothing to say. With final (no more
// waiting), written details are given when the kernel cannot name the
// holder (one in another PID namespace shows as 0).
func heldBy(f *os.File, path string, final bool) (info LockInfo, known bool) {
	info, ok := readLockInfo(path)
	pids, kernelKnows := lockHolders(f)
	visible := 0
	for pid := range pids {
		if pid > 0 {
			visible = pid
		}
	}
	switch {
	case ok && (!kernelKnows || pids[info.PID] || final && visible == 0):
		return info, true
	case visible != 0:
		host, _ := os.Hostname()
		return LockInfo{PID: visible, Host: host, Unwritten: true}, false
	}
	return LockInfo{Unwritten: true}, false
}

func readLockInfo(path string) (LockInfo, bool) {
	var info LockInfo
	data, err := os.ReadFile(path)
	if err != nil {
		return info, false
	}
	if json.Unmarshal([]byte(strings.TrimSpace(string(data))), &info) != nil || info.PID <= 0 {
		return LockInfo{}, false
	}
	return info, true
}

// observeLock reports the live run holding the lock, without taking it. The
// kernel's lock table decides (Linux: /proc/locks, matched by the file's
// device and inode); where there is none, the details in the file and
// whether their process is alive. It waits for a holder's details as
// acquireLock does.
func observeLock(stateDir string) *LockInfo {
	path := lockPath(stateDir)
	f, err := os.Open(path)
	if err != nil {
		return nil // no lock file: no run has ever held it
	}
	// Closing this read-only descriptor cannot drop anyone's flock: flock
	// locks belong to the open file description that took them.
	defer f.Close()
	deadline := time.Now().Add(holderWait)
	for {
		pids, kernelKnows := lockHolders(f)
		if !kernelKnows {
			info, ok := readLockInfo(path)
			if ok && processAlive(info) {
				return &info
			}
			return nil
		}
		if len(pids) == 0 {
			return nil
		}
		final := time.Now().After(deadline)
		holder, known := heldBy(f, path, final)
		if known || final {
			return &holder
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// processAlive is the fallback where the kernel's lock table cannot be
// read: a holder on this host is alive if its PID is; on another host (a
// shared file system) regen cannot tell, and assumes it is.
func processAlive(info LockInfo) bool {
	host, _ := os.Hostname()
	if info.Host != host {
		return true
	}
	return pidAlive(info.PID)
}

func (l *lock) release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Truncate(0)
	unlockFile(l.f)
	l.f.Close()
	l.f = nil
}
