package main

// ash.codegen / ash_postgres.generate_migrations for AshPostgres: per repo a
// public migration (priv/<repo>/migrations) and a tenant migration
// (priv/<repo>/tenant_migrations) with their snapshots
// (priv/resource_snapshots/<repo>/[tenants/]<table>/<ts>.json), plus
// extensions.json and, the first time, <T>_<name>_extensions_1.exs.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// pgScope is the public or the tenant half of one repo's codegen.
type pgScope struct {
	repo       *repoConf
	tenant     bool
	migDir     string // absolute
	snapDir    string // absolute
	changes    []tableChange
	newSnaps   map[string]*pgSnapshot
	dropFolder []string
	devMigs    []string
	devSnaps   []string
}

func (sc *pgScope) moduleBase() string {
	if sc.tenant {
		return sc.repo.module + ".TenantMigrations."
	}
	return sc.repo.module + ".Migrations."
}

const pgNameRequiredText = "** (RuntimeError) Name must be provided when generating migrations, unless `--dry-run` or `--check` or `--dev` is also provided.\n\n" +
	"Please provide a name. for example:\n\n    mix ash_postgres.generate_migrations <name> ...args\n\n" +
	"    (ash_postgres 2.12.0) lib/migration_generator/migration_generator.ex:739: AshPostgres.MigrationGenerator.require_name!/1\n" +
	"    (ash_postgres 2.12.0) lib/migration_generator/migration_generator.ex:1411: AshPostgres.MigrationGenerator.migration/6\n" +
	"    (elixir 1.18.4) lib/enum.ex:1714: Enum.\"-map/2-lists^map/1-1-\"/2\n" +
	"    (ash_postgres 2.12.0) lib/migration_generator/migration_generator.ex:601: anonymous fn/6 in AshPostgres.MigrationGenerator.create_migrations/5\n" +
	"    (stdlib 4.2) maps.erl:411: :maps.fold_1/3\n" +
	"    (ash_postgres 2.12.0) lib/migration_generator/migration_generator.ex:81: AshPostgres.MigrationGenerator.generate/2\n" +
	"    (mix 1.18.4) lib/mix/task.ex:495: anonymous fn/3 in Mix.Task.run_task/5\n" +
	"    (elixir 1.18.4) lib/enum.ex:1714: Enum.\"-map/2-lists^map/1-1-\"/2"

func (s *session) pgCodegenTask(args []string, ash bool) error {
	o, res, err := s.codegenInput(args, ash, "AshPostgres.DataLayer")
	if err != nil {
		return err
	}
	sets, err := buildPGSnapshots(res)
	if err != nil {
		return err
	}
	for mod := range sets {
		if s.proj.repo(mod) == nil {
			return &compileError{"config/config.exs", 1, fmt.Sprintf("mixsim: resources use %s, which config does not configure", mod)}
		}
	}
	var scopes []*pgScope
	extNeeded := map[*repoConf]bool{}
	nChanges, devPresent := 0, false
	for _, r := range s.proj.repos {
		set := sets[r.module]
		if set == nil {
			set = &pgSnapshotSet{public: map[string]*pgSnapshot{}, tenant: map[string]*pgSnapshot{}}
		}
		for _, tenant := range []bool{false, true} {
			want := set.public
			if tenant {
				want = set.tenant
			}
			sc, err := s.planPGScope(r, tenant, want, o)
			if err != nil {
				return err
			}
			if err := s.resolveRenames(sc.changes, o); err != nil {
				return err
			}
			scopes = append(scopes, sc)
			nChanges += len(sc.changes)
			devPresent = devPresent || len(sc.devMigs)+len(sc.devSnaps) > 0
		}
		if len(set.public)+len(set.tenant) > 0 && s.extensionsOutdated(r) {
			extNeeded[r] = true
		}
	}

	if o.check {
		n := 0
		for _, sc := range scopes {
			n += pendingFiles(sc.changes)
		}
		n += 2 * len(extNeeded)
		if n == 0 && devPresent {
			n = 1
		}
		if n > 0 {
			return pendingError(n)
		}
		return nil
	}
	if (nChanges > 0 || len(extNeeded) > 0) && o.name == "" && !o.dev && !o.dryRun {
		return &taskError{code: 1, text: pgNameRequiredText}
	}
	if !o.dev && devPresent && o.name != "" && !o.dryRun {
		if err := s.pgRemoveDev(scopes); err != nil {
			return err
		}
	}
	if nChanges == 0 && len(extNeeded) == 0 {
		fmt.Fprintln(s.stdout, "No changes detected, so no migrations or snapshots have been created.")
		return nil
	}

	var out []genFile
	for _, r := range s.proj.repos {
		g, err := s.pgGenerateRepo(r, scopes, extNeeded[r], o)
		if err != nil {
			return err
		}
		out = append(out, g...)
	}
	fmt.Fprintln(s.stdout, "Please always manually review the generated migrations for correctness.")
	// AshPostgres prints absolute paths for --dry-run, relative ones when
	// creating (no _build detour, unlike AshSqlite).
	err = s.writeGenerated(out, o.dryRun, func(path string, dryRun bool) string {
		if dryRun {
			return path
		}
		rel, _ := filepath.Rel(s.root, path)
		return filepath.ToSlash(rel)
	})
	if err != nil {
		return err
	}
	if !o.dryRun && !s.lie {
		for _, sc := range scopes {
			if err := removeAll(sc.dropFolder); err != nil {
				return err
			}
		}
		// AshPostgres rewrites extensions.json on every generating run.
		for _, r := range s.proj.repos {
			if extNeeded[r] {
				continue // written above, announced as created
			}
			if _, err := os.Stat(s.extensionsPath(r)); err == nil {
				if err := os.WriteFile(s.extensionsPath(r), []byte(extensionsJSON(r.installedExtensions())), 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *session) extensionsPath(r *repoConf) string {
	return filepath.Join(s.root, r.snapshotsDir(), "extensions.json")
}

// extensionsOutdated: extensions.json is missing or lists other extensions
// than installed_extensions/0.
func (s *session) extensionsOutdated(r *repoConf) bool {
	data, err := os.ReadFile(s.extensionsPath(r))
	if err != nil {
		return true
	}
	return strings.TrimSpace(string(data)) != extensionsJSON(r.installedExtensions())
}

func (s *session) planPGScope(r *repoConf, tenant bool, want map[string]*pgSnapshot, o codegenOpts) (*pgScope, error) {
	sc := &pgScope{repo: r, tenant: tenant, newSnaps: want,
		migDir:  filepath.Join(s.root, r.priv, "migrations"),
		snapDir: filepath.Join(s.root, r.snapshotsDir())}
	if tenant {
		sc.migDir = filepath.Join(s.root, r.priv, "tenant_migrations")
		sc.snapDir = filepath.Join(sc.snapDir, "tenants")
	}
	sc.devMigs = devMigrations(sc.migDir)
	tables, err := snapshotTables(sc.snapDir) // skips tenants/
	if err != nil {
		return nil, err
	}
	sc.devSnaps = devSnapshots(sc.snapDir, tables)
	skipDev := !o.dev && len(sc.devMigs)+len(sc.devSnaps) > 0
	for _, t := range tableNames(tables, want) {
		old, err := readLatest(filepath.Join(sc.snapDir, t), skipDev, readPGSnapshot)
		if err != nil {
			return nil, err
		}
		nw := want[t]
		switch {
		case old == nil && nw == nil:
		case old == nil:
			sc.changes = append(sc.changes, tableChange{table: t, new: nw.asGeneric()})
		case nw == nil:
			sc.changes = append(sc.changes, tableChange{table: t, old: old.asGeneric()})
			sc.dropFolder = append(sc.dropFolder, filepath.Join(sc.snapDir, t))
		case !samePGSnapshot(old, nw):
			sc.changes = append(sc.changes, tableChange{table: t, old: old.asGeneric(), new: nw.asGeneric()})
		}
	}
	return sc, nil
}

// pgVersionClock hands out consecutive timestamps for one repo's run: the UTC
// clock, but above every existing migration and snapshot of the repo and
// the last one issued (fast tests run many times a second).
type pgVersionClock struct{ next int64 }

func (s *session) newPGVersions(r *repoConf) *pgVersionClock {
	t, _ := strconv.ParseInt(s.now().UTC().Format("20060102150405"), 10, 64)
	bump := func(name string) {
		digits := name
		if i := strings.IndexAny(name, "_."); i > 0 {
			digits = name[:i]
		}
		if v, err := strconv.ParseInt(digits, 10, 64); err == nil && v >= t && len(digits) == 14 {
			t = v + 1
		}
	}
	for _, d := range []string{"migrations", "tenant_migrations"} {
		entries, _ := os.ReadDir(filepath.Join(s.root, r.priv, d))
		for _, e := range entries {
			bump(e.Name())
		}
	}
	for _, dir := range []string{filepath.Join(s.root, r.snapshotsDir()), filepath.Join(s.root, r.snapshotsDir(), "tenants")} {
		tables, _ := snapshotTables(dir)
		for _, tb := range tables {
			entries, _ := os.ReadDir(filepath.Join(dir, tb))
			for _, e := range entries {
				bump(e.Name())
			}
		}
	}
	if data, err := os.ReadFile(s.clockPath()); err == nil {
		bump(strings.TrimSpace(string(data)))
	}
	return &pgVersionClock{next: t}
}

func (s *session) clockPath() string {
	return filepath.Join(s.root, s.proj.buildPath, "mixsim_clock")
}

func (v *pgVersionClock) take() int64 { v.next++; return v.next - 1 }

// remember stores the last issued version (the clock never goes back).
func (s *session) remember(v *pgVersionClock) {
	if err := os.MkdirAll(filepath.Dir(s.clockPath()), 0o755); err == nil {
		_ = os.WriteFile(s.clockPath(), []byte(strconv.FormatInt(v.next-1, 10)), 0o644)
	}
}

func (s *session) pgGenerateRepo(r *repoConf, scopes []*pgScope, ext bool, o codegenOpts) ([]genFile, error) {
	var mine []*pgScope
	changed := false
	for _, sc := range scopes {
		if sc.repo == r {
			mine = append(mine, sc)
			changed = changed || len(sc.changes) > 0
		}
	}
	if !changed && !ext {
		return nil, nil
	}
	vs := s.newPGVersions(r)
	defer s.remember(vs)
	suffix := ""
	if o.dev {
		suffix = "_dev"
	}
	name := o.name
	if name == "" {
		name = unnamedMigration(filepath.Join(s.root, r.priv, "migrations"))
	}
	var out []genFile
	if ext {
		out = append(out, genFile{s.extensionsPath(r), extensionsJSON(r.installedExtensions())})
		v := vs.take()
		extName := name + "_extensions_1"
		out = append(out, genFile{
			filepath.Join(s.root, r.priv, "migrations", fmt.Sprintf("%d_%s%s.exs", v, extName, suffix)),
			pgExtensionsMigration(r.module+".Migrations."+camelize(extName), r.installedExtensions()),
		})
	}
	for _, sc := range mine {
		if len(sc.changes) == 0 {
			continue
		}
		v := vs.take()
		up, down := migrationBodies(sc.changes, pgStyle(sc.tenant))
		out = append(out, genFile{
			filepath.Join(sc.migDir, fmt.Sprintf("%d_%s%s.exs", v, name, suffix)),
			pgMigrationText(sc.moduleBase()+camelize(name), up, down),
		})
		for _, c := range sc.changes {
			if c.new == nil {
				continue
			}
			snap := sc.newSnaps[c.table]
			out = append(out, genFile{
				filepath.Join(sc.snapDir, c.table, fmt.Sprintf("%d%s.json", vs.take(), suffix)),
				encodePGSnapshot(snap),
			})
		}
	}
	return out, nil
}

// pgMigrationText ends with a newline, unlike AshSqlite's.
func pgMigrationText(module string, up, down []string) string {
	return generatedMigration(module, "ash_postgres", up, down) + "\n"
}

// pgAshFunctions are cheap stand-ins for AshPostgres's ash-functions: real
// CREATE OR REPLACE FUNCTION statements, one line each (mixsim reads no
// heredocs), so the first migration really touches the database.
var pgAshFunctions = []string{
	`CREATE OR REPLACE FUNCTION ash_elixir_or(left BOOLEAN, in right ANYCOMPATIBLE, out f1 ANYCOMPATIBLE) AS $$ SELECT COALESCE(NULLIF($1, FALSE), $2) $$ LANGUAGE SQL SET search_path = '' IMMUTABLE;`,
	`CREATE OR REPLACE FUNCTION ash_elixir_and(left BOOLEAN, in right ANYCOMPATIBLE, out f1 ANYCOMPATIBLE) AS $$ SELECT CASE WHEN $1 IS TRUE THEN $2 ELSE $1 END $$ LANGUAGE SQL SET search_path = '' IMMUTABLE;`,
	`CREATE OR REPLACE FUNCTION ash_raise_error(json_data jsonb) RETURNS BOOLEAN AS $$ BEGIN RAISE EXCEPTION 'ash_error: %', json_data::text; RETURN NULL; END; $$ LANGUAGE plpgsql STABLE SET search_path = '';`,
}

const pgAshFunctionsDrop = `DROP FUNCTION IF EXISTS ash_raise_error(jsonb), ash_elixir_and(BOOLEAN, ANYCOMPATIBLE), ash_elixir_or(BOOLEAN, ANYCOMPATIBLE)`

func pgExtensionsMigration(module string, installed []string) string {
	var up, down []string
	for _, e := range installed {
		if e == "ash-functions" {
			for _, f := range pgAshFunctions {
				up = append(up, "    execute("+strconv.Quote(f)+")")
			}
			down = append(down, "    execute("+strconv.Quote(pgAshFunctionsDrop)+")")
			continue
		}
		up = append(up, "    execute("+strconv.Quote(fmt.Sprintf(`CREATE EXTENSION IF NOT EXISTS "%s"`, e))+")")
		down = append(down, "    # execute("+strconv.Quote(fmt.Sprintf(`DROP EXTENSION IF EXISTS "%s"`, e))+")")
	}
	return "defmodule " + module + ` do
  @moduledoc """
  Installs any extensions that are mentioned in the repo's ` + "`installed_extensions/0`" + ` callback

  This file was autogenerated with ` + "`mix ash_postgres.generate_migrations`" + `
  """

  use Ecto.Migration

  def up do
` + strings.Join(up, "\n\n") + `
  end

  def down do
    # Uncomment this if you actually want to uninstall the extensions
    # when this migration is rolled back:
` + strings.Join(down, "\n\n") + `
  end
end
`
}

// pgTableOpts is the table(...) option tail for a scope.
func pgTableOpts(tenant bool) string {
	if tenant {
		return ", prefix: prefix()"
	}
	return ""
}

// pgStyle is AshPostgres's migration text for the public or tenant scope:
// unlike AshSqlite, a down drops the foreign key constraint and then the
// table.
func pgStyle(tenant bool) migrationStyle {
	to := pgTableOpts(tenant)
	return migrationStyle{
		tableOpts: to,
		create:    func(s *snapshot) string { return pgCreateBlock(s, tenant) },
		add:       func(a snapAttr) string { return pgAddLine(a, tenant) },
		fkDown: func(table, constraint string) string {
			return fmt.Sprintf("    drop constraint(:%s, %q%s)", table, constraint, to)
		},
		dropFKsOnDrop: true,
	}
}

func pgCreateBlock(s *snapshot, tenant bool) string {
	var lines []string
	for _, a := range s.Attributes {
		lines = append(lines, pgAddLine(a, tenant))
	}
	return block("create table(:"+s.Table+", primary_key: false"+pgTableOpts(tenant)+")", lines)
}

// pgAddLine is addLine with AshPostgres's references(..., prefix: ...).
func pgAddLine(a snapAttr, tenant bool) string {
	if a.References == nil {
		return addLine("add", a, true)
	}
	prefix := `"public"`
	if tenant {
		prefix = "prefix()"
	}
	typ := fmt.Sprintf("references(:%s, column: :%s, name: %q, type: :%s, prefix: %s)",
		a.References.Table, a.References.DestinationAttribute, a.References.Name, a.Type, prefix)
	var opts []string
	if !a.AllowNil {
		opts = append(opts, "null: false")
	}
	head := "      add :" + a.Source + ", " + typ
	if len(opts) == 0 {
		return head
	}
	if line := head + ", " + strings.Join(opts, ", "); len(line) <= 98 {
		return line
	}
	return head + ",\n        " + strings.Join(opts, ", ")
}
