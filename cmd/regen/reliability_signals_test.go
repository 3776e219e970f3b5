package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen/regentest"
)

// The signals that stop a process, with the exit code regen owes each
// (128 + the number, as shells report it) and the name its message uses.
var terminatingSignals = []struct {
	sig  syscall.Signal
	code int
	name string
}{
	{syscall.SIGINT, 130, "SIGINT (Ctrl-C)"},
	{syscall.SIGTERM, 143, "SIGTERM"},
	{syscall.SIGHUP, 129, "SIGHUP"},
	{syscall.SIGQUIT, 131, "SIGQUIT"},
	// Rarely sent by hand (`kill -ABRT`, `timeout -s`), fatal to Go by default.
	{syscall.SIGABRT, 134, "SIGABRT"},
	{syscall.SIGSYS, 159, "SIGSYS"},
}

// childSteps are the tasks a run starts a child for, per kind; each is
// put to sleep in turn (inside the one `mix do` with REGEN_ONE_VM=1).
func childSteps() []string {
	// Both presets roll back with ecto.rollback -r {repo}.
	return []string{"ecto.rollback", "ash.codegen", "ash.migrate"}
}

// sleepingRun is a regen run whose child sleeps in one task, started and
// waited for until that child is asleep.
type sleepingRun struct {
	cmd   *exec.Cmd
	out   *lockedBuffer
	child int // the sleeping stand-in's pid
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startAsleep starts `regen args...` with task sleeping secs; out, when
// not nil, is where regen's output goes (else a buffer).
func startAsleep(t *testing.T, p *regentest.Project, task string, secs float64, env []string, out io.Writer, args ...string) *sleepingRun {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := p.RegenCmd(args...)
	cmd.Env = append(append(cmd.Env, env...), fmt.Sprintf("MIXSIM_SLEEP=%s:%g", task, secs), "MIXSIM_READY_FILE="+ready)
	run := &sleepingRun{cmd: cmd, out: &lockedBuffer{}}
	if out == nil {
		out = run.out
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(30 * time.Second)
	for !fileHas(ready) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never started:\n%s", task, run.out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	data, _ := os.ReadFile(ready)
	run.child, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	if run.child <= 0 {
		t.Fatalf("ready file %q", data)
	}
	t.Cleanup(func() { syscall.Kill(run.child, syscall.SIGKILL) })
	return run
}

// alive: signal 0 reaches the process and it is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !os.IsNotExist(err)
	}
	i := bytes.LastIndexByte(data, ')')
	return i < 0 || i+2 >= len(data) || (data[i+2] != 'Z' && data[i+2] != 'X')
}

// mustBeGone fails unless pid is gone within a few seconds (the kernel
// delivers a death signal, init reaps the orphan).
func mustBeGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) is still running", what, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mustLeaveNothingRunning fails if a process the run's tasks started
// (anything carrying entry) is still running once regen has ended: it
// could change the files or the database after regen restored or checked
// them. A task's port program leads a session of its own, outside the
// VM's group.
func mustLeaveNothingRunning(t *testing.T, entry, after string) {
	t.Helper()
	if pids := regentest.Carriers(entry); len(pids) > 0 {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Fatalf("process(es) %v of the run were still running after %s", pids, after)
	}
}

// Every terminating signal at every step that runs a child (rollback,
// codegen, migrate; with REGEN_ONE_VM=1 the one mix start), SQLite and
// PostgreSQL: exit 128+signal, the signal named as users know it,
// everything restored, the child gone.
func TestReliabilityEveryTerminatingSignalAtEveryChildStep(t *testing.T) {
	for _, kind := range regentest.Kinds {
		for _, mode := range []string{"0", "1"} {
			for _, task := range childSteps() {
				for _, s := range terminatingSignals {
					rare := s.sig == syscall.SIGABRT || s.sig == syscall.SIGSYS
					if rare && (mode == "1" || task != "ash.codegen") {
						continue // the same path as SIGHUP and SIGQUIT: one step is enough
					}
					if mode == "1" && task != "ash.codegen" && s.sig != syscall.SIGINT && s.sig != syscall.SIGTERM {
						// One VM (the driver) serves every step: which step the
						// signal lands in is covered by INT and TERM.
						continue
					}
					t.Run(fmt.Sprintf("%s/one_vm=%s/%s/%s", kind, mode, task, strings.Fields(s.name)[0]), func(t *testing.T) {
						p := featureOf(t, kind)
						before := p.Capture()
						run := startAsleep(t, p, task, 60, []string{"REGEN_ONE_VM=" + mode}, nil, "add_subtitle_and_views", "-m", "--rollback", "down")
						run.cmd.Process.Signal(s.sig)
						code := exitCode(run.cmd.Wait())
						out := run.out.String()
						if code != s.code {
							t.Fatalf("exit %d, want %d\n%s", code, s.code, out)
						}
						if !strings.Contains(out, "interrupted by "+s.name) || !strings.Contains(out, "Everything was restored") {
							t.Fatalf("the message should name %s and say everything was restored:\n%s", s.name, out)
						}
						for _, goName := range []string{"by interrupt", "by terminated", "by hangup", "by quit", "by aborted", "by bad system call"} {
							if strings.Contains(out, goName) {
								t.Fatalf("Go's signal name %q in the message:\n%s", goName, out)
							}
						}
						if alive(run.child) {
							t.Fatalf("the child %d is still running", run.child)
						}
						mustSame(t, before, p.Capture())
					})
				}
			}
		}
	}
}

// kill -9 of regen (not of its child) during each child step: the child
// dies with regen, the journal names it, recover restores exactly, and the
// next run goes through (no orphan holds anything).
func TestReliabilityKill9AtEveryChildStepLeavesNoChild(t *testing.T) {
	for _, kind := range regentest.Kinds {
		steps := map[string][]string{"0": childSteps(), "1": childSteps()} // one VM: its driver in each step
		for _, mode := range []string{"0", "1"} {
			for _, task := range steps[mode] {
				t.Run(fmt.Sprintf("%s/one_vm=%s/%s", kind, mode, task), func(t *testing.T) {
					p := featureOf(t, kind)
					p.Env = append(p.Env, "REGEN_ONE_VM="+mode)
					before := p.Capture()
					run := startAsleep(t, p, task, 60, nil, nil, "add_subtitle_and_views", "-m", "--rollback", "down")
					// The journal records the child as it starts (right after the
					// fork: the child may be asleep a moment before that).
					recorded := fmt.Sprintf(`"pgid":%d,`, run.child)
					var journal []byte
					for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
						journal, _ = os.ReadFile(filepath.Join(p.Root, ".git", "regen", "journal.json"))
						if bytes.Contains(journal, []byte(recorded)) && bytes.Contains(journal, []byte(`"marker":"REGEN_RUN_ID=`)) {
							break
						}
						if time.Now().After(deadline) {
							t.Fatalf("the journal does not record the child %d and its marker:\n%s", run.child, journal)
						}
					}
					run.cmd.Process.Signal(syscall.SIGKILL)
					run.cmd.Wait()
					mustBeGone(t, run.child, "the child of the killed regen")
					got, code := p.Regen("recover")
					if code != 0 || !strings.Contains(got, "reversed") {
						t.Fatalf("recover: exit %d\n%s", code, got)
					}
					mustSame(t, before, p.Capture())
					if got, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
						t.Fatalf("the next run: exit %d\n%s", code, got)
					}
				})
			}
		}
	}
}

// orphanMix is a mix command that keeps the stand-in as a grandchild (a
// shell that does not exec, as wrappers and some version managers do):
// Pdeathsig reaches only the shell, so the stand-in survives a kill -9 of
// regen, in the child's process group, with the run's environment.
func orphanMix(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mix-wrapper")
	script := "#!/bin/sh\n\"$MIXSIM_REAL\" \"$@\"\nexit $?\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// After a kill -9 of regen, a stand-in that outlived it (asleep in codegen,
// about to write a migration and, in one mix start, apply it) is stopped by
// the next changing run and by recover, before they touch anything; after
// recover and past the moment it would have woken, nothing appeared.
func TestReliabilityOrphanOfKill9IsStoppedBeforeAnythingIsTouched(t *testing.T) {
	const nap = 2.5 // seconds the orphan sleeps before it would write
	for _, kind := range regentest.Kinds {
		for _, first := range []string{"next run", "recover"} {
			t.Run(kind+"/"+first, func(t *testing.T) {
				p := featureOf(t, kind)
				// Separate starts: the one-VM driver never outlives regen (its socket
				// closes), so only a one-shot start can be an orphan.
				p.Env = append(p.Env, "REGEN_ONE_VM=0", "REGEN_MIX="+orphanMix(t), "MIXSIM_REAL="+regentest.Mixsim(t))
				before := p.Capture()
				run := startAsleep(t, p, "ash.codegen", nap, nil, nil, "add_subtitle_and_views", "-m")
				woke := time.Now().Add(time.Duration(nap * float64(time.Second)))
				run.cmd.Process.Signal(syscall.SIGKILL)
				run.cmd.Wait()
				if !alive(run.child) {
					t.Fatalf("the stand-in %d did not outlive regen: the test needs an orphan", run.child)
				}
				if first == "next run" {
					// The stuck-build-lock symptom: the next run must not wait
					// on the orphan, and must end it.
					got, code := p.Regen("add_x", "-m")
					if alive(run.child) {
						t.Fatalf("the orphan %d is still running after the next run:\n%s", run.child, got)
					}
					if code != 4 || !strings.Contains(got, "stopped what was still running") || !strings.Contains(got, strconv.Itoa(run.child)) {
						t.Fatalf("the next run: exit %d (want 4), should say it stopped pid %d:\n%s", code, run.child, got)
					}
				}
				got, code := p.Regen("recover")
				if code != 0 || !strings.Contains(got, "reversed") {
					t.Fatalf("recover: exit %d\n%s", code, got)
				}
				mustSame(t, before, p.Capture())
				// Past the moment the orphan would have written and migrated.
				time.Sleep(time.Until(woke) + time.Second)
				mustSame(t, before, p.Capture())
				if alive(run.child) {
					t.Fatalf("the orphan %d is still running after recover", run.child)
				}
				if first == "recover" && (!strings.Contains(got, "stopped what was still running") || !strings.Contains(got, strconv.Itoa(run.child))) {
					t.Fatalf("recover should say it stopped pid %d:\n%s", run.child, got)
				}
			})
		}
	}
}

// A reader that went away (`regen NAME -m 2>&1 | head`) never stops regen:
// with stdout and stderr a closed pipe, a run finishes, a failing run
// restores, an interrupted run restores, and each says so by its exit code.
func TestReliabilityClosedOutputNeverStopsRegen(t *testing.T) {
	cases := []struct {
		name   string
		kind   string
		env    []string
		signal syscall.Signal
		code   int
	}{
		{"run completes", regentest.SQLite, nil, 0, 0},
		{"failure restores", regentest.SQLite, []string{"REGEN_ONE_VM=0", "MIXSIM_FAIL=ash.migrate"}, 0, 1},
		{"failure restores", regentest.Postgres, []string{"REGEN_ONE_VM=0", "MIXSIM_FAIL=ash.migrate"}, 0, 1},
		{"SIGINT restores", regentest.SQLite, nil, syscall.SIGINT, 130},
	}
	for _, c := range cases {
		t.Run(c.kind+"/"+c.name, func(t *testing.T) {
			p := featureOf(t, c.kind)
			before := p.Capture()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			drained := make(chan struct{})
			go func() { io.Copy(io.Discard, r); close(drained) }()
			secs := 1.0
			if c.signal != 0 {
				secs = 60
			}
			run := startAsleep(t, p, "ash.codegen", secs, c.env, w, "add_subtitle_and_views", "-m")
			w.Close()
			// The reader goes away while the child sleeps: every later write
			// of regen's, and the child's output it passes on, hits EPIPE.
			r.Close()
			if c.signal != 0 {
				run.cmd.Process.Signal(c.signal)
			}
			code := exitCode(run.cmd.Wait())
			if code != c.code {
				t.Fatalf("exit %d, want %d (141 is death by SIGPIPE)", code, c.code)
			}
			if alive(run.child) {
				t.Fatalf("the child %d is still running", run.child)
			}
			if _, err := os.Stat(filepath.Join(p.Root, ".git", "regen", "journal.json")); err == nil {
				t.Fatal("the run left its journal open")
			}
			if c.code == 0 {
				// It committed: undo brings back exactly the state before.
				if got, code := p.Regen("undo"); code != 0 {
					t.Fatalf("undo: exit %d\n%s", code, got)
				}
			}
			mustSame(t, before, p.Capture())
		})
	}
}

// With the journal damaged, regen cannot read which children the run had:
// the run's id is still its backup folder's name, and on Linux its
// children carry it. recover stops the orphan anyway, before anything else.
func TestReliabilityOrphanIsStoppedEvenWithADamagedJournal(t *testing.T) {
	p := feature(t)
	// Separate starts: the one-VM driver never outlives regen (its socket
	// closes), so only a one-shot start can be an orphan.
	p.Env = append(p.Env, "REGEN_ONE_VM=0", "REGEN_MIX="+orphanMix(t), "MIXSIM_REAL="+regentest.Mixsim(t))
	run := startAsleep(t, p, "ash.codegen", 60, nil, nil, "add_subtitle_and_views", "-m")
	run.cmd.Process.Signal(syscall.SIGKILL)
	run.cmd.Wait()
	if !alive(run.child) {
		t.Fatalf("the stand-in %d did not outlive regen: the test needs an orphan", run.child)
	}
	journal := filepath.Join(p.Root, ".git", "regen", "journal.json")
	if err := os.WriteFile(journal, []byte(`{"format":1,"run_id":`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _ := p.Regen("recover")
	if alive(run.child) {
		t.Fatalf("the orphan %d is still running after recover:\n%s", run.child, got)
	}
	if !strings.Contains(got, "stopped what was still running") || !strings.Contains(got, strconv.Itoa(run.child)) {
		t.Fatalf("recover should say it stopped pid %d:\n%s", run.child, got)
	}
}

// The stuck-build-lock symptom: an orphan hung in its start holds the
// build lock for good, and every later mix start waits ("Waiting for lock
// on the build directory"). recover stops it first, and the next run goes
// through without waiting.
func TestReliabilityOrphanHoldingTheBuildLockDoesNotHangTheNextRun(t *testing.T) {
	p := feature(t)
	// Separate starts: the one-VM driver never outlives regen (its socket
	// closes), so only a one-shot start can be an orphan.
	p.Env = append(p.Env, "REGEN_ONE_VM=0", "REGEN_MIX="+orphanMix(t), "MIXSIM_REAL="+regentest.Mixsim(t))
	if got, code := p.Regen("status"); code != 0 { // the project's config, asked once and cached
		t.Fatalf("status: exit %d\n%s", code, got)
	}
	before := p.Capture()
	run := startAsleep(t, p, "boot", 60, nil, nil, "add_subtitle_and_views", "-m")
	run.cmd.Process.Signal(syscall.SIGKILL)
	run.cmd.Wait()
	if !alive(run.child) {
		t.Fatalf("the stand-in %d did not outlive regen: the test needs an orphan", run.child)
	}
	got, code := p.Regen("recover")
	if code != 0 || !strings.Contains(got, "reversed") {
		t.Fatalf("recover: exit %d\n%s", code, got)
	}
	mustSame(t, before, p.Capture())
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hung := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer hung.Stop()
	if code := exitCode(cmd.Wait()); code != 0 || strings.Contains(out.String(), "Waiting for lock") {
		t.Fatalf("the next run: exit %d (it waited on the orphan's build lock?)\n%s", code, out.String())
	}
}
