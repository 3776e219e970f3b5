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
	// SyncMarker, when set, marks lines the child writes to say "all my
	// output so far is written" (a driver after each request): a line
	// holding it is not shown, its token (the rest of the line) goes to
	// OnSync with the stream's name, after every line before it was shown.
	SyncMarker string
	OnSync     func(stream, token string)
	// ExtraFiles are passed as fds 3, 4, … (a side channel).
	ExtraFiles []*os.File
	// Input, when set, makes the child's stdin a pipe that the relay feeds
	// while the process asks (Process.Ask; Run asks for the whole run);
	// nil: stdin is /dev/null, so mix never waits for a keypress.
	Input *TTYRelay
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
	p, res, err := r.start(ctx, cmd)
	if err != nil {
		return res, err
	}
	var timeout <-chan time.Time
	if r.Timeout > 0 {
		timer := time.NewTimer(r.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}
	stopAsking := p.Ask()
	defer stopAsking()
	select {
	case <-p.done:
	case <-ctx.Done():
		if !isClosed(p.done) {
			res.Interrupted = true
			p.Stop(forwardSignal(ctx))
		}
	case <-timeout:
		if !isClosed(p.done) {
			res.TimedOut = true
			p.Stop(syscall.SIGINT)
		}
	}
	return p.result(res), nil
}

// Process is a child started by Start: it runs, with Run's process group,
// Pdeathsig, recording and streamed output, until it exits or is stopped.
// A task driver serving several requests is one (regen's one-VM driver).
type Process struct {
	r       *Runner
	c       *exec.Cmd
	child   Child
	done    <-chan struct{}
	waitErr *error
	start   time.Time
	stdout  *lineWriter
	stderr  *lineWriter
	tail    *tailBuffer
	relay   *TTYRelay
	stdin   *os.File // the write end of the child's stdin pipe (Command.Input)
	inMu    sync.Mutex
}

// Start starts cmd as Run does and returns at once; the caller watches
// Done, stops it with Stop, and reads how it ended with Wait. The
// Runner's Timeout does not apply: the caller bounds each request.
func (r *Runner) Start(ctx context.Context, cmd Command) (*Process, error) {
	p, _, err := r.start(ctx, cmd)
	return p, err
}

func (r *Runner) start(ctx context.Context, cmd Command) (*Process, Result, error) {
	if len(cmd.Argv) == 0 || cmd.Argv[0] == "" {
		return nil, Result{}, errors.New("no command to run: the command line is empty")
	}
	if err := childrenSupported(cmd.Argv[0]); err != nil {
		return nil, Result{}, err
	}
	path, err := resolveCommand(cmd.Argv[0], cmd.Dir)
	if err != nil {
		return nil, Result{}, err
	}
	if err := ctx.Err(); err != nil {
		// Not started at all is more honest than started-and-killed.
		return nil, Result{Interrupted: true}, fmt.Errorf("not starting %s: %w", cmd.Argv[0], context.Cause(ctx))
	}

	var mu sync.Mutex
	p := &Process{r: r, tail: &tailBuffer{max: stderrTailBytes}, relay: cmd.Input}
	term := &termLine{relay: cmd.Input}
	p.stdout = newLineWriter(r.Stdout, r.Indent, &mu, term)
	p.stderr = newLineWriter(r.Stderr, r.Indent, &mu, term)
	if cmd.SyncMarker != "" {
		p.stdout.sync = syncHook(cmd, "stdout")
		p.stderr.sync = syncHook(cmd, "stderr")
	}
	p.c = &exec.Cmd{
		Path:        path,
		Args:        cmd.Argv,
		Dir:         cmd.Dir,
		Env:         append(append(r.baseEnv(), r.Env...), cmd.Env...),
		Stdin:       nil, // os/exec connects /dev/null: mix must never wait for a keypress (but see Input)
		Stdout:      p.stdout,
		Stderr:      io.MultiWriter(p.tail, p.stderr), // the tail first: a sync line finds it complete
		SysProcAttr: childProcAttr(),
		WaitDelay:   pipeDrainDelay,
		ExtraFiles:  cmd.ExtraFiles,
	}
	var stdinR *os.File
	if cmd.Input != nil {
		if stdinR, p.stdin, err = os.Pipe(); err != nil {
			return nil, Result{}, fmt.Errorf("cannot make the stdin pipe of %s: %w", cmd.Argv[0], err)
		}
		p.c.Stdin = stdinR
	}
	p.start = time.Now()
	child, done, waitErr, err := startLocked(p.c)
	if stdinR != nil {
		stdinR.Close() // the child has its copy
	}
	if err != nil {
		p.closeStdin()
		return nil, Result{}, startError(cmd, err)
	}
	p.done, p.waitErr = done, waitErr
	child.Command = strings.Join(cmd.Argv, " ")
	p.child = child

	if cmd.Started != nil {
		if err := cmd.Started(child); err != nil {
			// Unrecorded, a child could outlive a crash unseen: stop it.
			r.stopGroup(child.PGID, syscall.SIGKILL, done)
			<-done
			return nil, Result{Interrupted: true}, fmt.Errorf("%s was stopped right after it started, because it could not be recorded: %w", cmd.Argv[0], err)
		}
	}
	return p, Result{}, nil
}

// Ask relays the user's terminal to the process until the returned stop
// is called (a no-op without Command.Input); the process's prompts are
// shown at once meanwhile.
func (p *Process) Ask() (stop func()) {
	p.inMu.Lock()
	w := p.stdin
	p.inMu.Unlock()
	if p.relay == nil || w == nil {
		return func() {}
	}
	stop = p.relay.Forward(w, p.closeStdin)
	p.stdout.kick() // a prompt written before the relay went on
	p.stderr.kick()
	return stop
}

// closeStdin ends the child's stdin: what it reads next is end of input.
func (p *Process) closeStdin() {
	p.inMu.Lock()
	defer p.inMu.Unlock()
	if p.stdin != nil {
		p.stdin.Close()
		p.stdin = nil
	}
}

// Child identifies the process (as cmd.Started was given it).
func (p *Process) Child() Child { return p.child }

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited: Done is closed.
func (p *Process) Exited() bool { return isClosed(p.done) }

// Stop sends first to the process's group, then SIGTERM, then SIGKILL,
// each after the Runner's grace, until the group is gone (as Run does on a
// cancel or a timeout).
func (p *Process) Stop(first syscall.Signal) { p.r.stopGroup(p.child.PGID, first, p.done) }

// Wait waits for the process to exit and says how it ended; flags (a
// timeout, an interruption the caller decided) come in res.
func (p *Process) Wait(res Result) Result { return p.result(res) }

// StderrMark and StderrSince give the end of what the process wrote to
// stderr after a mark: one request's share, for its error message.
func (p *Process) StderrMark() int64 { return p.tail.mark() }

func (p *Process) StderrSince(mark int64) string { return p.tail.since(mark) }

func (p *Process) result(res Result) Result {
	<-p.done
	p.closeStdin()
	p.stdout.Flush()
	p.stderr.Flush()
	c := p.c
	res.Duration = time.Since(p.start)
	res.Stderr = p.tail.String()
	res.OutputErr = errors.Join(p.stdout.err, p.stderr.err)
	if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signaled = true
		res.Signal = ws.Signal()
		res.ExitCode = 128 + int(ws.Signal())
	} else {
		res.ExitCode = c.ProcessState.ExitCode()
	}
	var exitErr *exec.ExitError
	if werr := *p.waitErr; werr != nil && !errors.As(werr, &exitErr) && !errors.Is(werr, exec.ErrWaitDelay) {
		// The process ran and ended; only the bookkeeping failed. Keep the
		// result, surface the problem with the output error.
		res.OutputErr = errors.Join(res.OutputErr, werr)
	}
	return res
}

// syncHook passes the token of a sync line on one stream to cmd.OnSync.
func syncHook(cmd Command, stream string) *syncLine {
	return &syncLine{marker: []byte(cmd.SyncMarker), on: func(token string) {
		if cmd.OnSync != nil {
			cmd.OnSync(stream, token)
		}
	}}
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
