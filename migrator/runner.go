package migrator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultGrace is how long Run waits after each signal before escalating.
// mix needs a moment to let a migration's transaction roll back.
const DefaultGrace = 5 * time.Second

// pipeDrainDelay bounds how long Run keeps reading output after the child
// exited: a grandchild that inherited the pipes (a daemon, a stuck port
// program) must not hold regen forever.
const pipeDrainDelay = 2 * time.Second

// groupPollInterval is how often Run checks whether a signalled process
// group has emptied.
const groupPollInterval = 20 * time.Millisecond

// Command is one child process to run. It is never passed through a shell:
// arguments reach the program exactly as given.
type Command struct {
	Argv []string // Argv[0] is resolved with exec.LookPath; a relative path with a slash is relative to Dir
	Dir  string
	Env  []string // extra KEY=VALUE, appended to os.Environ() (later entries win)
	// Started, when set, is called once the child runs, with what
	// identifies it (the engine journals it, so that a later regen can make
	// sure the child's group is gone). An error stops the child at once.
	Started func(Child) error
}

// Runner runs commands; its zero value discards output and uses DefaultGrace.
type Runner struct {
	Stdout, Stderr io.Writer     // the child's output, copied line by line with Indent in front
	Indent         string        // e.g. "    "
	Grace          time.Duration // wait after each forwarded signal before escalating (0: DefaultGrace)
	Timeout        time.Duration // 0: none; on expiry the same escalation as a cancel, and Result.TimedOut
	Env            []string      // KEY=VALUE for every command, after os.Environ() and before Command.Env
	Unset          []string      // names removed from os.Environ() for every command
}

// Environ is the environment every command starts with (before its own
// Command.Env): what a cache of a command's result must key on.
func (r *Runner) Environ() []string { return append(r.baseEnv(), r.Env...) }

// baseEnv is os.Environ() without the names in Unset.
func (r *Runner) baseEnv() []string {
	env := os.Environ()
	if len(r.Unset) == 0 {
		return env
	}
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, u := range r.Unset {
			drop = drop || u == name
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// Result describes how a child ended. A failing child is a Result, not an
// error: the engine decides what a non-zero exit means.
type Result struct {
	ExitCode    int            // exit status; 128+signal number when Signaled (as shells report it)
	Signaled    bool           // the child was ended by a signal
	Signal      syscall.Signal // that signal, when Signaled
	TimedOut    bool           // Runner.Timeout expired and the child was stopped
	Interrupted bool           // ctx was cancelled and the child was stopped
	Duration    time.Duration
	Stderr      string // the last ~4 KiB of stderr, for error messages
	// OutputErr is the first error writing the child's output to
	// Runner.Stdout/Stderr; the child kept running regardless.
	OutputErr error
}

// Run starts cmd in its own process group with stdin from /dev/null, streams
// its output and waits for it.
//
// Its own process group keeps a terminal's Ctrl-C from reaching the child
// behind regen's back (regen must decide, and record, what happens next) and
// lets regen signal the child together with everything it spawned (mix runs
// erl, docker compose runs a client): on cancel, the signal from the
// context's *SignalCause (else SIGINT) goes to the whole group, then after
// Grace SIGTERM, then after Grace SIGKILL.
//
// On Linux the child also gets SIGKILL when regen dies (Pdeathsig), so a
// kill -9 of regen leaves no mix behind; everywhere, cmd.Started lets the
// caller record the child's group for a later regen to stop.
//
// The error is non-nil only when the command could not be started (or could
// not be recorded, in which case it was stopped).
func (r *Runner) Run(ctx context.Context, cmd Command) (Result, error) {
	if len(cmd.Argv) == 0 || cmd.Argv[0] == "" {
		return Result{}, errors.New("no command to run: the command line is empty")
	}
	if err := childrenSupported(cmd.Argv[0]); err != nil {
		return Result{}, err
	}
	path, err := resolveCommand(cmd.Argv[0], cmd.Dir)
	if err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		// Not started at all is more honest than started-and-killed.
		return Result{Interrupted: true}, fmt.Errorf("not starting %s: %w", cmd.Argv[0], context.Cause(ctx))
	}

	var mu sync.Mutex
	stdout := newLineWriter(r.Stdout, r.Indent, &mu)
	stderr := newLineWriter(r.Stderr, r.Indent, &mu)
	tail := &tailBuffer{max: stderrTailBytes}
	c := &exec.Cmd{
		Path:        path,
		Args:        cmd.Argv,
		Dir:         cmd.Dir,
		Env:         append(append(r.baseEnv(), r.Env...), cmd.Env...),
		Stdin:       nil, // os/exec connects /dev/null: mix must never wait for a keypress
		Stdout:      stdout,
		Stderr:      io.MultiWriter(stderr, tail),
		SysProcAttr: childProcAttr(),
		WaitDelay:   pipeDrainDelay,
	}
	start := time.Now()
	child, done, waitErr, err := startLocked(c)
	if err != nil {
		return Result{}, startError(cmd, err)
	}
	pgid := child.PGID
	child.Command = strings.Join(cmd.Argv, " ")

	if cmd.Started != nil {
		if err := cmd.Started(child); err != nil {
			// Unrecorded, a child could outlive a crash unseen: stop it.
			r.stopGroup(pgid, syscall.SIGKILL, done)
			<-done
			return Result{Interrupted: true}, fmt.Errorf("%s was stopped right after it started, because it could not be recorded: %w", cmd.Argv[0], err)
		}
	}

	var timeout <-chan time.Time
	if r.Timeout > 0 {
		timer := time.NewTimer(r.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}

	var res Result
	select {
	case <-done:
	case <-ctx.Done():
		if !isClosed(done) {
			res.Interrupted = true
			r.stopGroup(pgid, forwardSignal(ctx), done)
		}
	case <-timeout:
		if !isClosed(done) {
			res.TimedOut = true
			r.stopGroup(pgid, syscall.SIGINT, done)
		}
	}
	<-done
	stdout.Flush()
	stderr.Flush()

	res.Duration = time.Since(start)
	res.Stderr = tail.String()
	res.OutputErr = errors.Join(stdout.err, stderr.err)
	if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signaled = true
		res.Signal = ws.Signal()
		res.ExitCode = 128 + int(ws.Signal())
	} else {
		res.ExitCode = c.ProcessState.ExitCode()
	}
	var exitErr *exec.ExitError
	if werr := *waitErr; werr != nil && !errors.As(werr, &exitErr) && !errors.Is(werr, exec.ErrWaitDelay) {
		// The process ran and ended; only the bookkeeping failed. Keep the
		// result, surface the problem with the output error.
		res.OutputErr = errors.Join(res.OutputErr, werr)
	}
	return res, nil
}

// stopGroup sends first to the child's process group, then SIGTERM, then
// SIGKILL, each after Grace, until the child has exited and no process of
// its group is left (a grandchild ignoring SIGINT must not outlive the run
// and keep the database open).
func (r *Runner) stopGroup(pgid int, first syscall.Signal, done <-chan struct{}) {
	grace := r.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	steps := []syscall.Signal{first}
	if first != syscall.SIGTERM && first != syscall.SIGKILL {
		steps = append(steps, syscall.SIGTERM)
	}
	if first != syscall.SIGKILL {
		steps = append(steps, syscall.SIGKILL)
	}
	for _, sig := range steps {
		if isClosed(done) && !groupAlive(pgid) {
			return
		}
		// ESRCH only means everyone already left.
		_ = signalGroup(pgid, sig)
		if sig == syscall.SIGKILL {
			return
		}
		if waitGroupGone(pgid, done, grace) {
			return
		}
	}
}

// waitGroupGone waits up to d for the child to exit and its group to empty.
func waitGroupGone(pgid int, done <-chan struct{}, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(groupPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			return false
		case <-done:
		case <-tick.C:
		}
		if isClosed(done) && !groupAlive(pgid) {
			return true
		}
	}
}

// groupAlive reports whether any process is left in the group. Signal 0
// checks without sending anything.
func groupAlive(pgid int) bool {
	return signalGroup(pgid, 0) == nil
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// resolveCommand finds the executable. A relative path with a slash
// (./bin/mix) means relative to the command's directory, the project root,
// not to wherever regen was started.
func resolveCommand(name, dir string) (string, error) {
	candidate := name
	if strings.ContainsRune(name, filepath.Separator) && !filepath.IsAbs(name) && dir != "" {
		candidate = filepath.Join(dir, name)
	}
	path, err := exec.LookPath(candidate)
	if err == nil {
		return path, nil
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		where := "in PATH"
		if strings.ContainsRune(name, filepath.Separator) {
			where = "at " + candidate
		}
		return "", fmt.Errorf("command %q not found %s; set REGEN_MIX or `mix` in .regen.toml to the mix command to use: %w", name, where, err)
	}
	return "", fmt.Errorf("cannot run %q: %w; set REGEN_MIX or `mix` in .regen.toml to the mix command to use", name, err)
}

func startError(cmd Command, err error) error {
	if cmd.Dir != "" {
		if _, statErr := os.Stat(cmd.Dir); statErr != nil {
			return fmt.Errorf("cannot start %q: working directory: %w", cmd.Argv[0], statErr)
		}
	}
	return fmt.Errorf("cannot start %q: %w; set REGEN_MIX or `mix` in .regen.toml to the mix command to use", cmd.Argv[0], err)
}
