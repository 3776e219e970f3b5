package migrator

import (
	"os/exec"
	"runtime"
)

// Child identifies a started child process, well enough for a later regen
// (after a crash of this one) to find its process group and to tell it from
// an unrelated process that got the same number since.
type Child struct {
	PID  int `json:"pid"`
	PGID int `json:"pgid"` // its own group: Setpgid, so PGID == PID
	// Start is the process's start time as the platform states it (Linux:
	// boot id and start tick from /proc; elsewhere ps's lstart): the same
	// pid with another start is another process.
	Start string `json:"start,omitempty"`
	// Marker is the KEY=VALUE the child (and everything it spawns) carries
	// in its environment, e.g. REGEN_RUN_ID=<run>.
	Marker  string `json:"marker,omitempty"`
	Command string `json:"command,omitempty"`
}

// startLocked starts c from a goroutine locked to its OS thread for the
// child's whole life and waits for it there. Pdeathsig (Linux) fires when
// the thread that forked exits, not the process: a thread Go retired while
// the child ran would kill mix mid-migration. A locked thread is never
// retired while its goroutine runs, and this goroutine runs until the child
// has exited.
//
// It returns the child's identity, a channel closed once Wait returned, and
// where Wait's error is stored (read it only after done is closed).
func startLocked(c *exec.Cmd) (Child, <-chan struct{}, *error, error) {
	type started struct {
		child Child
		err   error
	}
	ready := make(chan started, 1)
	done := make(chan struct{})
	waitErr := new(error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := c.Start(); err != nil {
			ready <- started{err: err}
			return
		}
		pid := c.Process.Pid
		// Read before Wait: until it is reaped the process (or its zombie)
		// is still there to be read.
		start, _ := processStart(pid)
		ready <- started{child: Child{PID: pid, PGID: pid, Start: start}}
		*waitErr = c.Wait()
		close(done)
	}()
	s := <-ready
	if s.err != nil {
		return Child{}, nil, nil, s.err
	}
	return s.child, done, waitErr, nil
}
