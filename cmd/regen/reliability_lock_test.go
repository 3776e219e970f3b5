package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/regen-tool/regen/regen"
)

// Issue 10 case 8: read-only commands (status, status --json, a dry run,
// check without --roundtrip, and check --staged as the pre-commit hook runs
// it) run in tight loops, in parallel, while real
// runs and undos follow one another: no changing run is refused (exit 3),
// and no read-only command fails.
func TestReliabilityReadOnlyCommandsNeverMakeARunFail(t *testing.T) {
	p := feature(t)
	readOnly := [][]string{{"status"}, {"status", "--json"}, {"add_subtitle_and_views", "--dry-run"}, {"check", "--codegen", "never"}, {"check", "--staged", "--codegen", "never"}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	var bad []string
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for n := i; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				args := readOnly[n%len(readOnly)]
				out, err := p.RegenCmd(args...).CombinedOutput()
				code := exitCode(err)
				mu.Lock()
				counts[args[0]+" "+strings.Join(args[1:], " ")]++
				// A dry run during a live run is refused (3) by looking;
				// the check may find the run's files half-way (1).
				ok := code == 0 || code == 3 && args[1] == "--dry-run" || code == 1 && args[0] == "check"
				if !ok {
					bad = append(bad, fmt.Sprintf("regen %v: exit %d\n%s", args, code, out))
				}
				mu.Unlock()
			}
		}(i)
	}
	const runs = 10
	for i := 0; i < runs; i++ {
		args := []string{"add_subtitle_and_views", "-m"}
		if i%2 == 1 {
			args = []string{"undo"}
		}
		out, code := p.Regen(args...)
		if code != 0 {
			close(stop)
			wg.Wait()
			t.Fatalf("run %d, regen %v: exit %d while only read-only commands ran beside it:\n%s", i, args, code, out)
		}
	}
	close(stop)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d read-only commands failed; the first:\n%s", len(bad), bad[0])
	}
	t.Logf("%d changing runs, read-only commands beside them: %v", runs, counts)
}

// A changing command that meets a live run is refused with exit 3 and the
// holder's PID, host and start time (every changing command: a run, undo,
// recover); status and a dry run say the same by looking.
func TestReliabilityConcurrentChangingRunRefusedWithHolderDetails(t *testing.T) {
	p := feature(t)
	cmd, _, _ := startSleeping(t, p, "add_subtitle_and_views", "-m")
	defer func() { cmd.Process.Signal(syscall.SIGINT); cmd.Wait() }()
	var info regen.LockInfo
	data, _ := os.ReadFile(filepath.Join(p.Root, ".git", "regen", "lock"))
	if err := json.Unmarshal(data, &info); err != nil || info.PID != cmd.Process.Pid {
		t.Fatalf("lock file %q: %v", data, err)
	}
	host, _ := os.Hostname()
	want := []string{fmt.Sprintf("pid %d", cmd.Process.Pid), "on " + host, "started " + info.Started.Local().Format("15:04:05"), "regen add_subtitle_and_views -m"}
	for _, args := range [][]string{{"another_name", "-m"}, {"undo"}, {"recover"}, {"another_name", "--dry-run"}} {
		got, code := p.Regen(args...)
		if code != 3 {
			t.Errorf("regen %v: exit %d, want 3\n%s", args, code, got)
			continue
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("regen %v: the message lacks %q:\n%s", args, w, got)
			}
		}
	}
	c := p.RegenCmd("status")
	var stdout strings.Builder
	c.Stdout = &stdout
	if err := c.Run(); err != nil {
		t.Fatalf("status: %v", err)
	}
	if !strings.Contains(stdout.String(), fmt.Sprintf("A REGEN RUN IS IN PROGRESS (pid %d on %s, since %s", cmd.Process.Pid, host, info.Started.Local().Format("15:04:05"))) {
		t.Fatalf("status should report the live run on stdout:\n%s", stdout.String())
	}
}
