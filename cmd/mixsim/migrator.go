package main

// Ecto.Migrator semantics on SQLite: schema_migrations, migrate, rollback,
// status. Each migration runs in its own transaction together with its
// schema_migrations row, so a killed process leaves it uncommitted.

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

// exception is an Elixir exception as printed by mix: `** (Kind) msg`,
// optional detail lines (the SQL), then a stack trace.
type exception struct {
	kind   string
	msg    string
	detail string
	trace  []string
}

func (e *exception) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "** (%s) %s", e.kind, e.msg)
	if e.detail != "" {
		b.WriteString("\n" + e.detail)
	}
	for _, t := range e.trace {
		b.WriteString("\n    " + t)
	}
	return b.String()
}

var ectoRunnerTrace = []string{
	"(ecto_sql 3.14.0) lib/ecto/migration/runner.ex:312: Ecto.Migration.Runner.perform_operation/3",
	"(stdlib 4.2) timer.erl:235: :timer.tc/1",
	"(ecto_sql 3.14.0) lib/ecto/migration/runner.ex:27: Ecto.Migration.Runner.run/8",
	"(ecto_sql 3.14.0) lib/ecto/migrator.ex:364: Ecto.Migrator.attempt/8",
}

type migFile struct {
	version int64
	name    string // part after the version, without .exs
	path    string // absolute
}

var reMigName = regexp.MustCompile(`^(\d+)_(.*)\.exs$`)

// listMigrations reads migration files from every dir (Ecto ignores other
// names); a version present twice is an error, as in Ecto.
func listMigrations(dirs []string) ([]migFile, error) {
	seen := map[int64]string{}
	var out []migFile
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		for _, e := range entries {
			m := reMigName.FindStringSubmatch(e.Name())
			if m == nil || e.IsDir() {
				continue
			}
			v, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				continue
			}
			if prev, dup := seen[v]; dup {
				return nil, &exception{kind: "Ecto.MigrationError", msg: fmt.Sprintf("migrations can't be executed, migration version %d is duplicated (%s)", v, prev)}
			}
			seen[v] = e.Name()
			abs, _ := filepath.Abs(filepath.Join(d, e.Name()))
			out = append(out, migFile{version: v, name: m[2], path: abs})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// openRepoDB opens the repo's SQLite database like ecto_sqlite3 (WAL unless
// the config sets :journal_mode, foreign keys on, busy timeout). Under MIXSIM_LIE it opens a throwaway
// copy so the simulated work leaves the real database untouched.
func (s *session) openRepoDB(r *repoConf) (*sql.DB, func(), error) {
	if r.database == "" {
		return nil, nil, &exception{kind: "ArgumentError", msg: fmt.Sprintf("missing :database key in repo %s configuration", r.module)}
	}
	path := r.database
	cleanup := func() {}
	if s.lie {
		tmp, err := os.MkdirTemp("", "mixsim-lie-")
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { os.RemoveAll(tmp) }
		copyPath := filepath.Join(tmp, "copy.db")
		if _, err := os.Stat(path); err == nil {
			src, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
			if err != nil {
				cleanup()
				return nil, nil, err
			}
			_, err = src.Exec("VACUUM INTO '" + strings.ReplaceAll(copyPath, "'", "''") + "'")
			src.Close()
			if err != nil {
				cleanup()
				return nil, nil, err
			}
		}
		path = copyPath
	}
	journal := "WAL" // ecto_sqlite3's default; `journal_mode: :delete` in the repo config changes it
	if r.journalMode != "" {
		journal = strings.ToUpper(r.journalMode)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=journal_mode("+journal+")")
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	// One connection: the transaction and the schema_migrations reads must
	// see the same session, as with Ecto's single migration connection.
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		cleanup()
		return nil, nil, sqlException(err, "")
	}
	return db, func() { db.Close(); cleanup() }, nil
}

func ensureSchemaMigrations(db *sql.DB, source string) error {
	_, err := db.Exec(`CREATE TABLE IF NOT EXISTS ` + quoteIdent(source) + ` ("version" INTEGER PRIMARY KEY, "inserted_at" TEXT)`)
	if err != nil {
		return sqlException(err, "")
	}
	return nil
}

func appliedVersions(db *sql.DB, source string) ([]int64, error) {
	if err := ensureSchemaMigrations(db, source); err != nil {
		return nil, err
	}
	rows, err := db.Query(`SELECT "version" FROM ` + quoteIdent(source) + ` ORDER BY "version"`)
	if err != nil {
		return nil, sqlException(err, "")
	}
	return scanVersions(rows)
}

// scanVersions reads and closes a schema_migrations version query.
func scanVersions(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// versionSet is the applied versions as a set.
func versionSet(applied []int64) map[int64]bool {
	set := map[int64]bool{}
	for _, v := range applied {
		set[v] = true
	}
	return set
}

var reSqliteMsg = regexp.MustCompile(`^(?:[a-zA-Z ]+: )?(.*?)(?: \(\d+\))?$`)

// sqlException renders a driver error as Exqlite would.
func sqlException(err error, query string) error {
	msg := err.Error()
	if m := reSqliteMsg.FindStringSubmatch(msg); m != nil {
		msg = m[1]
	}
	return &exception{kind: "Exqlite.Error", msg: msg, detail: query, trace: []string{
		"(ecto_sql 3.14.0) lib/ecto/adapters/sql.ex:1121: Ecto.Adapters.SQL.raise_sql_call_error/1",
		"(ecto_sql 3.14.0) lib/ecto/adapters/sql.ex:1242: Ecto.Adapters.SQL.execute_ddl/4",
		"(ecto_sql 3.14.0) lib/ecto/migration/runner.ex:350: Ecto.Migration.Runner.log_and_execute_ddl/3",
	}}
}

// execer is satisfied by *sql.Tx.
type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

// migrationDialect is what running one migration needs from a database;
// the rest (which function runs, reversal, logs, faults) is Ecto's.
type migrationDialect struct {
	tracePath string          // the file as stack traces name it
	prepare   func(stmt) stmt // nil: statements as parsed
	sqlFor    func(stmt) (log string, sqls []string, err error)
	sqlErr    func(err error, query string) error
	record    func(version int64, up bool) (query string, args []any) // schema_migrations row
}

// runMigration executes one migration's up or down inside tx, including its
// schema_migrations row. The caller commits or rolls back.
func (s *session) runMigration(tx execer, r *repoConf, mf migFile, up bool) error {
	return s.runMigrationWith(tx, mf, up, migrationDialect{
		tracePath: s.proj.displayPath(mf.path),
		sqlFor:    sqlFor,
		sqlErr:    sqlException,
		record: func(v int64, up bool) (string, []any) {
			if up {
				return `INSERT INTO ` + quoteIdent(r.migrationSource) + ` ("version", "inserted_at") VALUES (?, ?)`,
					[]any{v, time.Now().UTC().Format("2006-01-02T15:04:05")}
			}
			return `DELETE FROM ` + quoteIdent(r.migrationSource) + ` WHERE "version" = ?`, []any{v}
		},
	})
}

// migrationBody picks the function Ecto runs (up/0, down/0, or change/0,
// reversed for a rollback) and its statements.
func (s *session) migrationBody(m *migration, mf migFile, up bool) (string, []stmt, error) {
	fn := "down"
	if up {
		fn = "up"
	}
	switch {
	case up && m.hasUp:
		return fn, m.up, nil
	case !up && m.hasDown:
		return fn, m.down, nil
	case m.hasChg:
		if up {
			return "change", m.change, nil
		}
		rev, bad := reverseStatements(m.change)
		if bad != nil {
			s.info(fmt.Sprintf("== Running %d %s.%s/0", mf.version, m.module, "change"))
			return "change", nil, &exception{kind: "Ecto.MigrationError", msg: fmt.Sprintf("cannot reverse migration command: %s. You will need to explicitly define up/0 and down/0 in your migration", bad.text)}
		}
		return "change", rev, nil
	}
	return fn, nil, &exception{kind: "UndefinedFunctionError", msg: fmt.Sprintf("function %s.%s/0 is undefined or private", m.module, fn)}
}

func (s *session) runMigrationWith(tx execer, mf migFile, up bool, d migrationDialect) error {
	m, err := parseMigrationFile(mf.path)
	if err != nil {
		return &exception{kind: "CompileError", msg: fmt.Sprintf("%s: %v", s.proj.displayPath(mf.path), err)}
	}
	fn, body, err := s.migrationBody(m, mf, up)
	if err != nil {
		return err
	}
	start := time.Now()
	s.info(fmt.Sprintf("== Running %d %s.%s/0", mf.version, m.module, fn))
	trace := func(st stmt) []string {
		return append([]string{fmt.Sprintf("%s:%d: %s.%s/0", d.tracePath, st.line, m.module, fn)}, ectoRunnerTrace...)
	}
	for i, st := range body {
		if d.prepare != nil {
			st = d.prepare(st)
		}
		switch st.kind {
		case "noop":
		case "raise":
			return &exception{kind: "RuntimeError", msg: st.msg, trace: trace(st)}
		case "unsupported":
			return &exception{kind: "RuntimeError", msg: "mixsim cannot interpret this migration statement: " + st.text, trace: trace(st)}
		default:
			log, sqls, err := d.sqlFor(st)
			if log != "" {
				s.info(log)
			}
			if err != nil {
				var ex *exception
				if errors.As(err, &ex) {
					ex.trace = trace(st)
					return ex
				}
				return &exception{kind: "ArgumentError", msg: err.Error(), trace: trace(st)}
			}
			for _, q := range sqls {
				if _, err := tx.Exec(q); err != nil {
					return d.sqlErr(err, q)
				}
			}
		}
		if i == 0 && s.midSleep.d > 0 && !s.midSleptFor {
			// MIXSIM_SLEEP=<task>:<s>:mid — inside the open transaction.
			s.midSleptFor = true
			s.faults.doSleep(s.midSleep.d)
		}
	}
	q, args := d.record(mf.version, up)
	if _, err := tx.Exec(q, args...); err != nil {
		return d.sqlErr(err, q)
	}
	s.info(fmt.Sprintf("== Migrated %d in %.1fs", mf.version, time.Since(start).Seconds()))
	return nil
}

type migratorOpts struct {
	n      int
	nSet   bool
	to     int64
	toSet  bool
	all    bool
	paths  []string
	repos  []string
	noComp bool
}

func parseMigratorArgs(args []string) (migratorOpts, error) {
	var o migratorOpts
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() (string, error) {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--") {
				return v, nil
			}
			if i+1 >= len(args) {
				return "", mixError("%s : Missing argument of type integer", a)
			}
			i++
			return args[i], nil
		}
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "-n", "--step":
			v, err := val()
			if err != nil {
				return o, err
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return o, mixError("Could not invoke task: %s : Expected type integer, got %q", a, v)
			}
			o.n, o.nSet = n, true
		case "--to":
			v, err := val()
			if err != nil {
				return o, err
			}
			t, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return o, mixError("Could not invoke task: --to : Expected type integer, got %q", v)
			}
			o.to, o.toSet = t, true
		case "--all":
			o.all = true
		case "--migrations-path":
			v, err := val()
			if err != nil {
				return o, err
			}
			o.paths = append(o.paths, v)
		case "-r", "--repo":
			v, err := val()
			if err != nil {
				return o, err
			}
			o.repos = append(o.repos, v)
		case "--no-compile", "--no-deps-check", "--quiet", "--log-migrations-sql", "--log-migrator-sql", "--no-start":
			o.noComp = o.noComp || name == "--no-compile"
		default:
			return o, mixError("Could not invoke task: 1 error found!\n%s : Unknown option", a)
		}
	}
	return o, nil
}

// selectRepos applies -r; with a single repo it is ignored, as requested.
func (s *session) selectRepos(names []string) ([]*repoConf, error) {
	if len(names) == 0 || len(s.proj.repos) == 1 {
		return s.proj.repos, nil
	}
	var out []*repoConf
	for _, n := range names {
		r := s.proj.repo(n)
		if r == nil {
			return nil, mixError("Could not load %s, error: :nofile. Please configure your app accordingly or pass a repo with the -r option.", n)
		}
		out = append(out, r)
	}
	return out, nil
}

// migratorRepos parses a migrator task's options and picks its repos.
func (s *session) migratorRepos(args []string) (migratorOpts, []*repoConf, error) {
	o, err := parseMigratorArgs(args)
	if err != nil {
		return o, nil, err
	}
	repos, err := s.selectRepos(o.repos)
	return o, repos, err
}

// ashBanner is what an ash.* task prints before handing over to the data
// layer.
func (s *session) ashBanner(running string) {
	fmt.Fprintln(s.stdout, "Getting extensions in current project...")
	fmt.Fprintln(s.stdout, running)
}

func (s *session) pathsFor(r *repoConf, o migratorOpts) []string {
	if len(o.paths) == 0 {
		return []string{filepath.Join(s.root, r.migrationsDir())}
	}
	var out []string
	for _, p := range o.paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.root, p)
		}
		out = append(out, p)
	}
	return out
}

// migrateSetup is migrateTask's start: options, compile (unless
// --no-compile), ash.migrate's banner for layer, then the repos.
func (s *session) migrateSetup(args []string, ash bool, layer string) (migratorOpts, []*repoConf, error) {
	o, err := parseMigratorArgs(args)
	if err != nil {
		return o, nil, err
	}
	if !o.noComp {
		if err := s.ensureCompiled(); err != nil {
			return o, nil, err
		}
	}
	if ash {
		s.ashBanner("Running migration for " + layer + "...")
	}
	repos, err := s.selectRepos(o.repos)
	return o, repos, err
}

func (s *session) migrateTask(args []string, ash bool) error {
	o, repos, err := s.migrateSetup(args, ash, "AshSqlite.DataLayer")
	if err != nil {
		return err
	}
	for _, r := range repos {
		if err := s.migrateRepo(r, o, true); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) rollbackTask(args []string) error {
	o, repos, err := s.migratorRepos(args)
	if err != nil {
		return err
	}
	for _, r := range repos {
		if err := s.migrateRepo(r, o, false); err != nil {
			return err
		}
	}
	return nil
}

// ashSqliteRollbackTask is AshSqlite's rollback: it does not pick repos by
// -r. For each repo of the domains' resources (here: every repo of the
// project) it runs ecto.rollback (reenabled each time) with -r for every
// one of those repos plus the given arguments, -r included, and
// --migrations-path as given: each repo's rollback runs against all of
// them.
func (s *session) ashSqliteRollbackTask(args []string) error {
	o, err := parseMigratorArgs(args)
	if err != nil {
		return err
	}
	extra, err := s.selectRepos(o.repos)
	if err != nil {
		return err
	}
	if len(o.repos) == 0 {
		extra = nil
	}
	for range s.proj.repos {
		for _, r := range append(append([]*repoConf{}, s.proj.repos...), extra...) {
			if err := s.migrateRepo(r, o, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// migrateRepo runs Ecto.Migrator.run(repo, paths, :up | :down, opts).
func (s *session) migrateRepo(r *repoConf, o migratorOpts, up bool) error {
	files, err := listMigrations(s.pathsFor(r, o))
	if err != nil {
		return err
	}
	db, closeDB, err := s.openRepoDB(r)
	if err != nil {
		return err
	}
	defer closeDB()
	applied, err := appliedVersions(db, r.migrationSource)
	if err != nil {
		return err
	}
	todo := selectMigrations(files, applied, o, up)
	if len(todo) == 0 {
		s.alreadyMigrated(up)
		return nil
	}
	for _, f := range todo {
		tx, err := db.Begin()
		if err != nil {
			return sqlException(err, "BEGIN")
		}
		if err := s.runMigration(tx, r, f, up); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return sqlException(err, "COMMIT")
		}
	}
	return nil
}

// selectMigrations is Ecto's choice of migrations to run: the unapplied
// files oldest first (up to --to), or for a rollback the applied ones
// newest first (down to --to). -n limits the count; --to and --all lift
// the limit; rollback defaults to one step, migrate to all.
func selectMigrations(files []migFile, applied []int64, o migratorOpts, up bool) []migFile {
	isApplied := versionSet(applied)
	var todo []migFile
	if up {
		for _, f := range files {
			if !isApplied[f.version] && (!o.toSet || f.version <= o.to) {
				todo = append(todo, f)
			}
		}
	} else {
		// Applied versions without a file in the paths are skipped silently.
		for i := len(files) - 1; i >= 0; i-- {
			f := files[i]
			if isApplied[f.version] && (!o.toSet || f.version >= o.to) {
				todo = append(todo, f)
			}
		}
	}
	limit := len(todo)
	switch {
	case o.toSet || o.all:
	case o.nSet:
		limit = o.n
	case !up:
		limit = 1
	}
	if limit < len(todo) {
		todo = todo[:max(limit, 0)]
	}
	return todo
}

func (s *session) alreadyMigrated(up bool) {
	if up {
		s.info("Migrations already up")
	} else {
		s.info("Migrations already down")
	}
}

// statusTask prints `mix ecto.migrations`.
func (s *session) statusTask(args []string) error {
	o, repos, err := s.migratorRepos(args)
	if err != nil {
		return err
	}
	for _, r := range repos {
		files, err := listMigrations(s.pathsFor(r, o))
		if err != nil {
			return err
		}
		db, closeDB, err := s.openRepoDB(r)
		if err != nil {
			return err
		}
		applied, err := appliedVersions(db, r.migrationSource)
		closeDB()
		if err != nil {
			return err
		}
		s.printStatus(r.module, files, applied)
	}
	return nil
}

// printStatus prints one repo's table of `mix ecto.migrations`: every file
// and every applied version without one, by version.
func (s *session) printStatus(module string, files []migFile, applied []int64) {
	type row struct {
		status string
		v      int64
		name   string
	}
	var rows []row
	isApplied := versionSet(applied)
	hasFile := map[int64]bool{}
	for _, f := range files {
		hasFile[f.version] = true
		st := "down"
		if isApplied[f.version] {
			st = "up"
		}
		rows = append(rows, row{st, f.version, f.name})
	}
	for _, v := range applied {
		if !hasFile[v] {
			rows = append(rows, row{"up", v, "** FILE NOT FOUND **"})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].v < rows[j].v })
	fmt.Fprintf(s.stdout, "\nRepo: %s\n\n  Status    Migration ID    Migration Name\n%s\n", module, strings.Repeat("-", 50))
	for _, rw := range rows {
		fmt.Fprintf(s.stdout, "  %-10s%-16d%s\n", rw.status, rw.v, rw.name)
	}
	fmt.Fprintln(s.stdout)
}

// devMigFiles turns the _dev migration paths into migration files, newest
// first (the order they are rolled back in).
func devMigFiles(paths []string) []migFile {
	var files []migFile
	for _, f := range paths {
		m := reMigName.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			continue
		}
		v, _ := strconv.ParseInt(m[1], 10, 64)
		files = append(files, migFile{version: v, name: m[2], path: f})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].version > files[j].version })
	return files
}
