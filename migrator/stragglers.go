package migrator

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// A Straggler is a process of a run that is still running when it should
// not be: after the run's last task, or when a failed run is about to be
// restored. A task's port program is one (the BEAM's erl_child_setup starts
// each in a session of its own, so signalling the VM's group misses it), as
// is a `cmd &` or a grandchild that outlived a killed VM. Left running, it
// could change the files or a database after regen checked or restored them.
type Straggler struct {
	PID     int
	Command string
}

func (s Straggler) String() string { return fmt.Sprintf("%d (%s)", s.PID, s.Command) }

// FindStragglers lists the processes that carry marker in their
// environment (everything a run's child spawns inherits it) and the
// descendants of the live children in roots (whatever their environment),
// apart from the live children in spare with everything below them (a
// driver VM that is still halting: its port programs, inet_gethost for
// one, end with it) and daemons (epmd, an agent), which serve more than
// the run. Where processes cannot be listed with their environment (not
// Linux) it finds none.
func FindStragglers(marker string, roots, spare []Child) ([]Straggler, error) {
	if !canScanEnvironments {
		return nil, nil
	}
	found, err := findStragglers(marker, roots, spare)
	if err != nil || len(found) == 0 {
		return found, err
	}
	// A process on its way out is not a straggler: a separate start's
	// erl_child_setup ends a moment after its BEAM, on the closed pipe.
	waitUntil(func() bool {
		found, err = findStragglers(marker, roots, spare)
		return err != nil || len(found) == 0
	}, settleTime)
	return found, err
}

// settleTime is how long FindStragglers lets what it found end by itself.
const settleTime = 300 * time.Millisecond

// Parent is this process's parent as a Child: under mix regen, the
// erl_child_setup of the VM that started regen, whose other children are
// that VM's port programs (to spare: they live as long as that VM).
func Parent() Child {
	pid := os.Getppid()
	start, _ := processStart(pid)
	return Child{PID: pid, Start: start}
}

// StopStragglers stops them as StopLeftovers does (SIGTERM, grace,
// SIGKILL, waiting for each); the error names those still running.
func StopStragglers(ps []Straggler, grace time.Duration) error {
	if len(ps) == 0 {
		return nil
	}
	if grace <= 0 {
		grace = DefaultGrace
	}
	pids := make([]int, len(ps))
	for i, p := range ps {
		pids[i] = p.PID
	}
	return stopAll(nil, pids, grace)
}

// DescribeStragglers names them in one line: "1234 (sleep 60), 1240 (…)".
func DescribeStragglers(ps []Straggler) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
