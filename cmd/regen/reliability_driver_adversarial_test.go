package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen/regentest"
)

// The one-VM driver against tasks that misbehave, under the real Elixir
// (realFeatureWith: the real-Elixir project with some task shims
// replaced). Each task runs in the driver's one VM, so what a task does
// to that VM (its cwd, its stdin, its end) must not leak into the next
// task nor lose what the user had: the run either ends as the separate
// starts would, or fails and restores everything, saying so.

// shimModuleName is the module Mix finds a shim's task by.
func shimModuleName(task string) string {
	return map[string]string{"ecto.rollback": "Ecto.Rollback", "ash.codegen": "Ash.Codegen", "ash.migrate": "Ash.Migrate"}[task]
}

// realRegen runs regen NAME -m in p under the real mix (one VM), with
// extra env, stdin from in (nil: /dev/null), bounded by --timeout.
func realRegen(t *testing.T, p interface{ RegenCmd(...string) *exec.Cmd }, env []string, in *os.File, args ...string) (string, int) {
	t.Helper()
	cmd := p.RegenCmd(append(args, "--timeout", "90s")...)
	cmd.Env = append(append(cmd.Env, "REGEN_MIX=mix", "REGEN_ONE_VM=1"), env...)
	if in != nil {
		cmd.Stdin = in
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), exitCode(err)
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("regen %v hung:\n%s", args, out.String())
		return "", 0
	}
}

// A task that changes the VM's working folder (File.cd!), its OS
// environment or Mix.env does not change the next task's: each task of
// the driver starts in the project's root with the VM's environment, as
// each separate mix start does.
func TestReliabilityDriverTaskChangesCwd(t *testing.T) {
	p, env := realFeatureWith(t, map[string]string{
		"ecto.rollback": `Blog.Sim.run("ecto.rollback", args)
File.cd!("priv")
System.put_env("REGEN_TEST_LEAK", "1")
Mix.env(:prod)`,
		"ash.codegen": `if System.get_env("REGEN_TEST_LEAK") || Mix.env() != :dev, do: Mix.raise("leaked: #{inspect(Mix.env())} #{File.cwd!()}")
Blog.Sim.run("ash.codegen", args)`,
	})
	out, code := realRegen(t, p, env, nil, "add_subtitle_and_views", "-m")
	if code != 0 {
		t.Fatalf("a rollback task that cds into priv: exit %d\n%s", code, out)
	}
	checkRegenerated(t, p, "add_subtitle_and_views", out)
	if _, err := os.Stat(filepath.Join(p.Root, "priv", "priv")); err == nil {
		t.Fatalf("a later task ran in priv/:\n%s", out)
	}
}

// Output that looks like the driver's (sync lines of every number, the
// running task's among them, a regen-repo line), a line of 300 KB and
// bytes with no newline neither break the run nor get lost: the protocol
// is on its own socket, and a sync line counts only with the run's nonce.
func TestReliabilityDriverTaskOutputLooksLikeTheProtocol(t *testing.T) {
	p, env := realFeatureWith(t, map[string]string{
		"ecto.rollback": `IO.write("\0regen-sync 999\n")
IO.write(:stderr, "\0regen-sync 999\n")
Enum.each(0..9, fn n -> IO.write("\0regen-sync #{n}\n"); IO.write(:stderr, "\0regen-sync #{n}\n") end)
Process.sleep(300)
IO.puts("regen-repo Blog.Repo database /elsewhere.db")
IO.puts("huge:" <> String.duplicate("x", 300_000))
IO.write("partial-no-newline")
Blog.Sim.run("ecto.rollback", args)
Process.sleep(300)
IO.write("trailing-no-newline")`,
	})
	out, code := realRegen(t, p, env, nil, "add_subtitle_and_views", "-m")
	if code != 0 {
		t.Fatalf("a rollback task with protocol-like output: exit %d\n%s", code, out)
	}
	checkRegenerated(t, p, "add_subtitle_and_views", out)
	for _, want := range []string{"regen-repo Blog.Repo database /elsewhere.db", "partial-no-newline", "trailing-no-newline", "huge:xxxx"} {
		if !strings.Contains(out, want) {
			t.Errorf("the task's output %q is missing:\n%.3000s", want, out)
		}
	}
	// All of the task's output before regen's next line, though it printed
	// a sync line of a later task first.
	if i, j := strings.Index(out, "trailing-no-newline"), strings.Index(out, "✓ rollback"); i < 0 || j < 0 || i > j {
		t.Errorf("the task's last output came after its step's end:\n%.2000s", out[max(0, i-1000):])
	}
	if n := strings.Count(out, "x"); n < 300_000 {
		t.Errorf("the 300 KB line was cut: %d x's shown", n)
	}
	if strings.Contains(out, "/elsewhere.db") && strings.Contains(out, "database mismatch") {
		t.Fatalf("a task's regen-repo line was taken as config:\n%.3000s", out)
	}
}

// A task that reads stdin (IO.gets, IO.read :all) while regen's own stdin
// is a terminal that never answers reads end of input, as from
// /dev/null: it does not hang the run.
func TestReliabilityDriverTaskReadsStdin(t *testing.T) {
	p, env := realFeatureWith(t, map[string]string{
		"ash.migrate": `answer = IO.gets("Continue? ")
rest = IO.read(:stdio, :all)
IO.puts("read: #{inspect(answer)} #{inspect(rest)}")
Blog.Sim.run("ash.migrate", args)`,
	})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close() // never written: a terminal nobody types in
	defer r.Close()
	out, code := realRegen(t, p, env, r, "add_subtitle_and_views", "-m")
	if code != 0 {
		t.Fatalf("a migrate task that reads stdin: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "read: :eof") {
		t.Errorf("the task's read did not see end of input:\n%s", out)
	}
	checkRegenerated(t, p, "add_subtitle_and_views", out)
}

// A task that ends the VM (System.halt(0), :init.stop()) after doing its
// work, or whose linked process crashes, is that step's failure: the run
// restores everything, byte for byte, and says which step's VM ended.
func TestReliabilityDriverTaskEndsTheVM(t *testing.T) {
	cases := []struct{ name, task, exit, body string }{
		{"halt0-in-codegen", "ash.codegen", "0", `Blog.Sim.run("ash.codegen", args)
System.halt(0)`},
		{"init-stop-in-codegen", "ash.codegen", "0", `Blog.Sim.run("ash.codegen", args)
:init.stop()
Process.sleep(:infinity)`},
		{"linked-crash-in-migrate", "ash.migrate", "1", `Blog.Sim.run("ash.migrate", args)
spawn_link(fn -> raise "boom from a linked process" end)
Process.sleep(2000)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, env := realFeatureWith(t, map[string]string{c.task: c.body})
			before := p.Capture()
			out, code := realRegen(t, p, env, nil, "add_subtitle_and_views", "-m")
			if code == 0 || !strings.Contains(out, "Everything was restored") {
				t.Fatalf("exit %d, want a failure that restores:\n%s", code, out)
			}
			mustSame(t, before, p.Capture())
			if !strings.Contains(out, "mix "+c.task) || !strings.Contains(out, "ended during the task (exit "+c.exit+":") || !strings.Contains(out, "one_vm = false") {
				t.Errorf("the failure should name the task %s, the VM's own exit %s (not a kill of regen's) and what to do:\n%s", c.task, c.exit, out)
			}
			if strings.Contains(out, "regen recover") {
				t.Errorf("a restored run should not send the user to recover:\n%s", out)
			}
		})
	}
}

// REGEN_MIX_DRIVER=fd in the environment of a regen that mix regen did
// not start (exported by hand, inherited from a wrapper): fd 4 is then
// not the port to a Mix VM but whatever the shell left there (a file the
// user has open) or nothing. regen must not write its driver's bootstrap
// into it: the file stays as it was and the run still works in a VM of its
// own or the separate starts.
func TestReliabilityDriverStrayMixDriverEnv(t *testing.T) {
	for _, fd4 := range []string{"none", "regular file", "terminal-like /dev/null"} {
		t.Run(fd4, func(t *testing.T) {
			p := feature(t)
			cmd := p.RegenCmd("add_subtitle_and_views", "-m")
			// The plain `mix` (on PATH, the stand-in) that mix regen's VM is.
			bin := t.TempDir()
			if err := os.Symlink(regentest.Mixsim(t), filepath.Join(bin, "mix")); err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(cmd.Env, "REGEN_MIX=mix", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "REGEN_MIX_DRIVER=fd", "REGEN_ONE_VM=1")
			precious := filepath.Join(t.TempDir(), "notes.txt")
			os.WriteFile(precious, []byte("the user's notes\n"), 0o600)
			switch fd4 {
			case "regular file":
				f3, _ := os.Open(os.DevNull)
				f4, err := os.OpenFile(precious, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f3.Close()
				defer f4.Close()
				cmd.ExtraFiles = []*os.File{f3, f4}
			case "terminal-like /dev/null":
				f, _ := os.OpenFile(os.DevNull, os.O_RDWR, 0)
				defer f.Close()
				cmd.ExtraFiles = []*os.File{f, f}
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			code := exitCode(cmd.Run())
			if got, _ := os.ReadFile(precious); string(got) != "the user's notes\n" {
				t.Fatalf("the file on fd 4 was written: %q\n%s", got, out.String())
			}
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out.String())
			}
			checkRegeneratedSim(t, p, out.String())
			if warned := strings.Contains(out.String(), "is not mix regen's port"); warned != (fd4 != "none") && fd4 != "none" {
				t.Fatalf("the stray variable should be named in a warning:\n%s", out.String())
			}
		})
	}
}

// checkRegeneratedSim: the stand-in's run regenerated the migration.
func checkRegeneratedSim(t *testing.T, p interface{ Migrations() []string }, out string) {
	t.Helper()
	migs := p.Migrations()
	if !hasSuffix(migs, "_add_subtitle_and_views.exs") || hasSuffix(migs, "_add_subtitle.exs") {
		t.Fatalf("migrations after the run: %v\n%s", migs, out)
	}
}

// The user's environment as the driver's VM inherits it: each variant
// either runs in the one VM as the separate starts would (the regenerated
// migration applied, the data kept) or, where mix itself cannot run,
// fails before any change with everything as it was.
func TestReliabilityDriverUserEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		ok   bool
	}{
		{"TERM=dumb NO_COLOR MIX_QUIET", []string{"TERM=dumb", "NO_COLOR=1", "MIX_QUIET=1"}, true},
		{"ERL_FLAGS=-noinput", []string{"ERL_FLAGS=-noinput"}, true},
		{"ELIXIR_ERL_OPTIONS=+B", []string{"ELIXIR_ERL_OPTIONS=+B"}, true},
		{"LANG=C", []string{"LANG=C", "LC_ALL=C"}, true},
		{"MIX_BUILD_PATH elsewhere", []string{"MIX_BUILD_PATH=" + filepath.Join(t.TempDir(), "build")}, true},
		{"MIX_ENV=test", []string{"MIX_ENV=test"}, true},
		{"MIX_EXS missing", []string{"MIX_EXS=nowhere.exs"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, env := realFeature(t)
			before := p.Capture()
			out, code := realRegen(t, p, append(env, c.env...), nil, "add_subtitle_and_views", "-m")
			if !c.ok {
				if code == 0 || strings.Contains(out, "regen recover") {
					t.Fatalf("exit %d, want a failure before any change:\n%s", code, out)
				}
				mustSame(t, before, p.Capture())
				return
			}
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if strings.Contains(out, "driver failed") {
				t.Errorf("the run fell back to separate starts:\n%s", out)
			}
			checkRegenerated(t, p, "add_subtitle_and_views", out)
		})
	}
}

// A project (and temp folder: the driver's socket and script) under a
// path with spaces, quotes, a backslash, a $ and a newline: the paths the
// driver's Elixir names are literals, never code. (No '#' or '?': the
// test's own SQLite file: DSNs would take them as URI parts.)
func TestReliabilityDriverOddProjectPath(t *testing.T) {
	for _, name := range []string{`q d'r"v\w$y`, "q\nv"} {
		t.Run(strings.ReplaceAll(name, "\n", "NL"), func(t *testing.T) {
			tmp := filepath.Join(os.TempDir(), name)
			if err := os.MkdirAll(tmp, 0o700); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(tmp) })
			regentest.Regen(t) // built before TMPDIR moves
			regentest.Mixsim(t)
			t.Setenv("TMPDIR", tmp)
			p, env := realFeature(t)
			if !strings.Contains(p.Root, name) {
				t.Fatalf("the project is at %q", p.Root)
			}
			out, code := realRegen(t, p, env, nil, "add_subtitle_and_views", "-m")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if strings.Contains(out, "driver failed") {
				t.Errorf("the run fell back to separate starts:\n%s", out)
			}
			checkRegenerated(t, p, "add_subtitle_and_views", out)
			// Not filepath.Glob: the path's backslash would be its escape.
			entries, _ := os.ReadDir(filepath.Join(p.Root, ".git", "regen", "cache"))
			beams := 0
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), "driver-") && strings.HasSuffix(e.Name(), ".beam") {
					beams++
				}
			}
			if beams != 1 {
				t.Errorf("the driver's .beam was not cached under the odd path: %v", entries)
			}
		})
	}
}

// driverVMPid is the pid of the run's driver VM (the process whose
// environment names the driver's socket, in p's root).
func driverVMPid(t *testing.T, root string) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range procs {
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(env, []byte("REGEN_DRIVER_SOCKET=")) {
			continue
		}
		if cwd, _ := os.Readlink(filepath.Join(d, "cwd")); cwd != root {
			continue
		}
		if cmd, _ := os.ReadFile(filepath.Join(d, "cmdline")); !bytes.Contains(cmd, []byte("--no-start")) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		return pid
	}
	t.Fatalf("no driver VM in %s", root)
	return 0
}

// Signals and kills during each task of the real VM: to regen (each
// terminating signal), to the VM (SIGTERM, SIGINT, SIGKILL), to regen's
// process group (Ctrl-C), and regen itself killed with -9 (then `regen
// recover`). Every way ends with everything as it was before the run
// and no VM left; except that a rollback whose VM ended is a failed
// `down`, after which regen rebuilds and finishes the run.
func TestReliabilityDriverSignalsUnderRealElixir(t *testing.T) {
	type target struct {
		name string
		kill func(regen *exec.Cmd, vm int)
		code int // regen's exit; 0: killed itself, then recover
	}
	sig := func(s syscall.Signal) func(*exec.Cmd, int) {
		return func(r *exec.Cmd, _ int) { r.Process.Signal(s) }
	}
	toVM := func(s syscall.Signal) func(*exec.Cmd, int) {
		return func(_ *exec.Cmd, vm int) { syscall.Kill(vm, s) }
	}
	all := []target{
		{"regen-SIGINT", sig(syscall.SIGINT), 130},
		{"regen-SIGTERM", sig(syscall.SIGTERM), 143},
		{"regen-SIGHUP", sig(syscall.SIGHUP), 129},
		{"regen-SIGQUIT", sig(syscall.SIGQUIT), 131},
		{"group-SIGINT", func(r *exec.Cmd, _ int) { syscall.Kill(-r.Process.Pid, syscall.SIGINT) }, 130},
		{"vm-SIGTERM", toVM(syscall.SIGTERM), 1},
		{"vm-SIGINT", toVM(syscall.SIGINT), 1},
		{"vm-SIGKILL", toVM(syscall.SIGKILL), 1},
		{"vm-SIGQUIT", toVM(syscall.SIGQUIT), 1},
		{"vm-SIGHUP", toVM(syscall.SIGHUP), 1},
		{"regen-SIGKILL", sig(syscall.SIGKILL), 0},
	}
	for _, task := range childSteps() {
		for _, tg := range all {
			if task != "ash.codegen" && !strings.Contains("regen-SIGINT vm-SIGKILL vm-SIGTERM regen-SIGKILL", tg.name) {
				continue // the same paths as codegen's: one per kind of end
			}
			t.Run(task+"/"+tg.name, func(t *testing.T) {
				p, env := realFeature(t)
				before := p.Capture()
				ready := filepath.Join(t.TempDir(), "ready")
				cmd := p.RegenCmd("add_subtitle_and_views", "-m", "--timeout", "60s")
				cmd.Env = append(append(cmd.Env, env...), "REGEN_MIX=mix", "REGEN_ONE_VM=1", "MIXSIM_SLEEP="+task+":60", "MIXSIM_READY_FILE="+ready)
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				out := &lockedBuffer{}
				cmd.Stdout, cmd.Stderr = out, out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill() })
				pollUntil(t, task+" asleep in the real VM", time.Minute, func() bool { return fileHas(ready) }, nil)
				vm := driverVMPid(t, p.Root)
				t.Cleanup(func() { syscall.Kill(vm, syscall.SIGKILL) })
				tg.kill(cmd, vm)
				done := make(chan int, 1)
				go func() { done <- exitCode(cmd.Wait()) }()
				var code int
				select {
				case code = <-done:
				case <-time.After(90 * time.Second):
					cmd.Process.Kill()
					t.Fatalf("regen did not end after %s:\n%s", tg.name, out)
				}
				if code == 0 && task == "ecto.rollback" && strings.HasPrefix(tg.name, "vm-") {
					// A rollback whose VM ended is a failed `down`: regen
					// rebuilds instead (the separate starts), as designed.
					if !strings.Contains(out.String(), "switching to rebuild") {
						t.Fatalf("exit 0 without the rebuild:\n%s", out)
					}
					checkRegenerated(t, p, "add_subtitle_and_views", out.String())
					mustBeGone(t, vm, "the driver VM")
					mustLeaveNothingRunning(t, "MIXSIM_READY_FILE="+ready, "the rebuild")
					return
				}
				if tg.code == 0 {
					mustBeGone(t, vm, "the driver VM of a regen killed with -9")
					got, rc := p.Regen("recover")
					if rc != 0 {
						t.Fatalf("recover: exit %d\n%s", rc, got)
					}
				} else {
					if code != tg.code || !strings.Contains(out.String(), "Everything was restored") {
						t.Fatalf("exit %d, want %d with everything restored:\n%s", code, tg.code, out)
					}
					mustBeGone(t, vm, "the driver VM")
					if strings.HasPrefix(tg.name, "vm-SIGTERM") && !strings.Contains(out.String(), "ended during the task (exit 0: System.halt(0), :init.stop, or a SIGTERM sent to the VM)") {
						t.Errorf("the VM's end is not described as what it may be:\n%s", out)
					}
				}
				mustLeaveNothingRunning(t, "MIXSIM_READY_FILE="+ready, tg.name+" and the restore")
				mustSame(t, before, p.Capture())
			})
		}
	}
}

// A task that hangs in Elixir itself (not in a child of the VM) is
// stopped at --timeout with the VM, and everything is restored.
func TestReliabilityDriverTaskHangsPastTimeout(t *testing.T) {
	p, env := realFeatureWith(t, map[string]string{
		"ash.codegen": `Blog.Sim.run("ash.codegen", args)
Process.flag(:trap_exit, true)
Process.sleep(:infinity)`,
	})
	before := p.Capture()
	cmd := p.RegenCmd("add_subtitle_and_views", "-m", "--timeout", "3s")
	cmd.Env = append(append(cmd.Env, env...), "REGEN_MIX=mix", "REGEN_ONE_VM=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	code := exitCode(cmd.Run())
	if code != 1 || !strings.Contains(out.String(), "did not finish within 3s and was stopped") || !strings.Contains(out.String(), "Everything was restored") {
		t.Fatalf("exit %d after %s:\n%s", code, time.Since(start), out.String())
	}
	mustSame(t, before, p.Capture())
}

// regen's stdout closed by its reader (`regen NAME -m | head -1`) and its
// stdin closed (`<&-`): the run goes on to its end, the VM's output
// drained, and nothing is lost.
func TestReliabilityDriverClosedStdoutAndStdin(t *testing.T) {
	t.Run("stdout-closed", func(t *testing.T) {
		p, env := realFeature(t)
		cmd := p.RegenCmd("add_subtitle_and_views", "-m")
		cmd.Env = append(append(cmd.Env, env...), "REGEN_MIX=mix", "REGEN_ONE_VM=1")
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		first := make([]byte, 1)
		for first[0] != '\n' { // head -1
			if _, err := r.Read(first); err != nil {
				break
			}
		}
		r.Close()
		if code := exitCode(cmd.Wait()); code != 0 {
			t.Fatalf("exit %d with its output's reader gone", code)
		}
		checkRegenerated(t, p, "add_subtitle_and_views", "(output closed)")
	})
	t.Run("stdin-closed", func(t *testing.T) {
		p, env := realFeature(t)
		cmd := p.RegenCmd("add_subtitle_and_views", "-m")
		// exec's own stdin is /dev/null at least: close fd 0 in a shell
		// (fixed arguments, no user text) and exec regen there.
		cmd.Args = append([]string{"sh", "-c", `exec "$0" "$@" <&-`, cmd.Path}, cmd.Args[1:]...)
		cmd.Path = "/bin/sh"
		cmd.Env = append(append(cmd.Env, env...), "REGEN_MIX=mix", "REGEN_ONE_VM=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if code := exitCode(cmd.Run()); code != 0 {
			t.Fatalf("exit %d with stdin closed:\n%s", code, out.String())
		}
		checkRegenerated(t, p, "add_subtitle_and_views", out.String())
	})
}

// realMixRegen makes p (realFeatureWith's project) a mix regen project:
// the Hex package as a path dependency, regen's binary configured.
func realMixRegen(t *testing.T, p *regentest.Project, env []string) func(args ...string) (string, int) {
	t.Helper()
	useHexPackage(t, p)
	mix := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command("mix", args...)
		cmd.Dir = p.Root
		cmd.Env = append(append(append(os.Environ(), p.GitEnv()...), env...), "NO_COLOR=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return out.String(), exitCode(err)
		case <-time.After(2 * time.Minute):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Process.Kill()
			<-done
			t.Fatalf("mix %v hung:\n%s", args, out.String())
			return "", 0
		}
	}
	if out, code := mix("compile"); code != 0 {
		t.Fatalf("mix compile with the Hex package: exit %d\n%s", code, out)
	}
	return mix
}

// In mix regen's VM (the host) the tasks misbehave as in an own VM: a
// task's File.cd! does not move the next; a task whose linked process
// crashes kills the driver's process, which must end the run as a
// failure of that step (restored), not leave regen waiting for an answer
// that never comes.
func TestReliabilityDriverMixRegenHostTasks(t *testing.T) {
	t.Run("cwd", func(t *testing.T) {
		p, env := realFeatureWith(t, map[string]string{
			"ecto.rollback": `Blog.Sim.run("ecto.rollback", args)
File.cd!("priv")`,
		})
		mix := realMixRegen(t, p, env)
		out, code := mix("regen", "add_subtitle_and_views", "-m")
		if code != 0 {
			t.Fatalf("mix regen with a rollback that cds into priv: exit %d\n%s", code, out)
		}
		checkRegenerated(t, p, "add_subtitle_and_views", out)
	})
	t.Run("linked-crash", func(t *testing.T) {
		p, env := realFeatureWith(t, map[string]string{
			"ash.migrate": `Blog.Sim.run("ash.migrate", args)
spawn_link(fn -> raise "boom from a linked process" end)
Process.sleep(2000)`,
		})
		mix := realMixRegen(t, p, env)
		before := p.Capture()
		out, code := mix("regen", "add_subtitle_and_views", "-m")
		if code == 0 || !strings.Contains(out, "Everything was restored") {
			t.Fatalf("mix regen with a migrate whose linked process crashes: exit %d\n%s", code, out)
		}
		mustSame(t, before, p.Capture())
		if !strings.Contains(out, "mix ash.migrate") || !strings.Contains(out, "the driver's process ended mid-task") || !strings.Contains(out, "boom from a linked process") {
			t.Fatalf("the failure should name the task and the crash:\n%s", out)
		}
	})
}

// MIX_ENV set by the user is the env of every task, in the one VM as in
// the separate starts (README: the environment mix runs in is the user's).
// One difference: the one VM's `mix run` compiles a never-built env; the
// separate starts' config query does not compile (read-only), so there
// regen fails before any change and says to run `mix compile` first.
func TestReliabilityDriverMixEnvSameAsSeparateStarts(t *testing.T) {
	for _, oneVM := range []string{"1", "0"} {
		t.Run("one_vm="+oneVM, func(t *testing.T) {
			p, env := realFeatureWith(t, map[string]string{
				"ash.codegen": `IO.puts("task-env: #{Mix.env()} #{System.get_env("MIX_ENV")}")
Blog.Sim.run("ash.codegen", args)`,
			})
			env = append(env, "MIX_ENV=test", "REGEN_ONE_VM="+oneVM)
			if oneVM == "0" {
				before := p.Capture()
				out, code := realRegen(t, p, env, nil, "add_subtitle_and_views", "-m")
				if code != 2 || !strings.Contains(out, "run `mix compile` first, with the same MIX_ENV") {
					t.Fatalf("separate starts in a never-built MIX_ENV: exit %d, want 2 saying to compile\n%s", code, out)
				}
				mustSame(t, before, p.Capture())
				if out, code := mixCode(p.Root, env, "compile"); code != 0 {
					t.Fatalf("MIX_ENV=test mix compile: exit %d\n%s", code, out)
				}
			}
			out, code := realRegen(t, p, env, nil, "add_subtitle_and_views", "-m")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if !strings.Contains(out, "task-env: test test") {
				t.Fatalf("codegen did not run with MIX_ENV=test:\n%s", out)
			}
			checkRegenerated(t, p, "add_subtitle_and_views", out)
		})
	}
}

// A process a task leaves behind that writes after the task ended (a
// late log line) writes to the VM's output as in a mix start of its own,
// and does not take the driver down with it.
func TestReliabilityDriverTaskLeavesAWriter(t *testing.T) {
	p, env := realFeatureWith(t, map[string]string{
		"ash.codegen": `Blog.Sim.run("ash.codegen", args)
me = self()
spawn_link(fn -> Process.sleep(200); IO.puts("late line from codegen's helper"); send(me, :never_read); Process.sleep(:infinity) end)`,
		"ash.migrate": `Process.sleep(500)
Blog.Sim.run("ash.migrate", args)`,
	})
	out, code := realRegen(t, p, env, nil, "add_subtitle_and_views", "-m")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "late line from codegen's helper") {
		t.Errorf("the helper's late line is missing:\n%s", out)
	}
	checkRegenerated(t, p, "add_subtitle_and_views", out)
}
