// Command mixsim is regen's toolchain stand-in: it behaves like `mix` with
// AshSqlite's and Ecto's tasks on a real SQLite database, so regen's whole
// path runs in tests and CI without Elixir. It shares no code with the
// engine on purpose: it cannot agree with an engine bug by construction.
//
// Tasks: ash.codegen | ash_sqlite.generate_migrations [NAME] [--name N]
// [--check] [--dev] [--dry-run]; ash.migrate | ash_sqlite.migrate |
// ecto.migrate; ash_sqlite.rollback | ecto.rollback [-n N|--step N] [--to V]
// [--all] [--migrations-path DIR]... [-r Repo]; ecto.migrations; compile;
// run [--no-start] [--no-compile] (-e CODE | FILE); help; do T1 ARGS + T2 ARGS ...
//
// Mix itself, as Elixir 1.14 behaves (realmix_test.go checks it against
// the real Mix): a task runs at most once per VM (`do t + t` runs t once)
// unless reenabled; `run FILE` runs scripts of Mix.Task.run/rerun/reenable
// calls and regen's database check (script.go); the project's own
// recording tasks (usertasks.go); config/config.exs and what it imports,
// with config_env() = MIX_ENV (default dev) and System.get_env (config.go).
// ash_sqlite.rollback, like AshSqlite's, ignores -r for picking repos.
//
// AshPostgres projects (a repo module with `use AshPostgres.Repo`, or the
// :ash_postgres dep): the same tasks on a real PostgreSQL (lib/pq), plus
// ash_postgres.generate_migrations | ash_postgres.migrate |
// ash_postgres.rollback, --prefix P, --tenants (all_tenants/0: a literal
// list or its query), tenant_migrations, extensions.json; see pg*.go.
//
// Umbrella projects (see umbrella.go): inside an app folder, the app is a
// plain project reading config through config_path and building under
// build_path. At the root (apps_path, no app:), each task of a run (each
// `do` step) recurses into the apps in folder-name order, "==> <app>"
// before each; -r R runs only in apps whose config has R (the others are
// skipped silently, a simplification: real Ecto fails there). `run -e` at
// the root answers for every app's repos, priv relative to the root
// (apps/<app>/priv/repo). Relative --migrations-path values resolve
// against each app's folder, since Mix runs recursive tasks inside it.
// Fault switches apply to the task as a whole (MIXSIM_FAIL fails it in the
// first app).
//
// Fault injection (environment):
//
//	MIXSIM_FAIL=<task>[,<task>:after]  the task fails like a compile error
//	                                   before doing anything (exit 1); with
//	                                   ":after" it does the work, then exits 1.
//	MIXSIM_LIE=<task>[,...]            normal output, exit 0, but no file and
//	                                   no database change (runs on a copy).
//	MIXSIM_SLEEP=<task>:<secs>[:mid]   sleep at the start of the task; with
//	                                   ":mid", inside the first migration's
//	                                   open transaction, after its first
//	                                   statement (a kill leaves it uncommitted).
//	MIXSIM_READY_FILE=<path>           written (our pid) right before sleeping.
//	MIXSIM_BOOT_DELAY_MS=<n>           sleep once per process (BEAM boot).
//	MIXSIM_SLEEP=boot:<secs>           hang in the start, holding the build
//	                                   lock (like Mix's: a later start in
//	                                   the project waits, printing "Waiting
//	                                   for lock on the build directory").
//	MIXSIM_LOG=<path>                  append argv (space-joined) per process.
//	MIXSIM_STRAY=<task>[:daemon][,...] the task leaves a process running in
//	                                   a session of its own, its parent gone
//	                                   (sh -c "prog &" from a task), sleeping
//	                                   2 min; ":daemon" makes it work from /
//	                                   as a daemon does.
//
// <task> is the task name exactly as invoked (ash.codegen is not
// ash_sqlite.generate_migrations). Inside `do`, each step is matched alone.
package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	// The BEAM ignores SIGPIPE: a mix whose reader (regen) is gone goes on
	// working, its writes to stdout failing, and so does the stand-in.
	signal.Ignore(syscall.SIGPIPE)
	if len(os.Args) == 2 && os.Args[1] == strayArg {
		time.Sleep(strayLife)
		return
	}
	if len(os.Args) == 2 && os.Args[1] == strayLaunchArg {
		os.Exit(launchStray())
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
