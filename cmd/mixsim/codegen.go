package main

// ash.codegen / ash_sqlite.generate_migrations: diff resources against the
// latest snapshot per table, write one migration per repo plus one snapshot
// per changed table, with AshSqlite's text layout.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

type codegenOpts struct {
	name   string
	check  bool
	dev    bool
	dryRun bool
}

func parseCodegenArgs(args []string) (codegenOpts, error) {
	var o codegenOpts
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--check":
			o.check = true
		case a == "--dev":
			o.dev = true
		case a == "--dry-run":
			o.dryRun = true
		case a == "--name":
			if i+1 >= len(args) {
				return o, mixError("--name : Missing argument of type string")
			}
			i++
			o.name = args[i]
		case strings.HasPrefix(a, "--name="):
			o.name = strings.TrimPrefix(a, "--name=")
		case a == "--no-compile" || a == "--quiet" || a == "--no-format":
		case strings.HasPrefix(a, "-"):
			return o, mixError("Could not invoke task: 1 error found!\n%s : Unknown option", a)
		default:
			if o.name != "" {
				return o, mixError("Expected at most one name, got %q and %q", o.name, a)
			}
			o.name = a
		}
	}
	return o, nil
}

// tableChange is one table's difference between snapshot and resources.
type tableChange struct {
	table   string
	old     *snapshot // nil: created
	new     *snapshot // nil: dropped
	renames []rename  // attributes the user said were renamed (renames.go)
}

type repoPlan struct {
	repo       *repoConf
	changes    []tableChange
	devMigs    []string // absolute paths of *_dev.exs
	devSnaps   []string // absolute paths of *_dev.json
	dropFolder []string // snapshot folders of dropped tables
}

type genFile struct {
	path    string // absolute
	content string
}

// codegenInput parses a codegen task's options, compiles and loads the
// resources; ash.codegen announces the data layer in between.
func (s *session) codegenInput(args []string, ash bool, layer string) (codegenOpts, []*resource, error) {
	o, err := parseCodegenArgs(args)
	if err != nil {
		return o, nil, err
	}
	if err := s.ensureCompiled(); err != nil {
		return o, nil, err
	}
	if ash {
		s.ashBanner("Running codegen for " + layer + "...")
	}
	files, err := libFiles(s.root)
	if err != nil {
		return o, nil, err
	}
	res, err := loadResources(s.proj, files)
	return o, res, err
}

// pendingFiles counts what --check reports for one migration's changes:
// the migration plus a snapshot per table that is not dropped.
func pendingFiles(changes []tableChange) int {
	if len(changes) == 0 {
		return 0
	}
	n := 1
	for _, c := range changes {
		if c.new != nil {
			n++
		}
	}
	return n
}

func pendingError(n int) error {
	return &taskError{code: 1, text: fmt.Sprintf("** (Mix) Pending Code Generation Detected for %d files\n\n\nRun with --dry-run to view pending changes", n)}
}

// writeGenerated prints (--dry-run) or writes the generated files and
// announces each; display names a file for either.
func (s *session) writeGenerated(out []genFile, dryRun bool, display func(path string, dryRun bool) string) error {
	for i, f := range out {
		if dryRun {
			if i > 0 {
				fmt.Fprintln(s.stdout)
			}
			fmt.Fprintf(s.stdout, "%s\n%s\n", display(f.path, true), f.content)
			continue
		}
		if !s.lie {
			if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(f.path, []byte(f.content), 0o644); err != nil {
				return err
			}
		}
		fmt.Fprintf(s.stdout, "* creating %s\n", display(f.path, false))
	}
	return nil
}

// removeAll deletes the snapshot folders of dropped tables (Ash removes
// the whole folder).
func removeAll(dirs []string) error {
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) codegenTask(args []string, ash bool) error {
	o, res, err := s.codegenInput(args, ash, "AshSqlite.DataLayer")
	if err != nil {
		return err
	}
	snaps, err := buildSnapshots(res)
	if err != nil {
		return err
	}
	repos := append([]*repoConf{}, s.proj.repos...)
	for mod := range snaps {
		if s.proj.repo(mod) == nil {
			// A resource names a repo that config does not list; still
			// generate into its conventional folders.
			seg := mod[strings.LastIndex(mod, ".")+1:]
			r := &repoConf{module: mod, migrationSource: "schema_migrations", dirName: underscore(seg)}
			r.priv = filepath.Join("priv", r.dirName)
			repos = append(repos, r)
		}
	}
	var plans []*repoPlan
	nChanges, devPresent := 0, false
	for _, r := range repos {
		p, err := s.planRepo(r, snaps[r.module], o)
		if err != nil {
			return err
		}
		if err := s.resolveRenames(p.changes, o); err != nil {
			return err
		}
		plans = append(plans, p)
		nChanges += len(p.changes)
		devPresent = devPresent || len(p.devMigs)+len(p.devSnaps) > 0
	}
	finalize := !o.dev && devPresent

	if o.check {
		// Simplification: leftover _dev files always count as pending work
		// (they must be squashed into a named migration before commit).
		n := 0
		for _, p := range plans {
			n += pendingFiles(p.changes)
		}
		if n == 0 && devPresent {
			n = 1
		}
		if n > 0 {
			return pendingError(n)
		}
		return nil
	}
	if nChanges > 0 && o.name == "" && !o.dev && !o.dryRun {
		return &taskError{code: 1, text: nameRequiredText}
	}
	if finalize && o.name != "" && !o.dryRun {
		// Like AshSqlite: undo the applied dev migrations, drop the _dev
		// files, then generate against the latest non-dev snapshots.
		if err := s.removeDev(plans); err != nil {
			return err
		}
	}
	if nChanges == 0 {
		fmt.Fprintln(s.stdout, "No changes detected, so no migrations or snapshots have been created.")
		return nil
	}
	var out []genFile
	for _, p := range plans {
		if len(p.changes) == 0 {
			continue
		}
		g, err := s.generate(p, o)
		if err != nil {
			return err
		}
		out = append(out, g...)
	}
	if err := s.writeGenerated(out, o.dryRun, s.displayCreated); err != nil {
		return err
	}
	if !o.dryRun && !s.lie {
		for _, p := range plans {
			if err := removeAll(p.dropFolder); err != nil {
				return err
			}
		}
	}
	return nil
}

const nameRequiredText = "** (RuntimeError) Name must be provided when generating migrations, unless `--dry-run` or `--check` or `--dev` is also provided.\n\n" +
	"Please provide a name. for example:\n\n    mix ash_sqlite.generate_migrations <name> ...args\n\n" +
	"    (ash_sqlite 0.2.17) lib/migration_generator/migration_generator.ex:937: AshSqlite.MigrationGenerator.require_name!/1\n" +
	"    (ash_sqlite 0.2.17) lib/migration_generator/migration_generator.ex:858: AshSqlite.MigrationGenerator.migration/3\n" +
	"    (mix 1.18.4) lib/mix/task.ex:495: anonymous fn/3 in Mix.Task.run_task/5"

// displayCreated mirrors AshSqlite printing through the _build symlink
// (absolute for --dry-run, relative for "* creating").
func (s *session) displayCreated(abs string, absolute bool) string {
	rel, err := filepath.Rel(s.root, abs)
	if err != nil {
		return abs
	}
	return s.proj.viaBuild(rel, absolute)
}

func (s *session) planRepo(r *repoConf, want map[string]*snapshot, o codegenOpts) (*repoPlan, error) {
	p := &repoPlan{repo: r}
	migDir := filepath.Join(s.root, r.migrationsDir())
	snapDir := filepath.Join(s.root, r.snapshotsDir())
	p.devMigs = devMigrations(migDir)
	tables, err := snapshotTables(snapDir)
	if err != nil {
		return nil, err
	}
	p.devSnaps = devSnapshots(snapDir, tables)
	// Without --dev, dev snapshots are about to be discarded: diff against
	// the latest non-dev one. With --dev, the plain maximum wins.
	skipDev := !o.dev && len(p.devMigs)+len(p.devSnaps) > 0
	for _, t := range tableNames(tables, want) {
		old, err := readLatest(filepath.Join(snapDir, t), skipDev, readSnapshot)
		if err != nil {
			return nil, err
		}
		nw := want[t]
		switch {
		case old == nil && nw == nil:
		case old == nil:
			p.changes = append(p.changes, tableChange{table: t, new: nw})
		case nw == nil:
			p.changes = append(p.changes, tableChange{table: t, old: old})
			p.dropFolder = append(p.dropFolder, filepath.Join(snapDir, t))
		case !sameSnapshot(old, nw):
			p.changes = append(p.changes, tableChange{table: t, old: old, new: nw})
		}
	}
	return p, nil
}

// devMigrations lists the *_dev.exs files of migDir (absolute).
func devMigrations(migDir string) []string {
	var out []string
	if entries, err := os.ReadDir(migDir); err == nil {
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), "_dev.exs") {
				out = append(out, filepath.Join(migDir, e.Name()))
			}
		}
	}
	return out
}

// devSnapshots lists the *_dev.json files of the tables' snapshot folders.
func devSnapshots(snapDir string, tables []string) []string {
	var out []string
	for _, t := range tables {
		entries, _ := os.ReadDir(filepath.Join(snapDir, t))
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), "_dev.json") {
				out = append(out, filepath.Join(snapDir, t, e.Name()))
			}
		}
	}
	return out
}

// tableNames is every table with a snapshot folder or a wanted snapshot,
// sorted.
func tableNames[S any](tables []string, want map[string]S) []string {
	all := map[string]bool{}
	for _, t := range tables {
		all[t] = true
	}
	for t := range want {
		all[t] = true
	}
	names := make([]string, 0, len(all))
	for t := range all {
		names = append(names, t)
	}
	sort.Strings(names)
	return names
}

// removeDev rolls back the applied _dev migrations newest first in ONE
// transaction (as AshSqlite does), then deletes every _dev file.
func (s *session) removeDev(plans []*repoPlan) error {
	for _, p := range plans {
		if len(p.devMigs) == 0 && len(p.devSnaps) == 0 {
			continue
		}
		if len(p.devMigs) > 0 {
			if err := s.rollbackDev(p); err != nil {
				return err
			}
		}
		if s.lie {
			continue
		}
		for _, f := range append(append([]string{}, p.devMigs...), p.devSnaps...) {
			if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	return nil
}

func (s *session) rollbackDev(p *repoPlan) error {
	files := devMigFiles(p.devMigs)
	db, closeDB, err := s.openRepoDB(p.repo)
	if err != nil {
		return err
	}
	defer closeDB()
	applied, err := appliedVersions(db, p.repo.migrationSource)
	if err != nil {
		return err
	}
	isApplied := versionSet(applied)
	var todo []migFile
	for _, f := range files {
		if isApplied[f.version] {
			todo = append(todo, f)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	tx, err := db.Begin()
	if err != nil {
		return sqlException(err, "BEGIN")
	}
	s.debug("QUERY OK db=0.1ms\nbegin []")
	for _, f := range todo {
		if err := s.runMigration(tx, p.repo, f, false); err != nil {
			tx.Rollback()
			s.debug("QUERY OK db=0.1ms\nrollback []")
			if ex, ok := err.(*exception); ok && len(ex.trace) > 0 {
				ex.trace = append(ex.trace[:1],
					"(ecto_sql 3.14.0) lib/ecto/migration/runner.ex:312: Ecto.Migration.Runner.perform_operation/3",
					"(ash_sqlite 0.2.17) lib/migration_generator/migration_generator.ex:427: anonymous fn/2 in AshSqlite.MigrationGenerator.remove_dev_migrations_and_snapshots/4")
			}
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return sqlException(err, "COMMIT")
	}
	s.debug("QUERY OK db=0.1ms\ncommit []")
	return nil
}

// nextVersion picks the migration timestamp: the UTC clock, but never at or
// below an existing migration or snapshot version of the repo, so two runs
// within one second (fast tests) never collide or reorder.
func (s *session) nextVersion(p *repoPlan) int64 {
	t, _ := strconv.ParseInt(s.now().UTC().Format("20060102150405"), 10, 64)
	bump := func(name string) {
		if m := reMigName.FindStringSubmatch(name); m != nil {
			if v, err := strconv.ParseInt(m[1], 10, 64); err == nil && v >= t {
				t = v + 1
			}
		}
	}
	migDir := filepath.Join(s.root, p.repo.migrationsDir())
	if entries, err := os.ReadDir(migDir); err == nil {
		for _, e := range entries {
			bump(e.Name())
		}
	}
	snapDir := filepath.Join(s.root, p.repo.snapshotsDir())
	tables, _ := snapshotTables(snapDir)
	for _, tb := range tables {
		entries, _ := os.ReadDir(filepath.Join(snapDir, tb))
		for _, e := range entries {
			n := e.Name()
			if i := strings.IndexAny(n, "_."); i > 0 {
				bump(n[:i] + "_x.exs")
			}
		}
	}
	// The real clock never goes back: a regenerated migration always gets a
	// newer version than the one it replaces, even when that file is gone.
	// Fast tests would reuse it, so the last issued version is remembered.
	clock := s.clockPath()
	if data, err := os.ReadFile(clock); err == nil {
		bump(strings.TrimSpace(string(data)) + "_x.exs")
	}
	if err := os.MkdirAll(filepath.Dir(clock), 0o755); err == nil {
		os.WriteFile(clock, []byte(strconv.FormatInt(t, 10)), 0o644)
	}
	return t
}

func (s *session) generate(p *repoPlan, o codegenOpts) ([]genFile, error) {
	r := p.repo
	migDir := filepath.Join(s.root, r.migrationsDir())
	name := o.name
	if name == "" {
		name = unnamedMigration(migDir)
	}
	v := s.nextVersion(p)
	suffix := ""
	if o.dev {
		suffix = "_dev"
	}
	up, down := migrationBodies(p.changes, sqliteStyle())
	text := migrationText(r.module+".Migrations."+camelize(name), up, down)
	out := []genFile{{filepath.Join(migDir, fmt.Sprintf("%d_%s%s.exs", v, name, suffix)), text}}
	k := int64(1)
	for _, c := range p.changes {
		if c.new == nil {
			continue
		}
		path := filepath.Join(s.root, r.snapshotsDir(), c.table, fmt.Sprintf("%d%s.json", v+k, suffix))
		out = append(out, genFile{path, encodeSnapshot(c.new)})
		k++
	}
	return out, nil
}

// unnamedMigration names a migration made without a name (--dev or
// --dry-run): migrate_resources<N>, N counted from existing files the way
// the generator does.
func unnamedMigration(migDir string) string {
	n := 1
	if entries, err := os.ReadDir(migDir); err == nil {
		for _, e := range entries {
			if strings.Contains(e.Name(), "_migrate_resources") {
				n++
			}
		}
	}
	return "migrate_resources" + strconv.Itoa(n)
}

// --- migration text, laid out like AshSqlite + mix format ---

func migrationText(module string, up, down []string) string {
	return generatedMigration(module, "ash_sqlite", up, down)
}

// generatedMigration is the module the data layer's generate_migrations
// task (named by layer, e.g. ash_sqlite) writes, without a final newline.
func generatedMigration(module, layer string, up, down []string) string {
	return "defmodule " + module + ` do
  @moduledoc """
  Updates resources based on their most recent snapshots.

  This file was autogenerated with ` + "`mix " + layer + ".generate_migrations`" + `
  """

  use Ecto.Migration

  def up do
` + strings.Join(up, "\n\n") + `
  end

  def down do
` + strings.Join(down, "\n\n") + `
  end
end`
}

// orderChanges: creates (referenced tables first), then alters, then drops
// (referencing tables first).
func orderChanges(changes []tableChange) []tableChange {
	var creates, alters, drops []tableChange
	for _, c := range changes {
		switch {
		case c.old == nil:
			creates = append(creates, c)
		case c.new == nil:
			drops = append(drops, c)
		default:
			alters = append(alters, c)
		}
	}
	deps := func(s *snapshot) map[string]bool {
		d := map[string]bool{}
		for _, a := range s.Attributes {
			if a.References != nil && a.References.Table != s.Table {
				d[a.References.Table] = true
			}
		}
		return d
	}
	topo := func(in []tableChange, get func(tableChange) *snapshot) []tableChange {
		var out []tableChange
		placed := map[string]bool{}
		inSet := map[string]bool{}
		for _, c := range in {
			inSet[c.table] = true
		}
		for len(out) < len(in) {
			progress := false
			for _, c := range in {
				if placed[c.table] {
					continue
				}
				ready := true
				for d := range deps(get(c)) {
					if inSet[d] && !placed[d] {
						ready = false
					}
				}
				if ready {
					// Restart after each placement: alphabetical among ready.
					out = append(out, c)
					placed[c.table] = true
					progress = true
					break
				}
			}
			if !progress { // cycle: keep alphabetical order
				for _, c := range in {
					if !placed[c.table] {
						out = append(out, c)
						placed[c.table] = true
					}
				}
			}
		}
		return out
	}
	creates = topo(creates, func(c tableChange) *snapshot { return c.new })
	drops = topo(drops, func(c tableChange) *snapshot { return c.old })
	for i, j := 0, len(drops)-1; i < j; i, j = i+1, j-1 {
		drops[i], drops[j] = drops[j], drops[i]
	}
	return append(append(creates, alters...), drops...)
}

// migrationStyle is where AshSqlite's and AshPostgres's generated
// migrations differ; the diff and the statement order are the same.
type migrationStyle struct {
	tableOpts string                 // inside table(...), after the name
	create    func(*snapshot) string // a create table block
	add       func(snapAttr) string  // an `add` line
	// fkDown is what a down does about a foreign key before its column or
	// table goes: AshSqlite raises, AshPostgres drops the constraint.
	fkDown func(table, constraint string) string
	// dropFKsOnDrop: AshPostgres drops a dropped table's constraints
	// first; SQLite has no way to.
	dropFKsOnDrop bool
}

// sqliteStyle is AshSqlite's generated migration text.
func sqliteStyle() migrationStyle {
	return migrationStyle{
		create: createBlock,
		add:    func(a snapAttr) string { return addLine("add", a, true) },
		fkDown: fkRaise,
	}
}

// migrationBodies returns the up and down statements (each already
// indented by 4) for the ordered changes; down reverses the order.
func migrationBodies(changes []tableChange, st migrationStyle) ([]string, []string) {
	var up []string
	var downs [][]string
	fkDowns := func(s *snapshot) []string {
		var d []string
		for _, a := range s.Attributes {
			if a.References != nil {
				d = append(d, st.fkDown(s.Table, a.References.Name))
			}
		}
		return d
	}
	for _, c := range orderChanges(changes) {
		dropTable := "    drop table(:" + c.table + st.tableOpts + ")"
		switch {
		case c.old == nil:
			up = append(up, st.create(c.new))
			downs = append(downs, append(fkDowns(c.new), dropTable))
		case c.new == nil:
			if st.dropFKsOnDrop {
				dropTable = strings.Join(append(fkDowns(c.old), dropTable), "\n\n")
			}
			up = append(up, dropTable)
			downs = append(downs, []string{st.create(c.old)})
		default:
			u, d := alterBlocks(c.old, c.new, c.renames, st)
			up = append(up, u...)
			downs = append(downs, d)
		}
	}
	var down []string
	for i := len(downs) - 1; i >= 0; i-- {
		down = append(down, downs[i]...)
	}
	return up, down
}

func fkRaise(table, constraint string) string {
	return `    raise "SQLite does not support dropping foreign key constraints. " <>
            "You will need to manually recreate the ` + "`" + table + "`" + ` table without the ` + "`" + constraint + "`" + ` constraint. " <>
            "See https://www.techonthenet.com/sqlite/foreign_keys/drop.php for guidance."`
}

// block renders `head do ... end` at 4 spaces with statements at 6; a
// statement the formatter had to wrap is surrounded by blank lines.
func block(head string, lines []string) string {
	var b strings.Builder
	b.WriteString("    " + head + " do\n")
	for i, l := range lines {
		multi := strings.Contains(l, "\n")
		if i > 0 && (multi || strings.Contains(lines[i-1], "\n")) {
			b.WriteString("\n")
		}
		b.WriteString(l + "\n")
	}
	b.WriteString("    end")
	return b.String()
}

func createBlock(s *snapshot) string {
	var lines []string
	// AshSqlite emits the columns in reverse attribute order.
	for i := len(s.Attributes) - 1; i >= 0; i-- {
		lines = append(lines, addLine("add", s.Attributes[i], true))
	}
	return block("create table(:"+s.Table+", primary_key: false)", lines)
}

// addLine renders `add :col, type, opts` at 6 spaces, wrapping the options
// onto a continuation line when mix format would (98 columns).
func addLine(verb string, a snapAttr, withPK bool) string {
	typ := ":" + a.Type
	if a.References != nil {
		typ = fmt.Sprintf("references(:%s, column: :%s, name: %q, type: :%s)",
			a.References.Table, a.References.DestinationAttribute, a.References.Name, a.Type)
	} else if a.Generated && a.PrimaryKey && a.Type == "bigint" {
		typ = ":bigserial"
	}
	var opts []string
	if !a.AllowNil {
		opts = append(opts, "null: false")
	}
	if a.Default != "nil" && a.Default != "" {
		opts = append(opts, "default: "+a.Default)
	}
	if a.PrimaryKey && withPK {
		opts = append(opts, "primary_key: true")
	}
	head := "      " + verb + " :" + a.Source + ", " + typ
	if len(opts) == 0 {
		return head
	}
	line := head + ", " + strings.Join(opts, ", ")
	if len(line) <= 98 {
		return line
	}
	return head + ",\n        " + strings.Join(opts, ", ")
}

// alterBlocks: Ash's rename statements first, then one alter block (none
// when the renames were all that changed); the down undoes the block,
// then the renames.
func alterBlocks(old, nw *snapshot, renames []rename, st migrationStyle) ([]string, []string) {
	oldBy := map[string]snapAttr{}
	for _, a := range old.Attributes {
		oldBy[a.Source] = a
	}
	newBy := map[string]snapAttr{}
	for _, a := range nw.Attributes {
		newBy[a.Source] = a
	}
	renamedFrom := map[string]bool{}
	tbl := "table(:" + nw.Table + st.tableOpts + ")"
	var renameUp, renameDown []string
	for _, r := range renames {
		o := oldBy[r.from]
		o.Source = r.to // compared under its new name below
		oldBy[r.to] = o
		renamedFrom[r.from] = true
		renameUp = append(renameUp, "    rename "+tbl+", :"+r.from+", to: :"+r.to)
		renameDown = append([]string{"    rename " + tbl + ", :" + r.to + ", to: :" + r.from}, renameDown...)
	}
	var upLines, downLines, fkDowns []string
	for _, a := range nw.Attributes {
		o, ok := oldBy[a.Source]
		switch {
		case !ok:
			upLines = append(upLines, st.add(a))
			downLines = append(downLines, "      remove :"+a.Source)
			if a.References != nil {
				fkDowns = append(fkDowns, st.fkDown(nw.Table, a.References.Name))
			}
		case !sameAttr(o, a):
			// Simplification: one modify per changed column; ecto_sqlite3
			// cannot run it (ALTER COLUMN), which is faithful to SQLite.
			upLines = append(upLines, modifyLine(a, o))
			downLines = append(downLines, modifyLine(o, a))
		}
	}
	for _, a := range old.Attributes {
		if _, ok := newBy[a.Source]; !ok && !renamedFrom[a.Source] {
			upLines = append(upLines, "      remove :"+a.Source)
			downLines = append(downLines, st.add(a))
		}
	}
	for i, j := 0, len(downLines)-1; i < j; i, j = i+1, j-1 {
		downLines[i], downLines[j] = downLines[j], downLines[i]
	}
	head := "alter " + tbl
	up, down := renameUp, fkDowns
	if len(upLines) > 0 {
		up = append(up, block(head, upLines))
		down = append(down, block(head, downLines))
	}
	return up, append(down, renameDown...)
}

func sameAttr(a, b snapAttr) bool {
	if (a.References == nil) != (b.References == nil) {
		return false
	}
	if a.References != nil && *a.References != *b.References {
		return false
	}
	return a.AllowNil == b.AllowNil && a.Default == b.Default && a.Type == b.Type &&
		a.PrimaryKey == b.PrimaryKey && a.Generated == b.Generated
}

func modifyLine(to, from snapAttr) string {
	l := "      modify :" + to.Source + ", :" + to.Type
	if to.AllowNil != from.AllowNil {
		l += ", null: " + strconv.FormatBool(to.AllowNil)
	}
	if to.Default != from.Default {
		l += ", default: " + to.Default
	}
	return l
}
