package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// A process a task leaves running in a session of its own (a port
// program's way: the BEAM's erl_child_setup starts each so) escapes the
// signals to mix's process group. Left running, it could change the files
// or the database after regen checked or restored them. Each way a run
// ends, separate starts and one start, SQLite and PostgreSQL: nothing of
// the run's tasks runs on after regen has ended, and a run whose tasks
// left something running is restored, never committed half-checked.
func TestReliabilityNothingTheTasksStartedRunsOn(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("regen finds a run's processes through /proc (Linux); elsewhere it does not look")
	}
	for _, kind := range regentest.Kinds {
		for _, mode := range []string{"0", "1"} {
			t.Run(fmt.Sprintf("%s/one_vm=%s/left-running-after-the-task", kind, mode), func(t *testing.T) {
				p := featureOf(t, kind)
				before := p.Capture()
				tag := "MIXSIM_READY_FILE=" + filepath.Join(t.TempDir(), "ready")
				cmd := p.RegenCmd("add_subtitle_and_views", "-m")
				cmd.Env = append(cmd.Env, "REGEN_ONE_VM="+mode, "MIXSIM_STRAY=ash.codegen", tag)
				out, err := cmd.CombinedOutput()
				code := exitCode(err)
				if code == 0 || !strings.Contains(string(out), "started by the run's tasks, was still running after they ended") || !strings.Contains(string(out), "Everything was restored") {
					t.Fatalf("exit %d, want a restore that names what ran on:\n%s", code, out)
				}
				if !strings.Contains(string(out), "__mixsim_stray") {
					t.Errorf("the message does not show the process's command:\n%s", out)
				}
				mustLeaveNothingRunning(t, tag, "the run")
				mustSame(t, before, p.Capture())
				if got, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
					t.Fatalf("the next run: exit %d\n%s", code, got)
				}
			})
			t.Run(fmt.Sprintf("%s/one_vm=%s/interrupted", kind, mode), func(t *testing.T) {
				p := featureOf(t, kind)
				before := p.Capture()
				run := startAsleep(t, p, "ash.codegen", 60, []string{"REGEN_ONE_VM=" + mode, "MIXSIM_STRAY=ash.codegen"}, nil, "add_subtitle_and_views", "-m")
				tag := readyTag(run)
				run.cmd.Process.Signal(syscall.SIGINT)
				code := exitCode(run.cmd.Wait())
				out := run.out.String()
				if code != 130 || !strings.Contains(out, "Everything was restored") || !strings.Contains(out, "stopped what the run's tasks had left running") {
					t.Fatalf("exit %d, want 130, the stray stopped and everything restored:\n%s", code, out)
				}
				mustLeaveNothingRunning(t, tag, "the interrupted run")
				mustSame(t, before, p.Capture())
			})
		}
	}
	// A daemon (a session of its own, working from /: epmd that a node
	// start launches, an agent) serves more than the run: it is neither a
	// reason to restore nor stopped.
	t.Run("a-daemon-is-left-alone", func(t *testing.T) {
		p := featureOf(t, regentest.Kinds[0])
		tag := "MIXSIM_READY_FILE=" + filepath.Join(t.TempDir(), "ready")
		cmd := p.RegenCmd("add_subtitle_and_views", "-m")
		cmd.Env = append(cmd.Env, "MIXSIM_STRAY=ash.codegen:daemon", tag)
		out, err := cmd.CombinedOutput()
		daemons := regentest.Carriers(tag)
		t.Cleanup(func() {
			for _, pid := range daemons {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		})
		if code := exitCode(err); code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		checkRegenerated(t, p, "add_subtitle_and_views", string(out))
		if len(daemons) != 1 {
			t.Fatalf("the daemon the task started: %v running, want 1", daemons)
		}
	})
}

// readyTag is the environment entry unique to a sleeping run's test.
func readyTag(run *sleepingRun) string {
	for _, e := range run.cmd.Env {
		if strings.HasPrefix(e, "MIXSIM_READY_FILE=") {
			return e
		}
	}
	panic("startAsleep sets MIXSIM_READY_FILE")
}

// Under real Elixir, a task that starts a program in the background
// (System.cmd("sh", ["-c", "… &"]): the BEAM's erl_child_setup gave the
// shell a session of its own, so the program outlives the task and the VM.
// The run is restored, and the program does not run on. A task that starts
// epmd (a node start does) leaves a daemon: the run goes through and epmd
// is not stopped.
func TestReliabilityDriverTaskLeavesAProgramRunningUnderRealElixir(t *testing.T) {
	t.Run("background-program", func(t *testing.T) {
		p, env := realFeatureWith(t, map[string]string{
			"ash.codegen": `Blog.Sim.run("ash.codegen", args)
System.cmd("sh", ["-c", "sleep 60 >/dev/null 2>&1 &"])`,
		})
		before := p.Capture()
		tag := "MIXSIM_READY_FILE=" + filepath.Join(t.TempDir(), "tag")
		out, code := realRegen(t, p, append(env, tag), nil, "add_subtitle_and_views", "-m")
		if code == 0 || !strings.Contains(out, "(sleep 60), started by the run's tasks, was still running after they ended") || !strings.Contains(out, "Everything was restored") {
			t.Fatalf("exit %d, want a restore naming the program:\n%s", code, out)
		}
		mustLeaveNothingRunning(t, tag, "the run")
		mustSame(t, before, p.Capture())
	})
	// The VM's own port programs are the VM's while it lives: inet_gethost,
	// which a host name lookup starts (a PostgreSQL repo's "localhost"),
	// is no straggler, and the run goes through.
	t.Run("inet_gethost", func(t *testing.T) {
		p, env := realFeatureWith(t, map[string]string{
			"ash.migrate": `{:ok, _} = :inet.gethostbyname(~c"localhost")
Blog.Sim.run("ash.migrate", args)`,
		})
		out, code := realRegen(t, p, env, nil, "add_subtitle_and_views", "-m")
		if code != 0 || strings.Contains(out, "stopped") {
			t.Fatalf("a migrate that looks up a host name: exit %d\n%s", code, out)
		}
		checkRegenerated(t, p, "add_subtitle_and_views", out)
	})
	// A port whose program ignores the closed pipe outlives the VM: it is
	// stopped once the VM has ended, and regen says so.
	t.Run("port-outlives-the-vm", func(t *testing.T) {
		p, env := realFeatureWith(t, map[string]string{
			"ash.migrate": `Blog.Sim.run("ash.migrate", args)
Port.open({:spawn, "sleep 60"}, [])`,
		})
		tag := "MIXSIM_READY_FILE=" + filepath.Join(t.TempDir(), "tag")
		out, code := realRegen(t, p, append(env, tag), nil, "add_subtitle_and_views", "-m")
		if code != 0 || !strings.Contains(out, "outlived the mix VM, after the run had ended") || !strings.Contains(out, "(sleep 60)") {
			t.Fatalf("exit %d, want the run done and the program named as stopped:\n%s", code, out)
		}
		mustLeaveNothingRunning(t, tag, "the run")
		checkRegenerated(t, p, "add_subtitle_and_views", out)
	})
	t.Run("epmd", func(t *testing.T) {
		epmd, err := exec.LookPath("epmd")
		if err != nil {
			t.Skip("no epmd on PATH (Debian's erlang-base has it)")
		}
		p, env := realFeatureWith(t, map[string]string{
			"ash.codegen": fmt.Sprintf(`System.cmd(%q, ["-daemon"])
Blog.Sim.run("ash.codegen", args)`, epmd),
		})
		tag := "MIXSIM_READY_FILE=" + filepath.Join(t.TempDir(), "tag")
		out, code := realRegen(t, p, append(env, tag), nil, "add_subtitle_and_views", "-m")
		started := regentest.Carriers(tag) // none when an epmd was running already
		t.Cleanup(func() {
			for _, pid := range started {
				syscall.Kill(pid, syscall.SIGTERM)
			}
		})
		if code != 0 {
			t.Fatalf("a task that starts epmd: exit %d\n%s", code, out)
		}
		checkRegenerated(t, p, "add_subtitle_and_views", out)
		if out, err := exec.Command(epmd, "-names").CombinedOutput(); err != nil {
			t.Fatalf("epmd is not running after the run: %v\n%s", err, out)
		}
	})
}

// In mix regen's VM (the host), which started before the run and outlives
// it: a program a task leaves in the background is found by the marker
// the driver sets for each task, and the run restored; the VM's own port
// programs, marked too when a task started them (inet_gethost on a host
// name lookup), are that VM's and spared.
func TestReliabilityMixRegenHostTaskLeavesAProgramRunning(t *testing.T) {
	t.Run("background-program", func(t *testing.T) {
		p, env := realFeatureWith(t, map[string]string{
			"ash.codegen": `Blog.Sim.run("ash.codegen", args)
System.cmd("sh", ["-c", "sleep 60 >/dev/null 2>&1 &"])`,
		})
		tag := "MIXSIM_READY_FILE=" + filepath.Join(t.TempDir(), "tag")
		mix := realMixRegen(t, p, append(env, tag))
		before := p.Capture()
		out, code := mix("regen", "add_subtitle_and_views", "-m")
		if code == 0 || !strings.Contains(out, "(sleep 60), started by the run's tasks, was still running after they ended") || !strings.Contains(out, "Everything was restored") {
			t.Fatalf("mix regen: exit %d, want a restore naming the program:\n%s", code, out)
		}
		mustLeaveNothingRunning(t, tag, "mix regen")
		mustSame(t, before, p.Capture())
	})
	t.Run("host-name-lookup", func(t *testing.T) {
		p, env := realFeatureWith(t, map[string]string{
			"ash.migrate": `{:ok, _} = :inet.gethostbyname(~c"localhost")
Blog.Sim.run("ash.migrate", args)`,
		})
		mix := realMixRegen(t, p, env)
		out, code := mix("regen", "add_subtitle_and_views", "-m")
		if code != 0 || strings.Contains(out, "stopped") {
			t.Fatalf("mix regen with a migrate that looks up a host name: exit %d\n%s", code, out)
		}
		checkRegenerated(t, p, "add_subtitle_and_views", out)
	})
}
