package main

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// threeColumns: posts table + three alter migrations, all applied.
func threeColumns(t *testing.T) string {
	dir := newProject(t, nil)
	migrationFile(t, dir, "20260101000000", "posts", "Posts", postsTable)
	migrationFile(t, dir, "20260101000001", "add_a", "AddA", addColumn("a"))
	migrationFile(t, dir, "20260101000002", "add_b", "AddB", addColumn("b"))
	migrationFile(t, dir, "20260101000003", "add_c", "AddC", addColumn("c"))
	r := mustOK(t, mixsim(t, dir, nil, "ecto.migrate"))
	if strings.Count(r.stdout, "== Migrated") != 4 {
		t.Fatalf("migrate: %s", r.stdout)
	}
	return dir
}

func TestMigrateCreatesEctoSchema(t *testing.T) {
	dir := threeColumns(t)
	if got := tableSQL(t, dir, "schema_migrations"); got != `CREATE TABLE "schema_migrations" ("version" INTEGER PRIMARY KEY, "inserted_at" TEXT)` {
		t.Errorf("schema_migrations: %s", got)
	}
	var at string
	openDB(t, dir).QueryRow(`SELECT inserted_at FROM schema_migrations LIMIT 1`).Scan(&at)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`).MatchString(at) {
		t.Errorf("inserted_at %q", at)
	}
	if got := tableSQL(t, dir, "posts"); !strings.HasPrefix(got, `CREATE TABLE "posts" ("title" TEXT NOT NULL, "id" TEXT NOT NULL PRIMARY KEY`) {
		t.Errorf("posts: %s", got)
	}
	r := mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	if !strings.Contains(r.stdout, "Running migration for AshSqlite.DataLayer...\n\n") || !strings.Contains(r.stdout, "[info] Migrations already up\n") {
		t.Errorf("already up: %q", r.stdout)
	}
}

func TestFixtureMigrationsProduceFixtureSchema(t *testing.T) {
	fx := fixturesDir(t)
	dir := newProject(t, nil)
	for _, n := range []string{"20261121234823_initial_blog.exs", "20261122000123_add_subtitle_and_tags.exs"} {
		write(t, dir, "priv/repo/migrations/"+n, readFile(t, filepath.Join(fx, "ash_sqlite/priv/repo/migrations", n)))
	}
	r := mustOK(t, mixsim(t, dir, nil, "ash_sqlite.migrate"))
	if !strings.Contains(r.stdout, "[info] == Running 20261121234823 AppSqlite.Repo.Migrations.InitialBlog.up/0\n") {
		t.Errorf("log: %s", r.stdout)
	}
	for _, l := range lines(readFile(t, filepath.Join(fx, "ash_sqlite/schema.sql"))) {
		m := regexp.MustCompile(`^CREATE TABLE IF NOT EXISTS "(\w+)" (.*);$`).FindStringSubmatch(l)
		if m == nil {
			continue
		}
		// Our tables are created once (not IF NOT EXISTS) except schema_migrations.
		got := tableSQL(t, dir, m[1])
		got = strings.TrimPrefix(strings.TrimPrefix(got, `CREATE TABLE IF NOT EXISTS "`+m[1]+`" `), `CREATE TABLE "`+m[1]+`" `)
		if m[1] == "posts" {
			// ALTER TABLE ADD COLUMN appends as SQLite does.
			got = strings.Replace(got, `, "subtitle" TEXT`, `, "subtitle" TEXT`, 1)
		}
		if got != m[2] {
			t.Errorf("%s:\n got %s\nwant %s", m[1], got, m[2])
		}
	}
}

func TestRollbackMigrationsPathAllOnlyTouchesThatDir(t *testing.T) {
	dir := threeColumns(t)
	tmp := t.TempDir()
	// Out of order on purpose: a and c, not b.
	for _, n := range []string{"20260101000001_add_a.exs", "20260101000003_add_c.exs"} {
		os.Rename(filepath.Join(dir, "priv/repo/migrations", n), filepath.Join(tmp, n))
	}
	r := mustOK(t, mixsim(t, dir, nil, "ash_sqlite.rollback", "--migrations-path", tmp, "--all"))
	if got := versions(t, dir); !reflect.DeepEqual(got, []int64{20260101000000, 20260101000002}) {
		t.Errorf("versions %v", got)
	}
	if c := columns(t, dir, "posts"); !reflect.DeepEqual(c, []string{"b", "id", "title"}) {
		t.Errorf("columns %v", c)
	}
	if !(strings.Index(r.stdout, "== Running 20260101000003 AppSqlite.Repo.Migrations.AddC.down/0") < strings.Index(r.stdout, "== Running 20260101000001 AppSqlite.Repo.Migrations.AddA.down/0")) {
		t.Errorf("not newest first:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "[info] alter table posts\n") || strings.Contains(r.stdout, "==> app_sqlite") {
		t.Errorf("output:\n%s", r.stdout)
	}
	// Nothing left in that dir: already down.
	r = mustOK(t, mixsim(t, dir, nil, "ecto.rollback", "--migrations-path", tmp, "--all"))
	if !strings.Contains(r.stdout, "[info] Migrations already down") {
		t.Errorf("%s", r.stdout)
	}
}

func TestRollbackToAndStepAndZero(t *testing.T) {
	dir := threeColumns(t)
	r := mustOK(t, mixsim(t, dir, nil, "ecto.rollback", "-n", "0"))
	if !strings.Contains(r.stdout, "Migrations already down") || len(versions(t, dir)) != 4 {
		t.Errorf("-n 0: %s %v", r.stdout, versions(t, dir))
	}
	mustOK(t, mixsim(t, dir, nil, "ecto.rollback"))
	if got := versions(t, dir); len(got) != 3 || got[2] != 20260101000002 {
		t.Errorf("default step: %v", got)
	}
	mustOK(t, mixsim(t, dir, nil, "ecto.migrate"))
	r = mustOK(t, mixsim(t, dir, nil, "ecto.rollback", "--to", "20260101000002"))
	if got := versions(t, dir); !reflect.DeepEqual(got, []int64{20260101000000, 20260101000001}) {
		t.Errorf("--to: %v", got)
	}
	if strings.Count(r.stdout, "== Migrated") != 2 {
		t.Errorf("--to output %s", r.stdout)
	}
	mustOK(t, mixsim(t, dir, nil, "ecto.rollback", "--step", "2"))
	if got := versions(t, dir); len(got) != 0 {
		t.Errorf("--step 2: %v", got)
	}
	// migrate -n 1 applies only the oldest pending one; --to stops there.
	mustOK(t, mixsim(t, dir, nil, "ecto.migrate", "-n", "1"))
	mustOK(t, mixsim(t, dir, nil, "ecto.migrate", "--to", "20260101000002"))
	if got := versions(t, dir); len(got) != 3 {
		t.Errorf("migrate -n/--to: %v", got)
	}
}

func TestRollbackSkipsMissingFileAndStatusShowsIt(t *testing.T) {
	dir := threeColumns(t)
	os.Remove(filepath.Join(dir, "priv/repo/migrations/20260101000003_add_c.exs"))
	r := mustOK(t, mixsim(t, dir, nil, "ecto.rollback", "-n", "1"))
	if !strings.Contains(r.stdout, "== Running 20260101000002 ") {
		t.Errorf("should skip the orphan: %s", r.stdout)
	}
	if got := versions(t, dir); !reflect.DeepEqual(got, []int64{20260101000000, 20260101000001, 20260101000003}) {
		t.Errorf("versions %v", got)
	}
	r = mustOK(t, mixsim(t, dir, nil, "ecto.migrations"))
	want := "==> exqlite\n\nRepo: AppSqlite.Repo\n\n  Status    Migration ID    Migration Name\n--------------------------------------------------\n" +
		"  up        20260101000000  posts\n  up        20260101000001  add_a\n  down      20260101000002  add_b\n  up        20260101000003  ** FILE NOT FOUND **\n\n"
	if r.stdout != want {
		t.Errorf("status:\n%q\nwant\n%q", r.stdout, want)
	}
}

func TestRaisingDownStopsAndKeepsEarlierRollbacks(t *testing.T) {
	dir := fixtureProject(t, "post.ex", "comment.ex", "tag.ex")
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "init"))
	migrationFile(t, dir, "20990101000000", "add_a", "AddA", addColumn("a"))
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	r := mixsim(t, dir, nil, "ash_sqlite.rollback", "-n", "2")
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	if !regexp.MustCompile(`^\*\* \(RuntimeError\) SQLite does not support dropping foreign key constraints\. You will need to manually recreate the ` + "`tags`" + ` table without the ` + "`tags_post_id_fkey`" + ` constraint\. See https://www\.techonthenet\.com/sqlite/foreign_keys/drop\.php for guidance\.\n    _build/dev/lib/app_sqlite/priv/repo/migrations/\d{14}_init\.exs:\d+: AppSqlite\.Repo\.Migrations\.Init\.down/0\n`).MatchString(r.stderr) {
		t.Errorf("stderr %q", r.stderr)
	}
	v := versions(t, dir)
	if len(v) != 1 || v[0] == 20990101000000 {
		t.Errorf("want only init applied, got %v", v)
	}
	if c := columns(t, dir, "posts"); contains(c, "a") || tableSQL(t, dir, "tags") == "" {
		t.Errorf("state: %v", c)
	}
}

func TestChangeMigrationReversed(t *testing.T) {
	dir := newProject(t, nil)
	migrationFile(t, dir, "20260101000000", "posts", "Posts", postsTable)
	migrationFile(t, dir, "20260101000001", "chg", "Chg", `  def change do
    alter table(:posts) do
      add :x, :text, default: "a b"
    end

    create index(:posts, [:x])
    execute("CREATE TABLE t1 (a)", "DROP TABLE t1")
  end`)
	r := mustOK(t, mixsim(t, dir, nil, "ecto.migrate"))
	if !strings.Contains(r.stdout, "Chg.change/0") || !strings.Contains(r.stdout, "create index posts_x_index") {
		t.Errorf("%s", r.stdout)
	}
	mustOK(t, mixsim(t, dir, nil, "ecto.rollback"))
	if contains(columns(t, dir, "posts"), "x") || tableSQL(t, dir, "t1") != "" {
		t.Errorf("change not reversed")
	}
	// An irreversible command in change.
	migrationFile(t, dir, "20260101000001", "chg", "Chg", "  def change do\n    execute \"CREATE TABLE t2 (a)\"\n  end")
	mustOK(t, mixsim(t, dir, nil, "ecto.migrate"))
	r = mixsim(t, dir, nil, "ecto.rollback")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "** (Ecto.MigrationError) cannot reverse migration command") {
		t.Errorf("%d %q", r.code, r.stderr)
	}
	if len(versions(t, dir)) != 2 {
		t.Errorf("row must stay")
	}
}

func TestSQLErrorRollsBackThatMigration(t *testing.T) {
	dir := newProject(t, nil)
	migrationFile(t, dir, "20260101000000", "posts", "Posts", postsTable)
	migrationFile(t, dir, "20260101000001", "dup", "Dup", `  def up do
    alter table(:posts) do
      add :z, :text
    end

    create table(:posts, primary_key: false) do
      add :id, :uuid
    end
  end

  def down do
  end`)
	r := mixsim(t, dir, nil, "ecto.migrate")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "** (Exqlite.Error) table \"posts\" already exists\nCREATE TABLE \"posts\" (\"id\" TEXT)\n") {
		t.Fatalf("%d %q", r.code, r.stderr)
	}
	if v := versions(t, dir); len(v) != 1 || contains(columns(t, dir, "posts"), "z") {
		t.Errorf("partial migration committed: %v %v", v, columns(t, dir, "posts"))
	}
}

func TestMigrationSourceAndRepoDirs(t *testing.T) {
	dir := newProject(t, nil)
	write(t, dir, "config/dev.exs", "import Config\n\nconfig :app_sqlite, AppSqlite.Repo,\n  database: \"data dir/my.db\",\n  migration_source: \"my_migrations\"\n")
	os.MkdirAll(filepath.Join(dir, "data dir"), 0o755)
	migrationFile(t, dir, "20260101000000", "posts", "Posts", postsTable)
	mustOK(t, mixsim(t, dir, nil, "ecto.migrate"))
	db := filepath.Join(dir, "data dir", "my.db")
	if _, err := os.Stat(db); err != nil {
		t.Fatal(err)
	}
	r := mustOK(t, mixsim(t, dir, nil, "run", "--no-start", "--no-compile", "-e", `IO.puts("regen-repo ...")`))
	want := "regen-repo repo=AppSqlite.Repo adapter=Ecto.Adapters.SQLite3 database=" + encodeWWWForm(db) + " priv=priv%2Frepo migration_source=my_migrations otp_app=app_sqlite\n"
	if r.stdout != "==> exqlite\n"+want {
		t.Errorf("run -e:\n%q\nwant\n%q", r.stdout, want)
	}
	if !strings.Contains(want, "data+dir") {
		t.Errorf("space not encoded as +: %s", want)
	}
	if r := mixsim(t, dir, nil, "run", "--no-start", "-e", "IO.puts(1)"); r.code != 1 || !strings.Contains(r.stderr, "** (RuntimeError) mixsim cannot evaluate Elixir") {
		t.Errorf("other code: %d %q", r.code, r.stderr)
	}
}

func TestSecondRepo(t *testing.T) {
	dir := newProject(t, nil)
	write(t, dir, "config/config.exs", "import Config\nconfig :app_sqlite, ecto_repos: [AppSqlite.Repo, AppSqlite.OtherRepo]\nconfig :app_sqlite, AppSqlite.Repo, database: \"a.db\"\nconfig :app_sqlite, AppSqlite.OtherRepo, database: \"b.db\"\n")
	os.Remove(filepath.Join(dir, "config/dev.exs"))
	tag := strings.Replace(readFile(t, filepath.Join(fixturesDir(t), "ash_sqlite/post.ex")), "repo AppSqlite.Repo", "repo AppSqlite.OtherRepo", 1)
	write(t, dir, "lib/app_sqlite/blog/post.ex", tag)
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "other"))
	got := listRel(t, dir, "priv")
	if len(got) != 2 || !strings.HasPrefix(got[0], "priv/other_repo/migrations/") || !strings.HasPrefix(got[1], "priv/resource_snapshots/other_repo/posts/") {
		t.Fatalf("files %v", got)
	}
	if !strings.Contains(readFile(t, filepath.Join(dir, got[0])), "defmodule AppSqlite.OtherRepo.Migrations.Other do") {
		t.Errorf("module")
	}
	mustOK(t, mixsim(t, dir, nil, "ecto.migrate", "-r", "AppSqlite.OtherRepo"))
	if _, err := os.Stat(filepath.Join(dir, "b.db")); err != nil {
		t.Errorf("b.db: %v", err)
	}
	r := mustOK(t, mixsim(t, dir, nil, "run", "-e", "regen-repo"))
	if strings.Count(r.stdout, "regen-repo repo=") != 2 || !strings.Contains(r.stdout, "priv=priv%2Fother_repo") {
		t.Errorf("%s", r.stdout)
	}
}
