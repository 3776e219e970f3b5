package main

// Task dispatch, `mix do` chaining, output helpers shared by the tasks.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// session is one mixsim process ("one BEAM"): state that real mix keeps per
// VM, like "the app was already compiled", lives here.
type session struct {
	root   string
	stdout io.Writer
	stderr io.Writer
	faults faults
	now    func() time.Time
	getenv func(string) string

	proj      *project
	apps      []*session // at an umbrella root (proj nil): one per app
	appBanner bool       // "==> app" printed
	compiled  bool
	// ran holds the tasks run in this VM: Mix runs a task at most once per
	// VM (Mix.Task.run is a no-op the second time) unless it is reenabled.
	ran         map[string]bool
	lie         bool      // current task runs under MIXSIM_LIE
	midSleep    sleepSpec // current task's MIXSIM_SLEEP ...:mid
	midSleptFor bool
	// in is the tasks' stdin (Mix.shell() prompts read it); nil: end of
	// input. stdin keeps the process's own, buffered once as the BEAM's
	// user process does, for a driver's requests that may read it.
	in    *bufio.Reader
	stdin *bufio.Reader
}

// taskError is what a task prints to stderr before exiting non-zero.
type taskError struct {
	text string
	code int
}

func (e *taskError) Error() string { return e.text }

func mixError(format string, a ...any) error {
	return &taskError{text: "** (Mix) " + fmt.Sprintf(format, a...), code: 1}
}

func run(args []string, stdout, stderr io.Writer) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return runInWith(wd, os.Getenv, args, bufio.NewReader(os.Stdin), stdout, stderr)
}

// runIn is run with the working directory and environment made explicit,
// so tests drive the real logic without touching process globals.
func runIn(root string, getenv func(string) string, args []string, stdout, stderr io.Writer) int {
	return runInWith(root, getenv, args, nil, stdout, stderr)
}

// runInWith is runIn with the tasks' stdin (nil: end of input).
func runInWith(root string, getenv func(string) string, args []string, stdin *bufio.Reader, stdout, stderr io.Writer) int {
	f, err := parseFaults(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "** (Mix) mixsim: %v\n", err)
		return 1
	}
	if err := f.logInvocation(args); err != nil {
		fmt.Fprintf(stderr, "** (Mix) mixsim: MIXSIM_LOG: %v\n", err)
		return 1
	}
	if err := f.boot(root, stderr); err != nil {
		fmt.Fprintf(stderr, "** (Mix) mixsim: build lock: %v\n", err)
		return 1
	}
	s := &session{root: root, stdout: stdout, stderr: stderr, faults: f, now: time.Now, getenv: getenv, in: stdin, stdin: stdin}
	if len(args) == 0 {
		args = []string{"help"}
	}
	if args[0] == "help" || args[0] == "--help" {
		return s.report(s.help())
	}
	if appsPath, ok := umbrellaAppsPath(root); ok {
		if err := s.loadUmbrella(appsPath, getenv); err != nil {
			return s.report(err)
		}
		return s.runSteps(args)
	}
	proj, err := loadProject(root, getenv)
	if err != nil {
		return s.report(mixError("%s", err.Error()))
	}
	s.proj = proj
	if err := detectPostgres(proj, getenv); err != nil {
		return s.report(mixError("%s", err.Error()))
	}
	// A path dependency is announced on every run, as in the fixtures
	// (exqlite is AshSqlite's; the Postgres fixtures have none).
	if !proj.postgres {
		fmt.Fprintln(stdout, "==> exqlite")
	}
	return s.runSteps(args)
}

// runSteps runs one task, or each step of `do` until one fails. Each goes
// through Mix.Task.run: a task repeated in one `do` runs only the first
// time (Elixir 1.14, checked against the real Mix in realmix_test.go).
func (s *session) runSteps(args []string) int {
	if args[0] == "do" {
		for _, step := range splitDo(args[1:]) {
			if len(step) == 0 {
				continue
			}
			if code := s.invoke(step[0], step[1:]); code != 0 {
				return code
			}
		}
		return 0
	}
	return s.invoke(args[0], args[1:])
}

// invoke is Mix.Task.run: the task runs unless it already ran in this VM.
func (s *session) invoke(name string, args []string) int {
	if s.ran == nil {
		s.ran = map[string]bool{}
	}
	if s.ran[name] {
		return 0
	}
	s.ran[name] = true
	return s.runTask(name, args)
}

// reenable is Mix.Task.reenable: the task may run again.
func (s *session) reenable(name string) { delete(s.ran, name) }

// splitDo splits `do a x + b y` (Elixir >= 1.14) or the older `do a x, b y`.
func splitDo(args []string) [][]string {
	var out [][]string
	var cur []string
	plus := false
	for _, a := range args {
		if a == "+" {
			plus = true
		}
	}
	for _, a := range args {
		switch {
		case plus && a == "+":
			out = append(out, cur)
			cur = nil
		case !plus && strings.HasSuffix(a, ","):
			if t := strings.TrimSuffix(a, ","); t != "" {
				cur = append(cur, t)
			}
			out = append(out, cur)
			cur = nil
		default:
			cur = append(cur, a)
		}
	}
	return append(out, cur)
}

// runTask applies the fault switches around one task.
func (s *session) runTask(name string, args []string) int {
	if s.faults.failBefore[name] {
		s.umbrellaFailBanner(name, args)
		fmt.Fprint(s.stderr, injectedCompileError(name))
		return 1
	}
	s.lie = s.faults.lie[name]
	s.midSleep = sleepSpec{}
	s.midSleptFor = false
	if daemon, ok := s.faults.stray[name]; ok {
		if err := startStray(s.root, daemon); err != nil {
			fmt.Fprintf(s.stderr, "** (Mix) mixsim: MIXSIM_STRAY: %v\n", err)
			return 1
		}
	}
	if sp, ok := s.faults.sleep[name]; ok {
		if sp.mid {
			s.midSleep = sp
		} else {
			s.faults.doSleep(sp.d)
		}
	}
	err := s.dispatch(name, args)
	if s.lie {
		// The lie: normal-looking output, success, nothing really changed
		// (errors of the simulated run are swallowed too).
		s.lie = false
		return 0
	}
	if code := s.report(err); code != 0 {
		return code
	}
	if s.faults.failAfter[name] {
		fmt.Fprintf(s.stderr, "** (RuntimeError) mixsim: injected failure after task %s (MIXSIM_FAIL)\n", name)
		return 1
	}
	return 0
}

func (s *session) report(err error) int {
	if err == nil {
		return 0
	}
	var te *taskError
	if errors.As(err, &te) {
		if te.text != "" {
			fmt.Fprintln(s.stderr, strings.TrimLeft(te.text, "\n"))
		}
		return te.code
	}
	var ce *compileError
	if errors.As(err, &ce) {
		fmt.Fprintln(s.stderr, strings.TrimLeft(ce.Error(), "\n"))
		return 1
	}
	var ex *exception
	if errors.As(err, &ex) {
		fmt.Fprintln(s.stderr, ex.Error())
		return 1
	}
	fmt.Fprintf(s.stderr, "** (File.Error) %v\n", err)
	return 1
}

func (s *session) dispatch(name string, args []string) error {
	if s.apps != nil {
		return s.dispatchUmbrella(name, args)
	}
	if s.proj.postgres {
		if err, handled := s.dispatchPostgres(name, args); handled {
			return err
		}
	}
	switch name {
	case "ash.codegen":
		return s.codegenTask(args, true)
	case "ash_sqlite.generate_migrations":
		return s.codegenTask(args, false)
	case "ash.migrate":
		return s.migrateTask(args, true)
	case "ash_sqlite.migrate", "ecto.migrate":
		return s.migrateTask(args, false)
	case "ash_sqlite.rollback":
		return s.ashSqliteRollbackTask(args)
	case "ecto.rollback":
		return s.rollbackTask(args)
	case "ecto.migrations":
		return s.statusTask(args)
	case "compile":
		return s.ensureCompiled()
	case "run":
		return s.runEvalTask(args)
	case "help":
		return s.help()
	}
	if body, ok := s.userTask(name); ok {
		return s.runUserTask(body, args)
	}
	return mixError("The task %q could not be found", name)
}

// info prints a Logger line the way Elixir's default console format does.
func (s *session) info(msg string) {
	fmt.Fprintf(s.stdout, "\n%s [info] %s\n", time.Now().Format("15:04:05.000"), msg)
}

func (s *session) debug(msg string) {
	fmt.Fprintf(s.stdout, "\n%s [debug] %s\n", time.Now().Format("15:04:05.000"), msg)
}

// ensureCompiled models `mix compile` for the app: announced once per VM,
// "Compiling N files" only when lib/ changed since the last good compile.
func (s *session) ensureCompiled() error {
	if s.compiled {
		return nil
	}
	if !s.appBanner {
		fmt.Fprintf(s.stdout, "==> %s\n", s.proj.app)
		s.appBanner = true
	}
	files, err := libFiles(s.root)
	if err != nil {
		return err
	}
	digests, err := fileDigests(s.root, files)
	if err != nil {
		return err
	}
	n, changed := staleCount(s.proj, digests)
	if changed {
		if n == 1 {
			fmt.Fprintln(s.stdout, "Compiling 1 file (.ex)")
		} else {
			fmt.Fprintf(s.stdout, "Compiling %d files (.ex)\n", n)
		}
		if err := checkCompiles(s.root, files); err != nil {
			return err
		}
		if !s.lie {
			if err := writeManifest(s.proj, digests); err != nil {
				return err
			}
		}
		fmt.Fprintf(s.stdout, "Generated %s app\n", s.proj.app)
	}
	s.compiled = true
	return nil
}

func (s *session) help() error {
	fmt.Fprint(s.stdout, `mix ash.codegen                 # Runs codegen for all extensions (mixsim)
mix ash.migrate                 # Runs migrations
mix ash_sqlite.generate_migrations
mix ash_sqlite.migrate
mix ash_sqlite.rollback
mix compile
mix do                          # Executes the tasks separated by plus
mix ecto.migrate
mix ecto.migrations
mix ecto.rollback
mix help
mix run
`)
	return nil
}
