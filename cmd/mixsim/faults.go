package main

// Fault injection switches read from the environment once per process (see
// the comment at the top of main.go for the contract).

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type sleepSpec struct {
	d   time.Duration
	mid bool // sleep inside the first migration's open transaction instead
}

type faults struct {
	failBefore map[string]bool
	failAfter  map[string]bool
	lie        map[string]bool
	sleep      map[string]sleepSpec
	stray      map[string]bool // task -> its stray is a daemon
	readyFile  string
	bootDelay  time.Duration
	logPath    string
}

func parseFaults(getenv func(string) string) (faults, error) {
	f := faults{
		failBefore: map[string]bool{}, failAfter: map[string]bool{},
		lie: map[string]bool{}, sleep: map[string]sleepSpec{}, stray: map[string]bool{},
		readyFile: getenv("MIXSIM_READY_FILE"), logPath: getenv("MIXSIM_LOG"),
	}
	for _, item := range splitList(getenv("MIXSIM_FAIL")) {
		if t, ok := strings.CutSuffix(item, ":after"); ok {
			f.failAfter[t] = true
		} else {
			f.failBefore[item] = true
		}
	}
	for _, item := range splitList(getenv("MIXSIM_LIE")) {
		f.lie[item] = true
	}
	for _, item := range splitList(getenv("MIXSIM_SLEEP")) {
		// task names contain dots but no colons: split from the left.
		parts := strings.Split(item, ":")
		if len(parts) < 2 || len(parts) > 3 || (len(parts) == 3 && parts[2] != "mid") {
			return f, fmt.Errorf("MIXSIM_SLEEP: want <task>:<seconds>[:mid], got %q", item)
		}
		secs, err := strconv.ParseFloat(parts[1], 64)
		if err != nil {
			return f, fmt.Errorf("MIXSIM_SLEEP: %v", err)
		}
		f.sleep[parts[0]] = sleepSpec{d: time.Duration(secs * float64(time.Second)), mid: len(parts) == 3}
	}
	for _, item := range splitList(getenv("MIXSIM_STRAY")) {
		task, daemon := strings.CutSuffix(item, ":daemon")
		f.stray[task] = daemon
	}
	if v := getenv("MIXSIM_BOOT_DELAY_MS"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil {
			return f, fmt.Errorf("MIXSIM_BOOT_DELAY_MS: %v", err)
		}
		f.bootDelay = time.Duration(ms) * time.Millisecond
	}
	return f, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// logInvocation appends the argv so tests can count VM starts.
func (f faults) logInvocation(args []string) error {
	if f.logPath == "" {
		return nil
	}
	fh, err := os.OpenFile(f.logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer fh.Close()
	_, err = fmt.Fprintln(fh, strings.Join(args, " "))
	return err
}

// doSleep announces readiness (so a test can signal us) and then sleeps.
func (f faults) doSleep(d time.Duration) {
	if f.readyFile != "" {
		_ = os.MkdirAll(filepath.Dir(f.readyFile), 0o755)
		_ = os.WriteFile(f.readyFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	}
	time.Sleep(d)
}

// strayArg is the argument that makes mixsim a task's stray process;
// strayLaunchArg makes it the shell in between (sh -c "… &"), which
// starts the stray and exits.
const (
	strayArg       = "__mixsim_stray"
	strayLaunchArg = "__mixsim_stray_launch"
)

// startStray starts what a task leaves running after it ends, as
// `System.cmd("sh", ["-c", "prog &"])` does: the shell gets a session of
// its own (the BEAM's erl_child_setup gives each program one), starts the
// program and exits, so the program's parent is gone before the task
// ends. It is mixsim again, sleeping for strayLife; a daemon's works from
// / as epmd does. The stray inherits the environment.
func startStray(root string, daemon bool) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, strayLaunchArg)
	cmd.Dir = root
	if daemon {
		cmd.Dir = "/"
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd.Run()
}

// launchStray is the shell in between: it starts the stray and exits.
func launchStray() int {
	self, err := os.Executable()
	if err != nil {
		return 1
	}
	if err := exec.Command(self, strayArg).Start(); err != nil {
		return 1
	}
	return 0
}

const strayLife = 2 * time.Minute

// injectedCompileError looks like a real compile failure of the app.
func injectedCompileError(task string) string {
	return fmt.Sprintf("\n== Compilation error in file lib/mixsim_injected.ex ==\n"+
		"** (CompileError) lib/mixsim_injected.ex:1: mixsim: injected failure for task %s (MIXSIM_FAIL)\n", task)
}

// boot is the start of a mix process: under the build lock, the BEAM boot
// (MIXSIM_BOOT_DELAY_MS) and MIXSIM_SLEEP=boot:<secs>, a start that hangs
// holding the lock.
func (f faults) boot(root string, stderr io.Writer) error {
	if _, err := os.Stat(filepath.Join(root, "mix.exs")); err != nil {
		return nil // not a project: nothing to compile, no lock
	}
	release, err := buildLock(root, stderr)
	if err != nil {
		return err
	}
	defer release()
	if f.bootDelay > 0 {
		time.Sleep(f.bootDelay)
	}
	if sp, ok := f.sleep["boot"]; ok {
		f.doSleep(sp.d)
	}
	return nil
}
