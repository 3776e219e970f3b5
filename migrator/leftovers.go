package migrator

import (
	"fmt"
	"sort"
	"strings"
	"syscall"
	"time"
)

// LeftoverReport says what StopLeftovers found and did.
type LeftoverReport struct {
	Stopped []int    // were running, are gone now
	Unsure  []string // may belong to the run but that cannot be proven: left alone, described
}

// leftoverRounds bounds the scans: a process forked while the previous
// round signalled is found by the next.
const leftoverRounds = 3

// killWait is how long StopLeftovers waits for SIGKILL to take effect.
const killWait = 5 * time.Second

// StopLeftovers makes sure no process of a dead run is still running: the
// processes carrying marker in their environment (Linux) and the recorded
// children's groups whose leader is provably the recorded process get
// SIGTERM, then after grace SIGKILL, and are waited for. Members of a
// recorded group that cannot be proven to be the run's are not signalled
// (the number may have been reused) but reported in Unsure. The error says
// which processes are still alive after SIGKILL (another user's, say).
func StopLeftovers(marker string, recorded []Child, grace time.Duration) (LeftoverReport, error) {
	if grace <= 0 {
		grace = DefaultGrace
	}
	var rep LeftoverReport
	stopped := map[int]bool{}
	for round := 0; round < leftoverRounds; round++ {
		groups, unsureGroups := provenGroups(recorded)
		marked, inGroups, err := markedProcesses(marker, unsureGroups)
		if err != nil {
			return rep, fmt.Errorf("cannot list the running processes: %w", err)
		}
		rep.Unsure = describeUnsure(inGroups, marker)
		if len(groups) == 0 && len(marked) == 0 {
			break
		}
		for _, p := range marked {
			stopped[p] = true
		}
		for _, g := range groups {
			stopped[g] = true
		}
		if err := stopAll(groups, marked, grace); err != nil {
			return rep, err
		}
	}
	for p := range stopped {
		rep.Stopped = append(rep.Stopped, p)
	}
	sort.Ints(rep.Stopped)
	return rep, nil
}

// provenGroups splits the recorded children's groups into those whose
// leader is alive and is the recorded process (same start), which are the
// run's for certain, and the others that may still have members.
func provenGroups(recorded []Child) (proven []int, unsure map[int]bool) {
	unsure = map[int]bool{}
	seen := map[int]bool{}
	for _, c := range recorded {
		if c.PGID <= 0 || seen[c.PGID] {
			continue
		}
		seen[c.PGID] = true
		if processAlive(c.PGID) && c.Start != "" {
			if now, err := processStart(c.PGID); err == nil && now == c.Start {
				proven = append(proven, c.PGID)
				continue
			}
		}
		unsure[c.PGID] = true
	}
	return proven, unsure
}

func describeUnsure(pids []int, marker string) []string {
	var out []string
	for _, p := range pids {
		why := "its group's first process is gone, so regen cannot prove it is not another program's"
		if canScanEnvironments {
			why = "it lacks " + marker + " in its environment"
		}
		out = append(out, fmt.Sprintf("process %d is in the process group of a child of the interrupted run, but %s; regen left it alone (check it with `ps -o pid,pgid,command -p %d`)", p, why, p))
	}
	return out
}

// stopAll sends SIGTERM to the groups and the single processes, waits up to
// grace for them to go, then SIGKILL, and waits again.
func stopAll(groups, pids []int, grace time.Duration) error {
	signalAll := func(sig syscall.Signal) {
		for _, g := range groups {
			_ = signalGroup(g, sig) // ESRCH: gone already
		}
		for _, p := range pids {
			_ = signalProcess(p, sig)
		}
	}
	alive := func() []int {
		var left []int
		for _, g := range groups {
			if signalGroup(g, 0) == nil && groupHasLive(g) {
				left = append(left, g)
			}
		}
		for _, p := range pids {
			if processAlive(p) {
				left = append(left, p)
			}
		}
		return left
	}
	signalAll(syscall.SIGTERM)
	if waitUntil(func() bool { return len(alive()) == 0 }, grace) {
		return nil
	}
	signalAll(syscall.SIGKILL)
	if waitUntil(func() bool { return len(alive()) == 0 }, killWait) {
		return nil
	}
	var s []string
	for _, p := range alive() {
		s = append(s, fmt.Sprint(p))
	}
	return fmt.Errorf("process(es) %s of the run are still running after SIGKILL; stop them (kill -9 %s)", strings.Join(s, ", "), strings.Join(s, " "))
}

// groupHasLive: kill(-g, 0) also succeeds while only zombies are left.
func groupHasLive(pgid int) bool {
	_, members, err := markedProcesses("", map[int]bool{pgid: true})
	if err != nil {
		return true
	}
	return len(members) > 0
}

func waitUntil(cond func() bool, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(groupPollInterval)
	}
}
