package regen

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/migrator/fsatomic"
	"github.com/regen-tool/regen/regen/project"
)

// Every mix command of a run goes through a task driver: one
// `mix run --no-start FILE` whose script first proves that this VM's config
// names the databases regen backed up (it halts with driverMismatchExit
// before any task otherwise), then runs the tasks one after the other.
//
// Mix runs a task at most once per VM: `mix do t a + t b` runs only `t a`
// (Elixir 1.14, and likewise a task that a task runs through Mix.Task.run).
// So each task is reenabled before it runs, with the tasks it hands over
// to, and repeats (one rollback per tenant or per repo, ash.migrate then
// ash.migrate --tenants) really run, still in one VM start.

// driverMismatchExit is the driver's exit status when a database differs:
// distinct from mix's own 1.
const driverMismatchExit = 86

// delegatedTasks are the tasks Ash's tasks run through Mix.Task.run; a
// rerun of the outer task alone would leave them as already run.
var delegatedTasks = map[string][]string{
	"ash.migrate":           {"ash_postgres.migrate", "ash_sqlite.migrate", "ecto.migrate"},
	"ash.codegen":           {"ash_postgres.generate_migrations", "ash_sqlite.generate_migrations"},
	"ash.rollback":          {"ash_postgres.rollback", "ash_sqlite.rollback", "ecto.rollback"},
	"ash_postgres.migrate":  {"ecto.migrate"},
	"ash_sqlite.migrate":    {"ecto.migrate"},
	"ash_postgres.rollback": {"ecto.rollback"},
	"ash_sqlite.rollback":   {"ecto.rollback"},
}

// driverMismatches is `fn expected -> lines end`: for each (module,
// identity) pair whose repo has another database in this VM, one
// "regen-check mismatch" line (parseMismatch reads them). The one-shot
// driver's check and the one-VM driver (vmdriver.go) both use it.
const driverMismatches = `fn expected ->
    identity = ` + migrator.RepoIdentityElixir + `

    enc = &URI.encode_www_form/1

    expected
    |> Enum.chunk_every(2)
    |> Enum.flat_map(fn [mod, want] ->
      got =
        try do
          identity.(Module.concat([mod]))
        rescue
          e -> "unknown " <> Exception.message(e)
        end

      if got == want do
        []
      else
        ["regen-check mismatch repo=#{enc.(mod)} expected=#{enc.(want)} actual=#{enc.(got)} env=#{enc.(to_string(Mix.env()))}"]
      end
    end)
  end`

// driverCheck is the check's definition; its marker names its output lines.
const driverCheck = `regen_check = fn status, expected ->
  # regen-check: each repo's database in this VM must be the one regen backed up.
  bad = (` + driverMismatches + `).(expected)

  if bad != [] do
    IO.puts(:stderr, Enum.join(bad, "\n"))
    System.halt(status)
  end
end
`

// mixTasks splits a mix command line into its tasks (a `do` joins them
// with +), or says it is not a plain mix command.
func mixTasks(mix, argv []string) ([][]string, bool) {
	if len(argv) <= len(mix) {
		return nil, false
	}
	for i, a := range mix {
		if argv[i] != a {
			return nil, false
		}
	}
	rest := argv[len(mix):]
	if rest[0] != "do" {
		return [][]string{rest}, true
	}
	var tasks [][]string
	var cur []string
	for _, a := range rest[1:] {
		if a == "+" {
			tasks, cur = append(tasks, cur), nil
			continue
		}
		cur = append(cur, a)
	}
	tasks = append(tasks, cur)
	for _, task := range tasks {
		if len(task) == 0 || strings.HasPrefix(task[0], "-") || strings.HasSuffix(task[len(task)-1], ",") {
			return nil, false
		}
	}
	return tasks, true
}

// expectedIdentities are the databases the run backed up that the
// project's mix config named, as (module, identity) pairs, for the repos
// of one umbrella app ("" outside an umbrella).
func expectedIdentities(cfg *project.Config, app string) []string {
	var out []string
	for _, r := range cfg.Repos {
		if r.Identity != "" && r.Module != "" && r.App == app {
			out = append(out, r.Module, r.Identity)
		}
	}
	return out
}

// driverScript is the Elixir of one driver.
func driverScript(expected []string, tasks [][]string) string {
	var b strings.Builder
	b.WriteString("# regen task driver: checks the databases, then runs each task (see regen/driver.go).\n")
	if len(expected) > 0 {
		b.WriteString(driverCheck)
		b.WriteString("\n")
		quoted := make([]string, len(expected))
		for i, s := range expected {
			quoted[i] = elixirString(s)
		}
		fmt.Fprintf(&b, "regen_check.(%d, [%s])\n\n", driverMismatchExit, strings.Join(quoted, ", "))
	}
	for _, task := range tasks {
		for _, d := range delegatedTasks[task[0]] {
			fmt.Fprintf(&b, "Mix.Task.reenable(%s)\n", elixirString(d))
		}
		args := make([]string, len(task)-1)
		for i, a := range task[1:] {
			args[i] = elixirString(a)
		}
		fmt.Fprintf(&b, "Mix.Task.rerun(%s, [%s])\n", elixirString(task[0]), strings.Join(args, ", "))
	}
	return b.String()
}

// elixirString quotes s as an Elixir string literal, interpolation escaped.
func elixirString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "#{", `\#{`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// asDriver turns a mix command of the run into a driver command; other
// commands (a template that is not a mix task) run as they are.
func (t *txn) asDriver(app string, argv []string) ([]string, error) {
	cfg := t.proj.cfg
	tasks, ok := mixTasks(cfg.Mix, argv)
	if !ok || cfg.Umbrella && app == "" {
		// At an umbrella's root tasks recurse into the apps, which a
		// script run there would not do: runMixIn splits a root command
		// into its apps (umbrella.go); one whose apps are not known runs
		// as it is, and what it changed is not proven to be the backed-up
		// database.
		for _, r := range cfg.Repos {
			if r.Identity != "" {
				t.unproven = append(t.unproven, strings.Join(argv, " "))
				break
			}
		}
		return argv, nil
	}
	t.drivers++
	script := driverScript(expectedIdentities(cfg, app), tasks)
	if len(script) <= maxEvalArg {
		// As an argument the script reaches a mix that runs elsewhere (a
		// container) as well as the query does; only its task arguments
		// carry paths.
		return append(append([]string{}, cfg.Mix...), "run", "--no-start", "-e", script), nil
	}
	file := filepath.Join(t.j.BackupDir, fmt.Sprintf("mix-%d.exs", t.drivers))
	if err := writeFileAtomic(file, []byte(script), 0o600); err != nil {
		return nil, fmt.Errorf("cannot write the mix driver script: %w", err)
	}
	return append(append([]string{}, cfg.Mix...), "run", "--no-start", file), nil
}

// maxEvalArg bounds a script passed with -e: Linux refuses a single
// argument over 128 KiB (a thousand tenants' rollbacks); longer ones go
// into a file in the backup folder.
const maxEvalArg = 96 << 10

// dbMismatch is one repo whose database in the mix VM was not the backed-up one.
type dbMismatch struct{ Repo, Expected, Actual, Env string }

// DatabaseMismatchError: the driver found that mix would use other
// databases than those regen backed up, and stopped before any task.
type DatabaseMismatchError struct {
	Mismatches []dbMismatch
	// First: no mix task had run in this run before (nothing in any
	// database changed).
	First bool
}

func (e *DatabaseMismatchError) Error() string {
	return "mix stopped before its first task: " + e.describe()
}

func (e *DatabaseMismatchError) describe() string {
	var parts []string
	for _, m := range e.Mismatches {
		parts = append(parts, fmt.Sprintf("with MIX_ENV=%s the project's config gives repo %s the database %s, but regen backed up %s",
			m.Env, m.Repo, strings.TrimPrefix(m.Actual, "sqlite "), strings.TrimPrefix(m.Expected, "sqlite ")))
	}
	return strings.Join(parts, "; ")
}

// parseMismatch reads the driver's mismatch lines from its stderr.
func parseMismatch(stderr string) *DatabaseMismatchError {
	e := &DatabaseMismatchError{}
	for _, l := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(l), "regen-check mismatch ")
		if !ok {
			continue
		}
		var m dbMismatch
		for _, f := range strings.Fields(rest) {
			k, v, _ := strings.Cut(f, "=")
			v, _ = url.QueryUnescape(v)
			switch k {
			case "repo":
				m.Repo = v
			case "expected":
				m.Expected = v
			case "actual":
				m.Actual = v
			case "env":
				m.Env = v
			}
		}
		e.Mismatches = append(e.Mismatches, m)
	}
	if len(e.Mismatches) == 0 {
		return nil
	}
	return e
}

// mismatchInput is the error of a run that a driver's check stopped before
// anything changed in a database (the files regen had set aside are put
// back by then): the cached answer is dropped so that the next command
// asks the project again.
func (e *Engine) mismatchInput(m *DatabaseMismatchError) error {
	e.dropRepoCache()
	return &InputError{
		What: "the mix tasks would not use the databases regen backed up: " + m.describe() +
			". mix stopped before its first task; the files regen had set aside were put back.",
		Next: "Run the command again: regen now asks the project for its databases afresh (the cached answer is dropped). " +
			"If MIX_ENV or a variable the config reads differs on purpose, set each repo's `database` in .regen.toml.",
	}
}

// dropRepoCache forgets the cached answers about the project's databases:
// after a mismatch the next command asks the project afresh.
func (e *Engine) dropRepoCache() {
	dir := project.CacheDir(e.stateDir, false)
	if dir == "" {
		return
	}
	files, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(dir), "repos-*.txt"))
	for _, f := range files {
		os.Remove(f)
	}
}

// proveFirst checks the databases in a VM of their own before anything
// changes, for a project whose command templates are not all mix tasks
// (those cannot carry the check). With mix tasks only, the first driver
// carries it and this costs nothing.
func (t *txn) proveFirst(ctx context.Context) error {
	cfg := t.proj.cfg
	all := true
	for _, tpl := range [][]string{cfg.Rollback, cfg.Codegen, cfg.Migrate, cfg.RebuildMigrate, cfg.TenantRollback, cfg.TenantMigrate} {
		if len(tpl) > 0 && tpl[0] != "{mix}" {
			all = false
		}
	}
	if all {
		return nil
	}
	apps := map[string]bool{}
	for _, r := range cfg.Repos {
		if r.Identity == "" || apps[r.App] {
			continue
		}
		apps[r.App] = true
		file := filepath.Join(t.j.BackupDir, "mix-check-"+strings.ReplaceAll(r.App, "/", "_")+".exs")
		if err := writeFileAtomic(file, []byte(driverScript(expectedIdentities(cfg, r.App), nil)), 0o600); err != nil {
			return fmt.Errorf("cannot write the database check: %w", err)
		}
		argv := append(append([]string{}, cfg.Mix...), "run", "--no-start", "--no-compile", file)
		var out strings.Builder
		res, err := t.e.mix(ctx, mixCall{Argv: argv, Dir: filepath.Join(t.root, filepath.FromSlash(r.App)), Capture: &out, Timeout: 5 * time.Minute})
		if err != nil {
			return fmt.Errorf("cannot check the databases: %w", err)
		}
		if m := parseMismatch(out.String()); m != nil {
			return t.e.mismatchInput(m)
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("checking the databases with `%s` failed (exit %d):\n%s", strings.Join(argv, " "), res.ExitCode, indent(tail(withoutRepoLines(out.String()), 1500)))
		}
	}
	return nil
}

// VerificationError: a database does not hold the versions a step promised.
type VerificationError struct{ msg string }

func (e *VerificationError) Error() string { return e.msg }

// otherDatabases asks the project again (no cache) which databases its
// config names now, after a verification failed: a database other than the
// backed-up one may be what the mix tasks changed. Each is a problem for
// the report; so is not being able to ask.
func (t *txn) otherDatabases(ctx context.Context) []string {
	cfg := t.proj.cfg
	var problems []string
	asked := map[string][]migrator.RepoConfig{}
	for _, r := range cfg.Repos {
		if r.Identity == "" {
			continue
		}
		answers, ok := asked[r.App]
		if !ok {
			var err error
			answers, _, err = t.e.askRepoConfigs(ctx, cfg, r.App)
			if err != nil {
				problems = append(problems, fmt.Sprintf("cannot tell which database the mix tasks changed for repo %s (asking the project failed); regen restored %s", r.Module, strings.TrimPrefix(r.Identity, "sqlite ")))
				asked[r.App] = nil
				continue
			}
			asked[r.App] = answers
		}
		for _, a := range answers {
			if a.Repo == r.Module && a.Identity() != r.Identity {
				env := t.e.opts.Getenv("MIX_ENV")
				if env == "" {
					env = "dev"
				}
				problems = append(problems, fmt.Sprintf("with MIX_ENV=%s the project's config gives repo %s the database %s, which the mix tasks may have changed; regen backed up and restored %s and has no copy of %s",
					env, r.Module, strings.TrimPrefix(a.Identity(), "sqlite "), strings.TrimPrefix(r.Identity, "sqlite "), strings.TrimPrefix(a.Identity(), "sqlite ")))
			}
		}
	}
	if len(problems) == 0 {
		for _, r := range cfg.Repos {
			if r.Identity != "" {
				problems = append(problems, fmt.Sprintf("regen restored %s, but `%s` ran without regen's database check: the database it changed may be another one, which regen did not back up",
					strings.TrimPrefix(r.Identity, "sqlite "), t.unproven[0]))
			}
		}
	}
	return problems
}
