package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// The one-VM driver (issue 15) under the guarantees of the separate
// starts: the driver's VM killed with -9 in the middle of each step's
// task, and a task over --timeout, are failures of that step, compensated
// to the exact state before the run; no process of the run is left.

func TestReliabilityOneVMKill9OfTheDriverVMAtEveryStep(t *testing.T) {
	for _, kind := range regentest.Kinds {
		for _, task := range childSteps() {
			t.Run(kind+"/"+task, func(t *testing.T) {
				p := featureOf(t, kind)
				before := p.Capture()
				log := filepath.Join(t.TempDir(), "mix.log")
				run := startAsleep(t, p, task, 60, []string{"MIXSIM_LOG=" + log}, nil, "add_subtitle_and_views", "-m", "--rollback", "down")
				syscall.Kill(run.child, syscall.SIGKILL)
				code := exitCode(run.cmd.Wait())
				out := run.out.String()
				if code != 1 || !strings.Contains(out, "Everything was restored") || !strings.Contains(out, "was ended by SIGKILL") {
					t.Fatalf("exit %d, want 1 with the VM's end named and everything restored:\n%s", code, out)
				}
				mustSame(t, before, p.Capture())
				starts, _ := os.ReadFile(log)
				if n := strings.Count(string(starts), "driver.exs"); n != 1 {
					t.Fatalf("%d driver starts, want 1 (the killed one):\n%s", n, starts)
				}
				if out, code := p.Regen("add_subtitle_and_views", "-m", "--rollback", "down"); code != 0 {
					t.Fatalf("the next run: exit %d\n%s", code, out)
				}
			})
		}
	}
}

func TestReliabilityOneVMTimeoutStopsTheDriverAndRestores(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			p := featureOf(t, kind)
			before := p.Capture()
			run := startAsleep(t, p, "ash.codegen", 60, nil, nil, "add_subtitle_and_views", "-m", "--rollback", "down", "--timeout", "2s")
			code := exitCode(run.cmd.Wait())
			out := run.out.String()
			if code != 1 || !strings.Contains(out, "did not finish within 2s and was stopped") || !strings.Contains(out, "Everything was restored") {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			if alive(run.child) {
				t.Fatalf("the driver VM %d is still running", run.child)
			}
			mustSame(t, before, p.Capture())
		})
	}
}

// The driver's VM carries the run's marker and is in the journal from the
// backup on, though it started before the journal (for the config query):
// after a kill -9 of regen, the next regen finds it by its record.
func TestReliabilityOneVMDriverIsInTheJournalFromTheStart(t *testing.T) {
	p := feature(t)
	run := startAsleep(t, p, "ecto.rollback", 60, nil, nil, "add_subtitle_and_views", "-m", "--rollback", "down")
	data, err := os.ReadFile(filepath.Join(p.Root, ".git", "regen", "journal.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), fmt.Sprintf(`"pid":%d,`, run.child)) || !strings.Contains(string(data), "REGEN_RUN_ID=") {
		t.Fatalf("the journal does not record the driver %d with its marker:\n%s", run.child, data)
	}
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", run.child))
	if !strings.Contains(string(env), "REGEN_RUN_ID=") {
		t.Fatal("the driver's VM does not carry the run's marker")
	}
	run.cmd.Process.Kill()
	run.cmd.Wait()
	mustBeGone(t, run.child, "the driver VM of a killed regen")
}

// The driver's VM does not outlive a kill -9 of regen even where the
// kernel's death signal does not reach it (a wrapper that escapes it, as
// on macOS): its socket closes and it halts mid-task, before the task
// could write; nothing is left for the next regen to stop.
func TestReliabilityOneVMDriverEndsWithRegenEvenAsAnOrphan(t *testing.T) {
	p := feature(t)
	p.Env = append(p.Env, "REGEN_ONE_VM=1", "REGEN_MIX="+orphanMix(t), "MIXSIM_REAL="+regentest.Mixsim(t))
	run := startAsleep(t, p, "ash.codegen", 60, nil, nil, "add_subtitle_and_views", "-m")
	run.cmd.Process.Signal(syscall.SIGKILL)
	run.cmd.Wait()
	mustBeGone(t, run.child, "the driver VM of a regen killed with -9")
	got, code := p.Regen("recover")
	if code != 0 || !strings.Contains(got, "reversed") || strings.Contains(got, "stopped what was still running") {
		t.Fatalf("recover: exit %d (want 0, nothing left to stop)\n%s", code, got)
	}
}
