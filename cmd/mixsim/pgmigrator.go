package main

// Ecto.Migrator and AshPostgres's tasks on a real PostgreSQL through lib/pq:
// schema_migrations per prefix (version bigint PRIMARY KEY, inserted_at
// timestamp(0)), each migration in its own transaction with its row,
// --prefix, --tenants (all_tenants/0), and ash_postgres.rollback --tenants
// failing like ash_postgres 2.12.0 does.

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lib/pq"
)

// dispatchPostgres runs the tasks whose behaviour differs on Postgres;
// handled is false for the ones shared with SQLite (compile, run, help).
func (s *session) dispatchPostgres(name string, args []string) (err error, handled bool) {
	switch name {
	case "ash.codegen":
		return s.pgCodegenTask(args, true), true
	case "ash_postgres.generate_migrations":
		return s.pgCodegenTask(args, false), true
	case "ash.migrate":
		return s.pgMigrateTask(args, true), true
	case "ash_postgres.migrate", "ecto.migrate":
		return s.pgMigrateTask(args, false), true
	case "ash_postgres.rollback":
		return s.pgRollbackTask(args, true), true
	case "ecto.rollback":
		return s.pgRollbackTask(args, false), true
	case "ecto.migrations":
		return s.pgStatusTask(args), true
	}
	if strings.HasPrefix(name, "ash_sqlite.") {
		return mixError("The task %q could not be found", name), true
	}
	return nil, false
}

// pgArgs are the options Ecto's Postgres tasks add to the shared ones.
type pgArgs struct {
	prefix    string
	prefixSet bool
	tenants   bool
}

func splitPGArgs(args []string) (pgArgs, []string, error) {
	var p pgArgs
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--tenants":
			p.tenants = true
		case a == "--prefix":
			if i+1 >= len(args) {
				return p, nil, mixError("--prefix : Missing argument of type string")
			}
			i++
			p.prefix, p.prefixSet = args[i], true
		case strings.HasPrefix(a, "--prefix="):
			p.prefix, p.prefixSet = strings.TrimPrefix(a, "--prefix="), true
		default:
			rest = append(rest, a)
		}
	}
	return p, rest, nil
}

// pgException renders a driver error as Postgrex would.
func pgException(err error, query string) error {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return &exception{kind: "Postgrex.Error", msg: fmt.Sprintf("ERROR %s (%s) %s", pe.Code, pe.Code.Name(), pe.Message), detail: query}
	}
	return &exception{kind: "DBConnection.ConnectionError", msg: err.Error()}
}

func (s *session) openPG(r *repoConf) (*sql.DB, error) {
	if r.pg.database == "" {
		return nil, &exception{kind: "ArgumentError", msg: fmt.Sprintf("missing the :database key in options for %s", r.module)}
	}
	db, err := sql.Open("postgres", r.pg.dsn())
	if err != nil {
		return nil, pgException(err, "")
	}
	// One connection: Ecto migrates through a single connection too.
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, pgException(err, "")
	}
	return db, nil
}

func pgSource(prefix, source string) string { return pgName(prefix, source) }

func pgEnsureSchemaMigrations(db *sql.DB, prefix, source string) error {
	q := `CREATE TABLE IF NOT EXISTS ` + pgSource(prefix, source) + ` ("version" bigint PRIMARY KEY, "inserted_at" timestamp(0))`
	if _, err := db.Exec(q); err != nil {
		return pgException(err, q)
	}
	return nil
}

func pgAppliedVersions(db *sql.DB, prefix, source string) ([]int64, error) {
	if err := pgEnsureSchemaMigrations(db, prefix, source); err != nil {
		return nil, err
	}
	q := `SELECT "version" FROM ` + pgSource(prefix, source) + ` ORDER BY "version"`
	rows, err := db.Query(q)
	if err != nil {
		return nil, pgException(err, q)
	}
	return scanVersions(rows)
}

func (s *session) pgPaths(r *repoConf, o migratorOpts, tenant bool) []string {
	if len(o.paths) > 0 {
		return s.pathsFor(r, o)
	}
	dir := "migrations"
	if tenant {
		dir = "tenant_migrations"
	}
	return []string{filepath.Join(s.root, r.priv, dir)}
}

func (s *session) pgMigrateTask(args []string, ash bool) error {
	p, rest, err := splitPGArgs(args)
	if err != nil {
		return err
	}
	o, repos, err := s.migrateSetup(rest, ash, "AshPostgres.DataLayer")
	if err != nil {
		return err
	}
	for _, r := range repos {
		if p.tenants {
			if err := s.pgForTenants(r, o, true); err != nil {
				return err
			}
			continue
		}
		if err := s.pgMigrateRepo(r, o, p.prefix, s.pgPaths(r, o, false), true, false); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) pgRollbackTask(args []string, ashPostgres bool) error {
	p, rest, err := splitPGArgs(args)
	if err != nil {
		return err
	}
	o, repos, err := s.migratorRepos(rest)
	if err != nil {
		return err
	}
	for _, r := range repos {
		if ashPostgres && p.tenants {
			if m := r.pg.module; m != nil && m.tenantsSQL != "" {
				return s.pgTenantsNotStarted(r)
			}
			if err := s.pgForTenants(r, o, false); err != nil {
				return err
			}
			continue
		}
		if err := s.pgMigrateRepo(r, o, p.prefix, s.pgPaths(r, o, false), false, false); err != nil {
			return err
		}
	}
	return nil
}

// pgTenantsNotStarted is ash_postgres 2.12.0's `rollback --tenants`: it
// calls all_tenants/0 before starting the repo, so a repo whose tenants
// come from a query cannot answer (upstream issue #642).
func (s *session) pgTenantsNotStarted(r *repoConf) error {
	m := r.pg.module
	return &exception{kind: "RuntimeError",
		msg: fmt.Sprintf("could not lookup Ecto repo %s because it was not started or it does not exist", r.module),
		trace: []string{
			"(ecto 3.14.2) lib/ecto/repo/registry.ex:22: Ecto.Repo.Registry.lookup/1",
			"(ecto_sql 3.14.0) lib/ecto/adapters/sql.ex:645: Ecto.Adapters.SQL.query/4",
			"(ecto_sql 3.14.0) lib/ecto/adapters/sql.ex:628: Ecto.Adapters.SQL.query!/4",
			fmt.Sprintf("(%s %s) %s:%d: %s.all_tenants/0", s.proj.app, s.proj.appVersion(), filepath.ToSlash(m.file), m.tenantsLine, r.module),
			"(ash_postgres 2.12.0) lib/mix/helpers.ex:171: AshPostgres.Mix.Helpers.tenants/2",
			"(ash_postgres 2.12.0) lib/mix/tasks/ash_postgres.rollback.ex:90: anonymous fn/3 in Mix.Tasks.AshPostgres.Rollback.run/1",
			`(elixir 1.18.4) lib/enum.ex:1714: Enum."-map/2-lists^map/1-1-"/2`,
			"(mix 1.18.4) lib/mix/task.ex:495: anonymous fn/3 in Mix.Task.run_task/5",
		}}
}

// pgTenants is all_tenants/0: a literal list, or the rows of its query.
func (s *session) pgTenants(r *repoConf) ([]string, error) {
	m := r.pg.module
	if m == nil || !m.hasTenants {
		return nil, &exception{kind: "RuntimeError", msg: fmt.Sprintf("%s.all_tenants/0 is not implemented: define it in the repo module to use --tenants", r.module)}
	}
	if m.tenantsSQL == "" {
		return m.tenantsList, nil
	}
	db, err := s.openPG(r)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(m.tenantsSQL)
	if err != nil {
		return nil, pgException(err, m.tenantsSQL)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for _, v := range vals { // List.flatten(rows)
			out = append(out, v.String)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.debug("QUERY OK db=0.9ms decode=0.1ms queue=0.1ms idle=0.0ms\n" + m.tenantsSQL + " []")
	return out, nil
}

// pgForTenants migrates (or rolls back) the tenant migrations in every
// tenant schema, each with its own schema_migrations.
func (s *session) pgForTenants(r *repoConf, o migratorOpts, up bool) error {
	tenants, err := s.pgTenants(r)
	if err != nil {
		return err
	}
	for i, t := range tenants {
		if err := s.pgMigrateRepo(r, o, t, s.pgPaths(r, o, true), up, i > 0); err != nil {
			return err
		}
	}
	return nil
}

// pgMigrateRepo is Ecto.Migrator.run(repo, paths, :up | :down, prefix:).
// reloaded prints the "redefining module" warning Elixir gives when the
// same migration file is loaded again in one VM (tenants after the first).
func (s *session) pgMigrateRepo(r *repoConf, o migratorOpts, prefix string, paths []string, up, reloaded bool) error {
	files, err := listMigrations(paths)
	if err != nil {
		return err
	}
	db, err := s.openPG(r)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := pgAppliedVersions(db, prefix, r.migrationSource)
	if err != nil {
		return err
	}
	todo := selectMigrations(files, applied, o, up)
	if len(todo) == 0 {
		s.alreadyMigrated(up)
		return nil
	}
	for _, f := range todo {
		if reloaded {
			s.redefiningWarning(f)
		}
		tx, err := db.Begin()
		if err != nil {
			return pgException(err, "BEGIN")
		}
		if err := s.pgRunMigration(tx, r, f, up, prefix); err != nil {
			_ = tx.Rollback()
			return err
		}
		if s.lie {
			// MIXSIM_LIE: the work is done and thrown away.
			_ = tx.Rollback()
			continue
		}
		if err := tx.Commit(); err != nil {
			return pgException(err, "COMMIT")
		}
	}
	return nil
}

func (s *session) redefiningWarning(f migFile) {
	m, err := parseMigrationFile(f.path)
	if err != nil {
		return
	}
	rel, _ := filepath.Rel(s.root, f.path)
	head := "defmodule " + m.module + " do"
	fmt.Fprintf(s.stderr, "    warning: redefining module %s (current version defined in memory)\n    │\n  1 │ %s\n    │ %s\n    │\n    └─ %s:1: %s (module)\n\n",
		m.module, head, strings.Repeat("~", len(head)), filepath.ToSlash(rel), m.module)
}

// pgRunMigration executes one migration's up or down in tx with its
// schema_migrations row; the caller commits.
func (s *session) pgRunMigration(tx *sql.Tx, r *repoConf, mf migFile, up bool, prefix string) error {
	rel, _ := filepath.Rel(s.root, mf.path)
	return s.runMigrationWith(tx, mf, up, migrationDialect{
		tracePath: filepath.ToSlash(rel),
		prepare: func(st stmt) stmt {
			if st.kind == "unsupported" {
				return pgConstraintStmt(st)
			}
			return st
		},
		sqlFor: func(st stmt) (string, []string, error) { return pgSQLFor(st, prefix) },
		sqlErr: pgException,
		record: func(v int64, up bool) (string, []any) {
			if up {
				return `INSERT INTO ` + pgSource(prefix, r.migrationSource) + ` ("version", "inserted_at") VALUES ($1, $2)`,
					[]any{v, time.Now().UTC().Format("2006-01-02 15:04:05")}
			}
			return `DELETE FROM ` + pgSource(prefix, r.migrationSource) + ` WHERE "version" = $1`, []any{v}
		},
	})
}

// pgRemoveDev is the named run after --dev runs: roll back the applied dev
// migrations of the public scope in one transaction, newest first, then
// delete every _dev file.
func (s *session) pgRemoveDev(scopes []*pgScope) error {
	for _, sc := range scopes {
		if len(sc.devMigs) > 0 && !sc.tenant {
			if err := s.pgRollbackDev(sc); err != nil {
				return err
			}
		}
		if s.lie {
			continue
		}
		for _, f := range append(append([]string{}, sc.devMigs...), sc.devSnaps...) {
			if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	return nil
}

func (s *session) pgRollbackDev(sc *pgScope) error {
	files := devMigFiles(sc.devMigs)
	db, err := s.openPG(sc.repo)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := pgAppliedVersions(db, "", sc.repo.migrationSource)
	if err != nil {
		return err
	}
	isApplied := versionSet(applied)
	tx, err := db.Begin()
	if err != nil {
		return pgException(err, "BEGIN")
	}
	s.debug("QUERY OK db=0.1ms\nbegin []")
	for _, f := range files {
		if !isApplied[f.version] {
			continue
		}
		if err := s.pgRunMigration(tx, sc.repo, f, false, ""); err != nil {
			_ = tx.Rollback()
			s.debug("QUERY OK db=0.1ms\nrollback []")
			return err
		}
	}
	if s.lie {
		return tx.Rollback()
	}
	if err := tx.Commit(); err != nil {
		return pgException(err, "COMMIT")
	}
	s.debug("QUERY OK db=0.1ms\ncommit []")
	return nil
}

// pgStatusTask prints `mix ecto.migrations` (with --prefix).
func (s *session) pgStatusTask(args []string) error {
	p, rest, err := splitPGArgs(args)
	if err != nil {
		return err
	}
	o, repos, err := s.migratorRepos(rest)
	if err != nil {
		return err
	}
	for _, r := range repos {
		files, err := listMigrations(s.pgPaths(r, o, false))
		if err != nil {
			return err
		}
		db, err := s.openPG(r)
		if err != nil {
			return err
		}
		applied, err := pgAppliedVersions(db, p.prefix, r.migrationSource)
		db.Close()
		if err != nil {
			return err
		}
		s.printStatus(r.module, files, applied)
	}
	return nil
}
