package migrator

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunRecordsTheChild(t *testing.T) {
	var r Runner
	var got Child
	cmd := childCommand("exit", "CHILD_CODE=0")
	cmd.Started = func(c Child) error { got = c; return nil }
	if _, err := r.Run(context.Background(), cmd); err != nil {
		t.Fatal(err)
	}
	if got.PID <= 0 || got.PGID != got.PID {
		t.Fatalf("recorded %+v: want its own group", got)
	}
	if got.Start == "" {
		t.Errorf("no start time recorded: %+v", got)
	}
	if !strings.Contains(got.Command, "-test.run") {
		t.Errorf("command = %q", got.Command)
	}
}

// A child that cannot be recorded could outlive a crash unseen: it is
// stopped at once, and Run says why.
func TestRunStopsAChildItCannotRecord(t *testing.T) {
	var r Runner
	var pid int
	cmd := childCommand("sleep")
	cmd.Started = func(c Child) error { pid = c.PID; return errors.New("disk full") }
	start := time.Now()
	res, err := r.Run(context.Background(), cmd)
	if err == nil || !strings.Contains(err.Error(), "disk full") || !res.Interrupted {
		t.Fatalf("res %+v err %v", res, err)
	}
	if processAlive(pid) {
		t.Fatalf("child %d still running", pid)
	}
	if time.Since(start) > 30*time.Second {
		t.Fatalf("the child slept its minute")
	}
}

// Pdeathsig: a SIGKILL of the process that ran the child (regen) takes the
// child with it.
func TestChildDiesWithItsParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Pdeathsig is Linux's; elsewhere the journal's record is what stops it")
	}
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), childEnv+"=runner")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	var child int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "child=%d", &child); err == nil {
			break
		}
	}
	if child == 0 {
		t.Fatal("the runner never started its child")
	}
	parent.Process.Signal(syscall.SIGKILL)
	parent.Wait()
	if !waitUntil(func() bool { return !processAlive(child) }, 10*time.Second) {
		syscall.Kill(child, syscall.SIGKILL)
		t.Fatalf("child %d outlived its parent", child)
	}
}

// startOrphan starts a sleeping process in its own group with env, as a
// child of a dead regen would be, and returns its record.
func startOrphan(t *testing.T, env ...string) Child {
	t.Helper()
	c := exec.Command(os.Args[0], "-test.run=^$")
	c.Env = append(append(os.Environ(), childEnv+"=sleep"), env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go c.Wait() // reap it, as init would
	t.Cleanup(func() { c.Process.Kill() })
	pid := c.Process.Pid
	var start string
	waitUntil(func() bool { start, _ = processStart(pid); return start != "" }, 5*time.Second)
	return Child{PID: pid, PGID: pid, Start: start}
}

func TestStopLeftoversStopsTheRunsProcesses(t *testing.T) {
	marker := fmt.Sprintf("REGEN_RUN_ID=test-%d", time.Now().UnixNano())
	recorded := startOrphan(t) // no marker: found by its recorded group
	var unrecorded Child
	if canScanEnvironments {
		unrecorded = startOrphan(t, marker) // not in the journal: found by its marker
	}
	rep, err := StopLeftovers(marker, []Child{recorded}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Child{recorded, unrecorded} {
		if c.PID == 0 {
			continue
		}
		if !waitUntil(func() bool { return !processAlive(c.PID) }, 5*time.Second) {
			t.Errorf("process %d is still running", c.PID)
		}
		found := false
		for _, p := range rep.Stopped {
			found = found || p == c.PID
		}
		if !found {
			t.Errorf("report %+v does not name %d", rep, c.PID)
		}
	}
}

// A recorded number now used by another process (another start time, no
// marker) is never signalled.
func TestStopLeftoversSparesAReusedNumber(t *testing.T) {
	stranger := startOrphan(t)
	reused := stranger
	reused.Start = "another-boot/1"
	rep, err := StopLeftovers("REGEN_RUN_ID=nobody", []Child{reused}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !processAlive(stranger.PID) {
		t.Fatal("an unrelated process was stopped")
	}
	if len(rep.Stopped) != 0 || len(rep.Unsure) != 1 || !strings.Contains(rep.Unsure[0], fmt.Sprint(stranger.PID)) {
		t.Fatalf("report %+v", rep)
	}
}
