package regen

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
)

// One BEAM for the whole run (issue 15). The config query, the rollback,
// codegen and migrate run in one `mix run --no-start FILE` of the one-VM
// driver (vmdriver_elixir.go): it prints the repos' config, then runs the
// tasks regen asks for one at a time, so regen still verifies the database
// after each step and has taken its backup before the first task. The
// requests go over a unix socket in a private temp folder, never the
// driver's stdin/stdout: the tasks' output streams as before.
//
// The separate starts stay as the fallback: one_vm = false, an umbrella,
// Windows (no unix socket in the BEAM there), and a driver that fails
// before any task was sent (an Elixir/OTP too old for a local socket, a
// mix that runs elsewhere, a compile error, a timeout): regen says so and
// runs each step in a start of its own. After a task was sent, a failure
// is the step's, compensated like any other.

// vmStartTimeout bounds the driver's start up to its config (the query's
// bound).
const vmStartTimeout = 5 * time.Minute

// vmSyncWait bounds the wait for a task's last output after its outcome
// (a task that closed its stdout never writes the sync line).
const vmSyncWait = 5 * time.Second

// vmDriver is the run's one driver VM.
type vmDriver struct {
	proc *migrator.Process // nil when mix regen's VM is the host
	dir  string            // private temp folder: the socket and the script
	// releaseDir drops this process's lock on dir (vmTempDir).
	releaseDir func()
	ln         net.Listener
	conn       net.Conn
	msgs       chan vmMsg
	ready      chan struct{} // closed once the config is read or the start failed
	stop       chan struct{} // closed by close: the start is given up
	// Set before ready is closed, read after.
	answers string // the regen-repo lines
	err     error  // the driver failed before any task: use the fallback

	out     *gateWriter // the driver's output, held until its first task
	child   migrator.Child
	checked bool // the database check passed
	sent    bool // a task was sent: the databases may have changed
	closed  bool
	quit    bool // told to quit (release): close only waits for its end
	warned  bool
	seq     int
	// nonce is in every task's request token (task seq "." nonce), which
	// the driver's sync lines and outcome echo: a task's output can show
	// a sync line, never one regen takes (it never sees the nonce).
	nonce string
	// marker is the run's KEY=VALUE in mix regen's VM, sent (env) before
	// its first task: that VM started before the run, without it.
	marker     string
	markerSent bool
	host       bool // mix regen's VM is the driver

	// asked hears of a read a task made in mix regen's VM with no one to
	// answer: that VM showed the prompt on its terminal, unseen by regen.
	asked func(prompt string)

	syncMu sync.Mutex
	synced map[string]int // stream -> last sync seq
	syncCh chan struct{}
}

type vmMsg struct {
	fields []string
	err    error
}

// vmUnavailable says why a run cannot have the one-VM driver ("" when it can).
func vmUnavailable(cfg *project.Config) string {
	switch {
	case !cfg.OneVM:
		return "one_vm = false"
	case cfg.Umbrella:
		return "an umbrella's tasks run in each app's folder"
	case runtime.GOOS == "windows":
		return "the BEAM has no unix sockets on Windows"
	case len(cfg.Mix) == 0 || len(cfg.Codegen) == 0 || cfg.Codegen[0] != "{mix}":
		return "codegen is not a mix task"
	}
	return ""
}

// startVM starts the run's driver (once): env and started as for any
// child of the run (journaledCommand), or, before the run has a journal,
// its marker only (begin records the child).
func (e *Engine) startVM(ctx context.Context, cfg *project.Config, cmd migrator.Command) *vmDriver {
	if e.vm != nil {
		return e.vm
	}
	vm := &vmDriver{msgs: make(chan vmMsg, 4), ready: make(chan struct{}), stop: make(chan struct{}), synced: map[string]int{}, syncCh: make(chan struct{}, 1), nonce: rand.Text()}
	e.vm = vm
	if e.questions != nil {
		vm.asked = e.questions.unansweredPrompt
	}
	if err := vm.launch(ctx, e, cfg, cmd); err != nil {
		vm.err = err
		close(vm.ready)
		return vm
	}
	go vm.connect()
	return vm
}

func (vm *vmDriver) launch(ctx context.Context, e *Engine, cfg *project.Config, cmd migrator.Command) error {
	// Folders runs killed with -9 left behind go, off the run's path.
	go sweepVMTempDirs(time.Now())
	dir, release, err := vmTempDir() // locked by this process (vmtemp_unix.go)
	if err != nil {
		return err
	}
	vm.dir, vm.releaseDir = dir, release
	sock := filepath.Join(dir, "s")
	if len(sock) > 100 {
		return fmt.Errorf("the socket path %s is too long for a unix socket", sock)
	}
	if vm.ln, err = net.Listen("unix", sock); err != nil {
		return err
	}
	boot, err := vmDriverBoot(dir, project.CacheDir(e.stateDir, true)) // the module, compiled once (vmdriver_cache.go)
	if err != nil {
		return err
	}
	for _, kv := range cmd.Env {
		if strings.HasPrefix(kv, runMarkerEnv+"=") {
			vm.marker = kv
		}
	}
	if e.opts.Getenv != nil && e.opts.Getenv(hostDriverEnv) == "fd" && len(cfg.Mix) == 1 && cfg.Mix[0] == "mix" {
		// Only for the plain `mix` that mix regen's VM is: a configured
		// command (a container, a wrapper) gets its own VM.
		if hostPortInherited(hostToVMFD) {
			vm.host = true
			return vm.hostIn(sock, boot) // mix regen's VM is the driver (vmdriver_host.go)
		}
		e.rep.Warn("%s=fd is set, but fd %d is not mix regen's port: the variable is ignored and this run starts its own mix VM (only the Hex package's mix regen sets it; unset it)", hostDriverEnv, hostToVMFD)
	}
	script := filepath.Join(dir, "driver.exs")
	// A plain write, no fsync: the file lives only as long as this run, in
	// its private folder, and is read only by the VM started next; its
	// fsyncs (file and folder) were on the path to the VM's boot.
	if err := os.WriteFile(script, []byte(vmDriverScript(boot)), 0o600); err != nil {
		return err
	}
	cmd.Argv = append(append([]string{}, cfg.Mix...), "run", "--no-start", script)
	cmd.Dir = cfg.Root
	cmd.Env = append(cmd.Env, "REGEN_DRIVER_SOCKET="+sock)
	cmd.SyncMarker, cmd.OnSync = vmSyncMarker, vm.onSync
	// Its stdin is a pipe regen feeds only while codegen runs (run-tty),
	// never the terminal itself: the VM reads its stdin eagerly.
	cmd.Input = e.relay
	started := cmd.Started
	cmd.Started = func(c migrator.Child) error {
		vm.child = c
		if started != nil {
			return started(c)
		}
		return nil
	}
	// Its boot's output (compiling) waits for its first task: regen's own
	// report of the plan and the backup comes first, unbroken.
	r := *e.runner
	vm.out = &gateWriter{w: r.Stdout}
	r.Stdout, r.Stderr = vm.out, vm.out
	vm.proc, err = r.Start(ctx, cmd)
	return err
}

// connect waits for the driver to connect, then reads its hello and config.
func (vm *vmDriver) connect() {
	defer close(vm.ready)
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := vm.ln.Accept()
		ch <- accepted{c, err}
	}()
	bound := vmStartTimeout
	if vm.proc == nil {
		bound = hostConnectTimeout // mix regen's VM is up already
	}
	timer := time.NewTimer(bound)
	defer timer.Stop()
	select {
	case a := <-ch:
		if a.err != nil {
			vm.err = a.err
			return
		}
		vm.conn = a.c
	case <-vm.procDone():
		res := vm.proc.Wait(migrator.Result{})
		vm.err = fmt.Errorf("it ended (exit %d) before it connected:\n%s", res.ExitCode, indent(tail(strings.TrimSpace(res.Stderr), 1500)))
		return
	case <-timer.C:
		vm.err = fmt.Errorf("it did not connect within %s", bound)
		return
	case <-vm.stop:
		vm.err = errors.New("given up")
		return
	}
	vm.ln.Close() // one driver, one connection
	go vm.read()
	hello, err := vm.recv(context.Background(), vmStartTimeout)
	if err == nil && (len(hello) < 2 || hello[0] != "hello" || hello[1] != "1") {
		err = fmt.Errorf("it does not speak protocol 1 (%q)", strings.Join(hello, " "))
	}
	if err != nil {
		vm.err = err
		return
	}
	cfgMsg, err := vm.recv(context.Background(), vmStartTimeout)
	switch {
	case err != nil:
		vm.err = err
	case len(cfgMsg) > 0 && cfgMsg[0] == "config":
		vm.answers = strings.Join(cfgMsg[1:], "\n") + "\n"
	case len(cfgMsg) > 1 && cfgMsg[0] == "config-error":
		vm.err = fmt.Errorf("asking for the repos' config failed: %s", cfgMsg[1])
	default:
		vm.err = fmt.Errorf("unexpected answer %q", strings.Join(cfgMsg, " "))
	}
}

// read turns the socket's frames into messages until it fails.
func (vm *vmDriver) read() {
	r := bufio.NewReader(vm.conn)
	for {
		var n uint32
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			vm.msgs <- vmMsg{err: err}
			return
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			vm.msgs <- vmMsg{err: err}
			return
		}
		var fields []string
		for _, f := range strings.Split(string(buf), " ") {
			v, err := url.QueryUnescape(f)
			if err != nil {
				v = f
			}
			fields = append(fields, v)
		}
		vm.msgs <- vmMsg{fields: fields}
	}
}

func (vm *vmDriver) send(fields ...string) error {
	enc := make([]string, len(fields))
	for i, f := range fields {
		enc[i] = url.QueryEscape(f)
	}
	msg := strings.Join(enc, " ")
	frame := make([]byte, 4+len(msg))
	binary.BigEndian.PutUint32(frame, uint32(len(msg)))
	copy(frame[4:], msg)
	_, err := vm.conn.Write(frame)
	return err
}

// procDone is closed when the driver's own VM ended (never for mix
// regen's VM: its end is the socket's).
func (vm *vmDriver) procDone() <-chan struct{} {
	if vm.proc == nil {
		return nil
	}
	return vm.proc.Done()
}

// errVMGone: the driver's VM ended or its socket broke.
var errVMGone = errors.New("the driver VM went away")

// recv waits for the driver's next message, its end, ctx or d (0: no bound).
func (vm *vmDriver) recv(ctx context.Context, d time.Duration) ([]string, error) {
	var timeout <-chan time.Time
	if d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		timeout = timer.C
	}
	done := vm.procDone()
	for {
		m, err := vm.recvOne(ctx, timeout, done)
		if err == nil && len(m) == 2 && m[0] == "asked" {
			if vm.asked != nil {
				vm.asked(m[1])
			}
			continue // the answer awaited is still to come
		}
		return m, err
	}
}

func (vm *vmDriver) recvOne(ctx context.Context, timeout <-chan time.Time, done <-chan struct{}) ([]string, error) {
	select {
	case m := <-vm.msgs:
		if m.err != nil {
			return nil, errVMGone
		}
		return m.fields, nil
	case <-done:
		// What it wrote before it ended may still be queued.
		select {
		case m := <-vm.msgs:
			if m.err == nil {
				return m.fields, nil
			}
		default:
		}
		return nil, errVMGone
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	case <-timeout:
		return nil, errVMTimeout
	}
}

var errVMTimeout = errors.New("the driver did not answer in time")

// token is a task's request token: its seq and the run's nonce.
func (vm *vmDriver) token(seq int) string { return strconv.Itoa(seq) + "." + vm.nonce }

func (vm *vmDriver) onSync(stream, token string) {
	seq, ok := strings.CutSuffix(token, "."+vm.nonce)
	if !ok {
		return // a task's output, not the driver's
	}
	n, err := strconv.Atoi(seq)
	if err != nil {
		return
	}
	vm.syncMu.Lock()
	if n > vm.seq {
		// Not the driver's: a task printed a sync line of a task not yet
		// sent; taken, it would cut the wait for the next one's output.
		vm.syncMu.Unlock()
		return
	}
	vm.synced[stream] = n
	vm.syncMu.Unlock()
	select {
	case vm.syncCh <- struct{}{}:
	default:
	}
}

// awaitSync waits until both streams showed everything before sync seq.
func (vm *vmDriver) awaitSync(seq int) {
	if vm.proc == nil {
		return
	}
	timer := time.NewTimer(vmSyncWait)
	defer timer.Stop()
	for {
		vm.syncMu.Lock()
		done := vm.synced["stdout"] >= seq && vm.synced["stderr"] >= seq
		vm.syncMu.Unlock()
		if done {
			return
		}
		select {
		case <-vm.syncCh:
		case <-vm.proc.Done():
			return
		case <-timer.C:
			return
		}
	}
}

// usable waits for the driver's start; false (and a warning, once) when
// it failed before any task, so the caller takes the separate starts.
func (vm *vmDriver) usable(ctx context.Context, rep Reporter) bool {
	if vm == nil || vm.closed || vm.quit {
		return false
	}
	select {
	case <-vm.ready:
	case <-ctx.Done():
		return false
	}
	if vm.err == nil {
		return true
	}
	vm.fallback(rep, vm.err)
	return false
}

// fallback gives the driver up before any task: nothing changed.
func (vm *vmDriver) fallback(rep Reporter, why error) {
	if !vm.warned {
		vm.warned = true
		rep.Warn("the one-VM mix driver failed before any change (%v); each step runs in a mix start of its own", why)
	}
	vm.err = why
	vm.out.open() // what it said (a compile error) is the user's to see
	vm.close()
}

// check asks the driver whether each repo's database in its VM is the
// one regen backed up: nil, or the mismatch.
func (vm *vmDriver) check(ctx context.Context, expected []string) (*DatabaseMismatchError, error) {
	if err := vm.send(append([]string{"check"}, expected...)...); err != nil {
		return nil, errVMGone
	}
	m, err := vm.recv(ctx, vmStartTimeout)
	if err != nil {
		return nil, err
	}
	if len(m) == 0 || m[0] != "checked" {
		return nil, fmt.Errorf("unexpected answer %q", strings.Join(m, " "))
	}
	return parseMismatch(strings.Join(m[1:], "\n")), nil
}

// vmOutcome is how one task ended in the driver.
type vmOutcome struct {
	Status      int // 0: it succeeded
	Stderr      string
	Ended       *migrator.Result // the VM ended during the task
	Interrupted bool
	TimedOut    bool
	Duration    time.Duration
}

// run runs one task (reenabling those it hands over to, as the one-shot
// driver does) and waits for its outcome and its last output.
func (vm *vmDriver) run(ctx context.Context, task []string, timeout time.Duration) vmOutcome {
	return vm.runAsking(ctx, task, timeout, false)
}

// runAsking is run; with ask the task may read stdin (run-tty), which the
// run's relay feeds from the user's terminal while the task runs. In mix
// regen's VM the task reads that VM's own terminal.
func (vm *vmDriver) runAsking(ctx context.Context, task []string, timeout time.Duration, ask bool) vmOutcome {
	start := time.Now()
	vm.out.open()
	vm.syncMu.Lock() // onSync reads it
	vm.seq++
	seq := vm.seq
	vm.syncMu.Unlock()
	var mark int64
	if vm.proc != nil {
		mark = vm.proc.StderrMark()
	}
	vm.sent = true
	if ask && vm.proc != nil {
		// On before the request: the question may come at once.
		stop := vm.proc.Ask()
		defer stop()
	}
	err := func() error {
		if vm.host && vm.marker != "" && !vm.markerSent {
			k, v, _ := strings.Cut(vm.marker, "=")
			if err := vm.send("env", k, v); err != nil {
				return errVMGone
			}
			vm.markerSent = true
		}
		if d := delegatedTasks[task[0]]; len(d) > 0 {
			if err := vm.send(append([]string{"reenable"}, d...)...); err != nil {
				return errVMGone
			}
		}
		verb := "run"
		if ask {
			verb = "run-tty"
		}
		return vm.send(append([]string{verb, vm.token(seq)}, task...)...)
	}()
	var m []string
	if err == nil {
		m, err = vm.recv(ctx, timeout)
	}
	out := vmOutcome{}
	switch {
	case err == nil && len(m) >= 3 && m[0] == "done" && m[1] == vm.token(seq):
		vm.awaitSync(seq)
		if m[2] != "ok" {
			out.Status = 1
			if len(m) > 3 {
				if n, err := strconv.Atoi(m[3]); err == nil && n != 0 {
					out.Status = n
				}
			}
		}
	case err == nil:
		out.Status = 1
		out.Stderr = fmt.Sprintf("the driver answered %q", strings.Join(m, " "))
		if len(m) == 2 && m[0] == "error" {
			out.Stderr = "the driver: " + m[1]
		}
	case errors.Is(err, errVMTimeout):
		out.TimedOut = true
		vm.stopNow(syscall.SIGINT)
	case errors.Is(err, errVMGone):
		if vm.proc != nil {
			// The socket closes as the VM ends on its own (System.halt, a
			// crash): its exit, not regen's kill, is the cause to report.
			select {
			case <-vm.proc.Done():
			case <-time.After(vmSyncWait):
			}
		}
		vm.stopNow(syscall.SIGKILL)
		if vm.proc != nil {
			res := vm.proc.Wait(migrator.Result{})
			out.Ended = &res
		} else {
			out.Ended = &migrator.Result{ExitCode: 1}
		}
		out.Status = out.Ended.ExitCode
		if out.Status == 0 {
			out.Status = 1
		}
	default: // interrupted
		out.Interrupted = true
		vm.stopNow(migrator.ForwardSignal(ctx))
	}
	if vm.proc != nil && out.Stderr == "" {
		out.Stderr = withoutSyncLines(vm.proc.StderrSince(mark))
	}
	out.Duration = time.Since(start)
	return out
}

func withoutSyncLines(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, vmSyncMarker); i >= 0 {
			l = l[:i]
			if l == "" {
				continue
			}
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

// stopNow ends the driver at once (a timeout, an interruption, its end):
// its process group with the signal's escalation, or, in mix regen's VM,
// the task's process (the socket's close stops it).
func (vm *vmDriver) stopNow(sig syscall.Signal) {
	vm.closed = true
	if vm.conn != nil {
		vm.conn.Close()
	}
	if vm.proc != nil {
		vm.proc.Stop(sig)
	}
	vm.cleanup()
}

// close ends the driver: quit, and the VM ends on its own (a VM that had
// run no task is not waited for).
func (vm *vmDriver) close() {
	if vm == nil || vm.closed {
		return
	}
	vm.closed = true
	select {
	case <-vm.ready:
	default:
		close(vm.stop)
		if vm.ln != nil {
			vm.ln.Close()
		}
	}
	if vm.conn != nil && !vm.quit {
		vm.send("quit")
		vm.conn.Close()
	}
	if vm.proc != nil {
		if !vm.sent {
			vm.proc.Stop(syscall.SIGKILL) // it changed nothing
		} else {
			select {
			case <-vm.proc.Done():
			case <-time.After(migrator.DefaultGrace):
				vm.proc.Stop(syscall.SIGTERM)
			}
		}
		vm.proc.Wait(migrator.Result{})
	}
	vm.cleanup()
}

// release tells a connected driver to quit once the run's last task ran,
// without waiting: its VM halts (8-10 ms) while regen commits, and close,
// at the command's end, waits for it. Nothing is sent to it after quit.
func (vm *vmDriver) release() {
	if vm == nil || vm.closed || vm.quit || vm.conn == nil {
		return
	}
	select {
	case <-vm.ready:
	default:
		return // still starting: close gives it up
	}
	vm.quit = true
	vm.send("quit")
	vm.conn.Close()
}

func (vm *vmDriver) cleanup() {
	if vm.dir != "" {
		os.RemoveAll(vm.dir)
		vm.releaseDir()
		vm.dir = ""
	}
}

// startVMEarly starts the run's driver before the run has a journal: the
// BEAM boots while regen plans and backs up (or for the config query). The
// child carries the run's marker from the start, and begin records it.
func (e *Engine) startVMEarly(ctx context.Context, cfg *project.Config) *vmDriver {
	if e.vm != nil {
		return e.vm
	}
	e.runID = newRunID(e.opts.Now())
	return e.startVM(ctx, cfg, migrator.Command{Env: []string{runMarker(&Journal{RunID: e.runID})}})
}

// gateWriter holds what is written until it is opened, then passes it on.
type gateWriter struct {
	mu     sync.Mutex
	w      io.Writer
	held   []byte
	opened bool
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.opened {
		g.held = append(g.held, p...)
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *gateWriter) open() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.opened {
		g.opened = true
		if len(g.held) > 0 && g.w != nil {
			g.w.Write(g.held)
		}
		g.held = nil
	}
}

// useOneVM makes this command a run that may have the one-VM driver (a dry
// run starts none); the returned func ends the driver, then stops what
// its port programs left running (afterVM). The regen run and the sync
// take it the same way: one place decides.
func (e *Engine) useOneVM(dryRun bool) func() {
	e.wantVM = !dryRun
	return func() {
		own := e.vm != nil && e.vm.proc != nil
		e.closeVM()
		if own && e.live != nil {
			e.afterVM(e.live)
		}
	}
}

// loadRunProject loads the project of a run, then starts its driver (when
// the cold cache's config query has not already): the BEAM boots while
// regen plans and backs up.
func (e *Engine) loadRunProject(ctx context.Context) (*workspace, error) {
	proj, err := e.loadProject(ctx)
	if err != nil {
		return nil, err
	}
	if e.wantVM && vmUnavailable(proj.cfg) == "" {
		e.startVMEarly(ctx, proj.cfg)
	}
	return proj, nil
}

// releaseVM tells the run's driver, if any, to quit (release).
func (e *Engine) releaseVM() {
	if e.vm != nil {
		e.vm.release()
	}
}

// closeVM ends the run's driver, if any, and waits for the caching of
// its config answer.
func (e *Engine) closeVM() {
	if e.vm != nil {
		e.vm.close()
	}
	e.cacheWrite.Wait()
}

// vmAnswers is the repo config from the run's driver, started here when
// the run may have one (the cold cache: the query is the driver's first
// answer, not a VM of its own). ok false: ask in a start of its own.
func (e *Engine) vmAnswers(ctx context.Context, cfg *project.Config, app string) (string, bool) {
	if !e.wantVM || app != "" || vmUnavailable(cfg) != "" {
		return "", false
	}
	vm := e.startVMEarly(ctx, cfg)
	if !vm.usable(ctx, e.rep) {
		return "", false
	}
	return vm.answers, true
}

// runInVM runs a mix command's tasks in the run's driver, starting it at
// the first; handled false means the separate starts run the command.
func (t *txn) runInVM(ctx context.Context, app string, argv []string, ask bool) (bool, error) {
	cfg := t.proj.cfg
	if !t.e.wantVM || app != "" || vmUnavailable(cfg) != "" {
		return false, nil
	}
	tasks, ok := mixTasks(cfg.Mix, argv)
	if !ok {
		return false, nil
	}
	vm := t.e.vm
	if vm == nil {
		vm = t.e.startVM(ctx, cfg, t.e.journaledCommand(nil, ""))
	}
	waited := time.Now()
	if !vm.usable(ctx, t.e.rep) {
		return false, nil
	}
	first := t.children == 0 && !vm.sent
	if !vm.checked {
		if expected := expectedIdentities(cfg, app); len(expected) > 0 {
			m, err := vm.check(ctx, expected)
			if err != nil {
				if gone := vm.hostGone(err); gone != nil {
					return true, gone
				}
				if ctx.Err() != nil {
					vm.stopNow(migrator.ForwardSignal(ctx))
					return true, context.Cause(ctx)
				}
				vm.fallback(t.e.rep, err)
				return false, nil
			}
			if m != nil {
				m.First = first
				vm.close()
				return true, m
			}
		}
		vm.checked = true
	}
	t.vmWait += time.Since(waited)
	for _, task := range tasks {
		// run-tty only with someone to answer: regen's relay, or in mix
		// regen's VM its own terminal; else the task would wait on a pipe.
		asking := ask && t.isCodegenTask(task) && (t.e.relay != nil || vm.proc == nil && t.opts.Terminal != nil)
		out := vm.runAsking(ctx, task, t.e.opts.Timeout, asking)
		t.children += out.Duration
		shown := append(append([]string{}, cfg.Mix...), task...)
		switch {
		case out.Interrupted:
			return true, context.Cause(ctx)
		case out.TimedOut:
			return true, fmt.Errorf("`%s` did not finish within %s and was stopped", strings.Join(shown, " "), t.e.opts.Timeout)
		case out.Ended != nil && vm.proc == nil:
			return true, MixRegenGone() // mix regen's VM, the host, went away: an interruption
		case out.Ended != nil && out.Ended.Signaled:
			return true, fmt.Errorf("the mix VM running `%s` was ended by %s", strings.Join(shown, " "), migrator.SignalDescription(out.Ended.Signal))
		case out.Ended != nil:
			how := "System.halt(0), :init.stop, or a SIGTERM sent to the VM"
			if out.Ended.ExitCode != 0 {
				how = fmt.Sprintf("System.halt(%d) or a crash of the VM", out.Ended.ExitCode)
			}
			msg := fmt.Sprintf("the mix VM running `%s` ended during the task (exit %d: %s), so the run could not go on in it", strings.Join(shown, " "), out.Ended.ExitCode, how)
			if s := strings.TrimSpace(withoutRepoLines(out.Stderr)); s != "" {
				msg += ":\n" + indent(tail(s, 1500))
			}
			return true, errors.New(msg + "\nIf the task itself ends its VM, set one_vm = false in .regen.toml: each step then runs in a mix start of its own.")
		case out.Status != 0:
			vm.close() // its state is the failed task's: nothing more runs there
			return true, errors.New(mixFailure(shown, out.Status, out.Stderr, 1500))
		}
	}
	return true, nil
}

// hostGone is the interruption when mix regen's VM, the host of the
// driver, went away (its socket closed): nil for any other error.
func (vm *vmDriver) hostGone(err error) error {
	if vm.proc == nil && errors.Is(err, errVMGone) {
		vm.stopNow(syscall.SIGKILL)
		return MixRegenGone()
	}
	return nil
}
