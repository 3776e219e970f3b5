package migrator

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRunExitCodes(t *testing.T) {
	for _, code := range []int{0, 1, 2, 77} {
		var r Runner
		res, err := r.Run(context.Background(), childCommand("exit", "CHILD_CODE="+strconv.Itoa(code)))
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != code || res.Signaled || res.Interrupted || res.TimedOut {
			t.Errorf("exit %d: result %+v", code, res)
		}
		if res.Duration <= 0 {
			t.Errorf("duration = %v", res.Duration)
		}
	}
}

func TestRunStreamsIndentedOutput(t *testing.T) {
	var out, errOut watchBuffer
	r := Runner{Stdout: &out, Stderr: &errOut, Indent: "    "}
	res, err := r.Run(context.Background(), childCommand("output"))
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 {
		t.Errorf("exit = %d", res.ExitCode)
	}
	wantOut := "    ==> app\n    Compiling 2 files (.ex)\n\n    no newline at the end\n"
	if got := out.String(); got != wantOut {
		t.Errorf("stdout:\n%q\nwant\n%q", got, wantOut)
	}
	if got := errOut.String(); got != "    ** (Mix) something failed\n" {
		t.Errorf("stderr = %q", got)
	}
	// The tail is raw, without the indent, for error messages.
	if res.Stderr != "** (Mix) something failed\n" {
		t.Errorf("Result.Stderr = %q", res.Stderr)
	}
}

// Both streams to one writer: lines stay whole.
func TestRunSharedWriter(t *testing.T) {
	var both watchBuffer
	r := Runner{Stdout: &both, Stderr: &both, Indent: "| "}
	if _, err := r.Run(context.Background(), childCommand("output")); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(both.String(), "\n"), "\n") {
		if line != "|" && !strings.HasPrefix(line, "| ") {
			t.Errorf("line without indent: %q", line)
		}
	}
}

func TestRunStderrTailIsBounded(t *testing.T) {
	var r Runner // nil writers: output discarded
	res, err := r.Run(context.Background(), childCommand("bigstderr"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stderr) > stderrTailBytes || len(res.Stderr) < stderrTailBytes/2 {
		t.Errorf("tail is %d bytes", len(res.Stderr))
	}
	if !strings.HasPrefix(res.Stderr, "line ") || !strings.HasSuffix(res.Stderr, "** (RuntimeError) the end") {
		t.Errorf("tail should start at a line and end with the last output: %q...%q", res.Stderr[:20], res.Stderr[len(res.Stderr)-30:])
	}
}

func TestRunEnvAndDir(t *testing.T) {
	var out watchBuffer
	r := Runner{Stdout: &out}
	cmd := childCommand("env", "CHILD_VALUE=with spaces and 'quotes'")
	cmd.Dir = t.TempDir()
	if _, err := r.Run(context.Background(), cmd); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "with spaces and 'quotes'\n" {
		t.Errorf("env value = %q", got)
	}
}

func TestRunStdinIsDevNull(t *testing.T) {
	var out watchBuffer
	r := Runner{Stdout: &out}
	if _, err := r.Run(context.Background(), childCommand("stdin")); err != nil {
		t.Fatal(err)
	}
	// /dev/null is a character device that reads as empty at once.
	if got := out.String(); got != "read 0 bytes, err=<nil>\nstdin is char device: true\n" {
		t.Errorf("child saw stdin as %q", got)
	}
}

func TestRunOwnProcessGroup(t *testing.T) {
	var out watchBuffer
	r := Runner{Stdout: &out}
	if _, err := r.Run(context.Background(), childCommand("pgid")); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`pid=(\d+) pgid=(\d+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output %q", out.String())
	}
	if m[1] != m[2] {
		t.Errorf("child pgid %s != its pid %s: not a group leader", m[2], m[1])
	}
	if m[2] == strconv.Itoa(syscall.Getpgrp()) {
		t.Error("child shares the test's process group")
	}
}

func TestRunForwardsSignalCause(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(SignalName(sig), func(t *testing.T) {
			out := newWatchBuffer("ready")
			r := Runner{Stdout: out, Grace: 5 * time.Second}
			ctx, cancel := context.WithCancelCause(context.Background())
			go func() {
				<-out.seen
				cancel(&SignalCause{Signal: sig})
			}()
			res, err := r.Run(ctx, childCommand("trap"))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Interrupted || res.ExitCode != 42 || res.Signaled {
				t.Errorf("result %+v, want the child's own exit 42 after trapping", res)
			}
			if want := "got " + sig.String(); !strings.Contains(out.String(), want) {
				t.Errorf("output %q, want %q", out.String(), want)
			}
			if res.Duration > 3*time.Second {
				t.Errorf("took %v: the trapped signal should end it at once", res.Duration)
			}
		})
	}
}

// Without a SignalCause (plain cancel) SIGINT is sent; a child with default
// handling dies of it.
func TestRunPlainCancelSendsSIGINT(t *testing.T) {
	out := newWatchBuffer("ready")
	r := Runner{Stdout: out, Grace: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-out.seen; cancel() }()
	res, err := r.Run(ctx, childCommand("sleep"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || !res.Signaled || res.Signal != syscall.SIGINT || res.ExitCode != 130 {
		t.Errorf("result %+v, want killed by SIGINT (130)", res)
	}
}

func TestRunEscalatesToSIGTERMThenSIGKILL(t *testing.T) {
	const grace = 200 * time.Millisecond
	t.Run("ignores SIGINT", func(t *testing.T) {
		out := newWatchBuffer("ready")
		r := Runner{Stdout: out, Grace: grace}
		ctx, cancel := context.WithCancelCause(context.Background())
		go func() { <-out.seen; cancel(&SignalCause{Signal: os.Interrupt}) }()
		res, err := r.Run(ctx, childCommand("ignore-int"))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Signaled || res.Signal != syscall.SIGTERM || !res.Interrupted {
			t.Errorf("result %+v, want ended by SIGTERM", res)
		}
		if res.Duration < grace {
			t.Errorf("SIGTERM came after %v, before the %v grace", res.Duration, grace)
		}
	})
	t.Run("ignores SIGINT and SIGTERM", func(t *testing.T) {
		out := newWatchBuffer("ready")
		r := Runner{Stdout: out, Grace: grace}
		ctx, cancel := context.WithCancelCause(context.Background())
		var cancelled time.Time
		go func() { <-out.seen; cancelled = time.Now(); cancel(&SignalCause{Signal: syscall.SIGINT}) }()
		res, err := r.Run(ctx, childCommand("ignore"))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Signaled || res.Signal != syscall.SIGKILL || res.ExitCode != 137 || !res.Interrupted {
			t.Errorf("result %+v, want SIGKILL", res)
		}
		if d := time.Since(cancelled); d < 2*grace || d > 2*grace+3*time.Second {
			t.Errorf("SIGKILL after %v, want about 2×%v", d, grace)
		}
	})
}

func TestRunTimeout(t *testing.T) {
	out := newWatchBuffer("")
	r := Runner{Stdout: out, Grace: 100 * time.Millisecond, Timeout: 300 * time.Millisecond}
	res, err := r.Run(context.Background(), childCommand("ignore"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.Interrupted || res.Signal != syscall.SIGKILL {
		t.Errorf("result %+v, want TimedOut and SIGKILL", res)
	}
	if res.Duration < 500*time.Millisecond || res.Duration > 5*time.Second {
		t.Errorf("duration %v, want about 300ms + 2×100ms", res.Duration)
	}
	// A command that finishes in time is not marked.
	r.Timeout = 10 * time.Second
	res, err = r.Run(context.Background(), childCommand("exit"))
	if err != nil || res.TimedOut || res.ExitCode != 0 {
		t.Errorf("fast command: %+v %v", res, err)
	}
}

// The signal goes to the whole process group: a grandchild (erl under the
// mix script, the container client under docker compose) receives it too.
func TestRunSignalsGrandchildren(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "grandchild-got-sigint")
	out := newWatchBuffer("ready")
	r := Runner{Stdout: out, Grace: 5 * time.Second}
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() { <-out.seen; cancel(&SignalCause{Signal: syscall.SIGINT}) }()
	res, err := r.Run(ctx, childCommand("parent", "CHILD_MARKER="+marker))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(marker)
	if err != nil || string(data) != "got SIGINT" {
		t.Fatalf("grandchild did not get SIGINT: %v", err)
	}
	// The parent survived SIGINT and exited after its grandchild did.
	if res.ExitCode != 7 || !res.Interrupted {
		t.Errorf("result %+v", res)
	}
}

func TestRunCommandNotFound(t *testing.T) {
	var r Runner
	_, err := r.Run(context.Background(), Command{Argv: []string{"regen-no-such-mix-xyz", "ash.codegen"}})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{`"regen-no-such-mix-xyz"`, "not found", "REGEN_MIX", ".regen.toml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("error does not wrap exec.ErrNotFound: %v", err)
	}

	// A relative path is resolved against Dir, and reported when missing.
	_, err = r.Run(context.Background(), Command{Argv: []string{"./bin/mix"}, Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "bin/mix") || !strings.Contains(err.Error(), "REGEN_MIX") {
		t.Errorf("relative missing command: %v", err)
	}

	// Not executable.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mix"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(context.Background(), Command{Argv: []string{"./mix"}, Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "REGEN_MIX") {
		t.Errorf("non-executable command: %v", err)
	}

	if _, err := r.Run(context.Background(), Command{}); err == nil {
		t.Error("empty argv: want an error")
	}
}

func TestRunRelativeToDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(os.Args[0], filepath.Join(dir, "bin", "mix")); err != nil {
		t.Skip(err)
	}
	var out watchBuffer
	r := Runner{Stdout: &out}
	res, err := r.Run(context.Background(), Command{Argv: []string{"./bin/mix", "-test.run=^$"}, Dir: dir, Env: []string{childEnv + "=env", "CHILD_VALUE=from dir"}})
	if err != nil || res.ExitCode != 0 || out.String() != "from dir\n" {
		t.Errorf("%+v %v %q", res, err, out.String())
	}
}

func TestRunMissingDir(t *testing.T) {
	var r Runner
	cmd := childCommand("exit")
	cmd.Dir = filepath.Join(t.TempDir(), "nope")
	if _, err := r.Run(context.Background(), cmd); err == nil || !strings.Contains(err.Error(), "working directory") {
		t.Errorf("err = %v", err)
	}
}

func TestRunAlreadyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&SignalCause{Signal: syscall.SIGINT})
	var r Runner
	res, err := r.Run(ctx, childCommand("exit"))
	if err == nil || !strings.Contains(err.Error(), "interrupted by SIGINT") || !res.Interrupted {
		t.Errorf("%+v %v", res, err)
	}
}

// A broken output writer must not disturb the child.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("terminal gone") }

func TestRunSurvivesBrokenOutput(t *testing.T) {
	r := Runner{Stdout: failingWriter{}, Stderr: failingWriter{}}
	res, err := r.Run(context.Background(), childCommand("bigstderr"))
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 1 || res.Signaled {
		t.Errorf("child was disturbed: %+v", res)
	}
	if res.OutputErr == nil || !strings.Contains(res.OutputErr.Error(), "terminal gone") {
		t.Errorf("OutputErr = %v", res.OutputErr)
	}
	if !strings.HasSuffix(res.Stderr, "the end") {
		t.Error("tail still collected")
	}
}

func TestSignalCause(t *testing.T) {
	for sig, want := range map[os.Signal]string{
		syscall.SIGINT:     "interrupted by SIGINT (Ctrl-C)",
		syscall.SIGTERM:    "interrupted by SIGTERM",
		syscall.SIGHUP:     "interrupted by SIGHUP (the terminal was closed)",
		syscall.SIGQUIT:    `interrupted by SIGQUIT (Ctrl-\)`,
		syscall.Signal(64): "interrupted by signal 64",
	} {
		if got := (&SignalCause{Signal: sig}).Error(); got != want {
			t.Errorf("%v: %q, want %q", sig, got, want)
		}
	}
	var err error = &SignalCause{Signal: syscall.SIGTERM}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(err)
	if forwardSignal(ctx) != syscall.SIGTERM {
		t.Error("forwardSignal ignores the cause")
	}
	// The BEAM ignores SIGHUP and halts on SIGQUIT: these and the rest
	// reach mix as its orderly stop, SIGTERM.
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE, syscall.SIGABRT, syscall.SIGSYS} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(&SignalCause{Signal: sig})
		if got := forwardSignal(ctx); got != syscall.SIGTERM {
			t.Errorf("%v is forwarded as %v, want SIGTERM", sig, got)
		}
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if forwardSignal(ctx2) != syscall.SIGINT {
		t.Error("default is not SIGINT")
	}
}

// Issue 10: a blank line in a mix task's output keeps the `│` gutter (the
// engine's indent), so the child's output reads as one block; without the
// indent's trailing space. A CRLF blank line too.
func TestRunBlankLinesKeepTheGutter(t *testing.T) {
	var both watchBuffer
	r := Runner{Stdout: &both, Stderr: &both, Indent: "    │ "}
	if _, err := r.Run(context.Background(), childCommand("output")); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(both.String(), "\n"), "\n")
	blank := 0
	for _, line := range lines {
		if !strings.HasPrefix(line, "    │") {
			t.Errorf("line without the gutter: %q", line)
		}
		if strings.TrimRight(line, " \t") != line {
			t.Errorf("trailing space: %q", line)
		}
		if line == "    │" {
			blank++
		}
	}
	if blank != 1 {
		t.Errorf("want the one blank line as a bare gutter, got %d in:\n%s", blank, both.String())
	}
	var crlf watchBuffer
	w := newLineWriter(&crlf, "    │ ", &sync.Mutex{}, &termLine{})
	w.Write([]byte("a\r\n\r\nb\n"))
	if got := crlf.String(); got != "    │ a\r\n    │\r\n    │ b\n" {
		t.Errorf("CRLF: %q", got)
	}
}

// Runner.Env reaches every command, Runner.Unset removes inherited
// variables (the outer repository's GIT_* for a submodule), and a
// command's own Env still wins.
func TestRunRunnerEnvAndUnset(t *testing.T) {
	t.Setenv("CHILD_VALUE", "inherited")
	var out watchBuffer
	r := Runner{Stdout: &out, Unset: []string{"CHILD_VALUE"}}
	if _, err := r.Run(context.Background(), childCommand("env")); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "\n" {
		t.Errorf("unset variable reached the child as %q", got)
	}
	out = watchBuffer{}
	r = Runner{Stdout: &out, Env: []string{"CHILD_VALUE=runner"}}
	if _, err := r.Run(context.Background(), childCommand("env")); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "runner\n" {
		t.Errorf("Runner.Env: child saw %q", got)
	}
}
