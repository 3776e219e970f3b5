package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const umbrellaMixExs = `defmodule Blog.Umbrella.MixProject do
  use Mix.Project

  def project do
    [
      apps_path: "apps",
      version: "0.1.0",
      start_permanent: Mix.env() == :prod,
      deps: deps()
    ]
  end

  defp deps do
    []
  end
end
`

// umbrellaAppMixExs is what `mix new --umbrella` + `mix new apps/x` writes.
func umbrellaAppMixExs(app, dep string) string {
	return `defmodule ` + camelize(app) + `.MixProject do
  use Mix.Project

  def project do
    [
      app: :` + app + `,
      version: "0.1.0",
      build_path: "../../_build",
      config_path: "../../config/config.exs",
      deps_path: "../../deps",
      lockfile: "../../mix.lock",
      elixir: "~> 1.17",
      deps: deps()
    ]
  end

  defp deps do
    [
      {:ash, "~> 3.0"},
      {` + dep + `, "~> 0.2"}
    ]
  end
end
`
}

// sqliteResource is a one-table AshSqlite resource of app (BlogCore).
func sqliteResource(mod, table, repo string, attrs ...string) string {
	src := `defmodule ` + mod + ` do
  use Ash.Resource,
    domain: nil,
    data_layer: AshSqlite.DataLayer

  sqlite do
    table "` + table + `"
    repo ` + repo + `
  end

  attributes do
    uuid_primary_key :id
`
	for _, a := range attrs {
		src += "    attribute :" + a + ", :string, public?: true\n"
	}
	return src + "  end\nend\n"
}

// newUmbrella writes an umbrella with two SQLite apps, each its own
// database beside the root: blog_audit (events) and blog_core (posts).
func newUmbrella(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, "mix.exs", umbrellaMixExs)
	write(t, dir, "config/config.exs", `import Config

config :blog_core,
  ecto_repos: [BlogCore.Repo],
  ash_domains: [BlogCore.Blog]

config :blog_audit,
  ecto_repos: [BlogAudit.Repo]

import_config "#{config_env()}.exs"
`)
	write(t, dir, "config/dev.exs", `import Config

config :blog_core, BlogCore.Repo,
  database: Path.expand("../blog_core_dev.db", __DIR__),
  pool_size: 5

config :blog_audit, BlogAudit.Repo,
  database: Path.expand("../blog_audit_dev.db", __DIR__),
  pool_size: 5
`)
	for _, a := range []struct{ app, mod, res, table, attr string }{
		{"blog_core", "BlogCore", "Post", "posts", "title"},
		{"blog_audit", "BlogAudit", "Event", "events", "kind"},
	} {
		base := filepath.Join("apps", a.app)
		write(t, dir, filepath.Join(base, "mix.exs"), umbrellaAppMixExs(a.app, ":ash_sqlite"))
		write(t, dir, filepath.Join(base, "lib", a.app, "repo.ex"), "defmodule "+a.mod+".Repo do\n  use AshSqlite.Repo, otp_app: :"+a.app+"\nend\n")
		write(t, dir, filepath.Join(base, "lib", a.app, strings.ToLower(a.res)+".ex"), sqliteResource(a.mod+"."+a.res, a.table, a.mod+".Repo", a.attr))
	}
	return dir
}

func appDir(root, app string) string { return filepath.Join(root, "apps", app) }

// dbAt opens a SQLite file, failing if it does not exist (sql.Open would
// create it and hide that nothing was migrated).
func dbAt(t *testing.T, path string) *sql.DB {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database %s: %v", path, err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func dbTables(t *testing.T, path string) []string {
	t.Helper()
	return queryColumn[string](t, dbAt(t, path), `SELECT name FROM sqlite_master WHERE type='table' ORDER BY name`)
}

func dbVersionCount(t *testing.T, path string) int {
	t.Helper()
	var n int
	if err := dbAt(t, path).QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// banners lists the "==> x" lines in order.
func banners(out string) []string {
	var b []string
	for _, l := range lines(out) {
		if n, ok := strings.CutPrefix(l, "==> "); ok {
			b = append(b, n)
		}
	}
	return b
}

var migName = regexp.MustCompile(`^priv/repo/migrations/\d{14}_(\w+)\.exs$`)

// migNames is the names (without version) of an app's migrations.
func migNames(t *testing.T, root, app string) []string {
	t.Helper()
	var out []string
	for _, f := range listRel(t, appDir(root, app), "priv/repo/migrations") {
		m := migName.FindStringSubmatch(f)
		if m == nil {
			t.Fatalf("unexpected migration file %s", f)
		}
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

func TestUmbrellaCodegenAndMigrateAtRoot(t *testing.T) {
	root := newUmbrella(t)
	r := mustOK(t, mixsim(t, root, nil, "ash.codegen", "init"))
	if got := banners(r.stdout); !reflect.DeepEqual(got, []string{"exqlite", "blog_audit", "blog_core"}) {
		t.Errorf("banners %v:\n%s", got, r.stdout)
	}
	for _, app := range []string{"blog_audit", "blog_core"} {
		if got := migNames(t, root, app); !reflect.DeepEqual(got, []string{"init"}) {
			t.Errorf("%s migrations %v", app, got)
		}
		// Printed through the root's _build, which is outside the app: absolute.
		if want := "* creating " + filepath.Join(root, "_build/dev/lib", app, "priv/repo/migrations") + "/"; !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
		if !exists(filepath.Join(root, "_build/dev/lib", app, ".mixsim_compile_manifest")) {
			t.Errorf("%s not built under the root's _build", app)
		}
		if exists(filepath.Join(appDir(root, app), "_build")) {
			t.Errorf("%s has a _build of its own", app)
		}
	}
	if got := listRel(t, appDir(root, "blog_audit"), "priv/resource_snapshots"); len(got) != 1 || !strings.HasPrefix(got[0], "priv/resource_snapshots/repo/events/") {
		t.Errorf("blog_audit snapshots %v", got)
	}
	if got := listRel(t, appDir(root, "blog_core"), "priv/resource_snapshots"); len(got) != 1 || !strings.HasPrefix(got[0], "priv/resource_snapshots/repo/posts/") {
		t.Errorf("blog_core snapshots %v", got)
	}
	if exists(filepath.Join(root, "priv")) {
		t.Error("the root got a priv/")
	}
	// The app's own section follows its banner.
	audit := r.stdout[strings.Index(r.stdout, "==> blog_audit"):strings.Index(r.stdout, "==> blog_core")]
	if !strings.Contains(audit, "_build/dev/lib/blog_audit/priv/repo/migrations/") || strings.Contains(audit, "blog_core") {
		t.Errorf("blog_audit section:\n%s", audit)
	}

	r = mustOK(t, mixsim(t, root, nil, "ash.migrate"))
	if strings.Count(r.stdout, "== Migrated") != 2 {
		t.Errorf("migrate:\n%s", r.stdout)
	}
	core, audit2 := filepath.Join(root, "blog_core_dev.db"), filepath.Join(root, "blog_audit_dev.db")
	if got := dbTables(t, core); !contains(got, "posts") || contains(got, "events") {
		t.Errorf("blog_core tables %v", got)
	}
	if got := dbTables(t, audit2); !contains(got, "events") || contains(got, "posts") {
		t.Errorf("blog_audit tables %v", got)
	}

	// Only blog_core changes: only it gets a migration.
	write(t, root, "apps/blog_core/lib/blog_core/post.ex", sqliteResource("BlogCore.Post", "posts", "BlogCore.Repo", "title", "body"))
	r = mustOK(t, mixsim(t, root, nil, "ash.codegen", "add_body"))
	if got := migNames(t, root, "blog_core"); !reflect.DeepEqual(got, []string{"add_body", "init"}) {
		t.Errorf("blog_core migrations %v", got)
	}
	if got := migNames(t, root, "blog_audit"); !reflect.DeepEqual(got, []string{"init"}) {
		t.Errorf("blog_audit migrations %v", got)
	}
	noChanges := "==> blog_audit\nGetting extensions in current project...\nRunning codegen for AshSqlite.DataLayer...\nNo changes detected, so no migrations or snapshots have been created.\n==> blog_core\n"
	if !strings.Contains(r.stdout, noChanges) {
		t.Errorf("want %q in:\n%s", noChanges, r.stdout)
	}

	// ecto.migrations recurses too, each app showing its own repo.
	mustOK(t, mixsim(t, root, nil, "ecto.migrate"))
	r = mustOK(t, mixsim(t, root, nil, "ecto.migrations"))
	if strings.Count(r.stdout, "  up ") != 3 || strings.Contains(r.stdout, "  down ") {
		t.Errorf("ecto.migrations:\n%s", r.stdout)
	}
}

func TestUmbrellaRollbackOneRepoAtRoot(t *testing.T) {
	root := newUmbrella(t)
	mustOK(t, mixsim(t, root, nil, "do", "ash.codegen", "init", "+", "ash.migrate"))
	core, audit := filepath.Join(root, "blog_core_dev.db"), filepath.Join(root, "blog_audit_dev.db")

	// regen's shape: the rollback set copied to a folder of its own.
	dir := t.TempDir()
	for _, f := range listRel(t, appDir(root, "blog_audit"), "priv/repo/migrations") {
		write(t, dir, filepath.Base(f), readFile(t, filepath.Join(appDir(root, "blog_audit"), f)))
	}
	r := mustOK(t, mixsim(t, root, nil, "ash_sqlite.rollback", "-r", "BlogAudit.Repo", "--migrations-path", dir, "--all"))
	if got := banners(r.stdout); !reflect.DeepEqual(got, []string{"exqlite", "blog_audit"}) {
		t.Errorf("banners %v:\n%s", got, r.stdout)
	}
	if !strings.Contains(r.stdout, "BlogAudit.Repo.Migrations.Init.down/0") || strings.Contains(r.stdout, "BlogCore") {
		t.Errorf("rollback output:\n%s", r.stdout)
	}
	if n := dbVersionCount(t, audit); n != 0 || contains(dbTables(t, audit), "events") {
		t.Errorf("blog_audit not rolled back: %d versions, tables %v", n, dbTables(t, audit))
	}
	if n := dbVersionCount(t, core); n != 1 || !contains(dbTables(t, core), "posts") {
		t.Errorf("blog_core touched: %d versions, tables %v", n, dbTables(t, core))
	}

	// ecto.rollback, --repo= form, the other app.
	mustOK(t, mixsim(t, root, nil, "ecto.rollback", "--repo=BlogCore.Repo"))
	if n := dbVersionCount(t, core); n != 0 {
		t.Errorf("blog_core still has %d versions", n)
	}

	// A repo no app has fails, as it would in every app.
	r = mixsim(t, root, nil, "ecto.rollback", "-r", "Nope.Repo")
	if r.code != 1 || !strings.Contains(r.stderr, "Could not load Nope.Repo") || len(banners(r.stdout)) != 1 {
		t.Errorf("unknown repo: %d %q\n%s", r.code, r.stderr, r.stdout)
	}
}

func TestUmbrellaInsideOneApp(t *testing.T) {
	root := newUmbrella(t)
	core := appDir(root, "blog_core")
	r := mustOK(t, mixsim(t, core, nil, "ash.codegen", "init"))
	if got := banners(r.stdout); !reflect.DeepEqual(got, []string{"exqlite", "blog_core"}) {
		t.Errorf("banners %v", got)
	}
	if want := "* creating " + filepath.Join(root, "_build/dev/lib/blog_core/priv/repo/migrations") + "/"; !strings.Contains(r.stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
	}
	if got := migNames(t, root, "blog_core"); !reflect.DeepEqual(got, []string{"init"}) {
		t.Errorf("blog_core migrations %v", got)
	}
	if got := listRel(t, appDir(root, "blog_audit"), "priv"); len(got) != 0 {
		t.Errorf("blog_audit written: %v", got)
	}
	if !exists(filepath.Join(root, "_build/dev/lib/blog_core/.mixsim_compile_manifest")) || exists(filepath.Join(core, "_build")) {
		t.Error("build_path not honoured")
	}

	mustOK(t, mixsim(t, core, nil, "ash.migrate"))
	// config_path: the database is the root config's, beside the root.
	if got := dbTables(t, filepath.Join(root, "blog_core_dev.db")); !contains(got, "posts") {
		t.Errorf("blog_core tables %v", got)
	}
	if exists(filepath.Join(root, "blog_audit_dev.db")) || exists(filepath.Join(core, "blog_core_dev.db")) {
		t.Error("wrong database touched")
	}

	r = mustOK(t, mixsim(t, core, nil, "run", "--no-start", "--no-compile", "-e", "regen-repo"))
	want := "regen-repo repo=BlogCore.Repo adapter=Ecto.Adapters.SQLite3 database=" + encodeWWWForm(filepath.Join(root, "blog_core_dev.db")) +
		" priv=priv%2Frepo migration_source=schema_migrations otp_app=blog_core"
	if got := strings.Split(strings.TrimSpace(r.stdout), "\n"); got[len(got)-1] != want || strings.Count(r.stdout, "regen-repo") != 1 {
		t.Errorf("answer:\n%s\nwant:\n%s", r.stdout, want)
	}

	// A compile error names the file relative to the app.
	write(t, core, "lib/blog_core/post.ex", strings.Replace(sqliteResource("BlogCore.Post", "posts", "BlogCore.Repo", "title"), "  attributes do", "  # mixsim: compile_error\n  attributes do", 1))
	r = mixsim(t, core, nil, "compile")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "== Compilation error in file lib/blog_core/post.ex ==\n") {
		t.Errorf("compile error: %d %q", r.code, r.stderr)
	}
}

func TestUmbrellaRunEvalAtRoot(t *testing.T) {
	root := newUmbrella(t)
	r := mustOK(t, mixsim(t, root, nil, "run", "--no-start", "-e", "IO.puts(\"regen-repo\")"))
	var answers []string
	for _, l := range lines(r.stdout) {
		if strings.HasPrefix(l, "regen-repo ") {
			answers = append(answers, l)
		}
	}
	want := []string{
		"regen-repo repo=BlogAudit.Repo adapter=Ecto.Adapters.SQLite3 database=" + encodeWWWForm(filepath.Join(root, "blog_audit_dev.db")) +
			" priv=apps%2Fblog_audit%2Fpriv%2Frepo migration_source=schema_migrations otp_app=blog_audit",
		"regen-repo repo=BlogCore.Repo adapter=Ecto.Adapters.SQLite3 database=" + encodeWWWForm(filepath.Join(root, "blog_core_dev.db")) +
			" priv=apps%2Fblog_core%2Fpriv%2Frepo migration_source=schema_migrations otp_app=blog_core",
	}
	if !reflect.DeepEqual(answers, want) {
		t.Errorf("answers:\n%s\nwant:\n%s", strings.Join(answers, "\n"), strings.Join(want, "\n"))
	}
	// Without --no-compile both apps compile first.
	if strings.Count(r.stdout, "Generated blog_") != 2 {
		t.Errorf("compile:\n%s", r.stdout)
	}
	if r := mixsim(t, root, nil, "run", "-e", "IO.puts(1)"); r.code != 1 {
		t.Errorf("arbitrary Elixir evaluated: %d", r.code)
	}
}

func TestUmbrellaCheckAtRoot(t *testing.T) {
	root := newUmbrella(t)
	if r := mixsim(t, root, nil, "ash.codegen", "--check"); r.code != 1 || !strings.Contains(r.stderr, "Pending Code Generation Detected") {
		t.Errorf("fresh --check: %d %q", r.code, r.stderr)
	}
	mustOK(t, mixsim(t, root, nil, "ash.codegen", "init"))
	mustOK(t, mixsim(t, root, nil, "ash.codegen", "--check"))
	// Only the second app (blog_core) is stale: the first passes, the task fails.
	write(t, root, "apps/blog_core/lib/blog_core/post.ex", sqliteResource("BlogCore.Post", "posts", "BlogCore.Repo", "title", "body"))
	r := mixsim(t, root, nil, "ash.codegen", "--check")
	if r.code != 1 || !strings.Contains(r.stderr, "Detected for 2 files") {
		t.Errorf("stale blog_core: %d %q", r.code, r.stderr)
	}
	if got := banners(r.stdout); !reflect.DeepEqual(got, []string{"exqlite", "blog_audit", "blog_core"}) {
		t.Errorf("banners %v", got)
	}
	mustOK(t, mixsim(t, appDir(root, "blog_audit"), nil, "ash.codegen", "--check"))
	if r := mixsim(t, appDir(root, "blog_core"), nil, "ash.codegen", "--check"); r.code != 1 {
		t.Errorf("blog_core alone: %d", r.code)
	}
	if got := listRel(t, appDir(root, "blog_core"), "priv/repo/migrations"); len(got) != 1 {
		t.Errorf("--check wrote: %v", got)
	}
}

func TestUmbrellaDoAtRoot(t *testing.T) {
	root := newUmbrella(t)
	r := mustOK(t, mixsim(t, root, nil, "do", "compile", "+", "ash.codegen", "init", "+", "ash.migrate"))
	if got := banners(r.stdout); !reflect.DeepEqual(got, []string{"exqlite", "blog_audit", "blog_core", "blog_audit", "blog_core", "blog_audit", "blog_core"}) {
		t.Errorf("banners %v", got)
	}
	if strings.Count(r.stdout, "Compiling 2 files (.ex)") != 2 {
		t.Errorf("each app compiles once per VM:\n%s", r.stdout)
	}
	for _, db := range []string{"blog_core_dev.db", "blog_audit_dev.db"} {
		if n := dbVersionCount(t, filepath.Join(root, db)); n != 1 {
			t.Errorf("%s: %d versions", db, n)
		}
	}
	// A failing step stops the chain: the rollback runs, the migrate does not.
	r = mixsim(t, root, map[string]string{"MIXSIM_FAIL": "ash.migrate"}, "do", "ecto.rollback", "+", "ash.migrate")
	if r.code != 1 || strings.Contains(r.stdout, ".up/0") {
		t.Errorf("do + fail: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, db := range []string{"blog_core_dev.db", "blog_audit_dev.db"} {
		if n := dbVersionCount(t, filepath.Join(root, db)); n != 0 {
			t.Errorf("%s: %d versions after rollback", db, n)
		}
	}
}

func TestUmbrellaFaultsApplyToTheTask(t *testing.T) {
	root := newUmbrella(t)
	mustOK(t, mixsim(t, root, nil, "ash.codegen", "init"))
	r := mixsim(t, root, map[string]string{"MIXSIM_FAIL": "ash.migrate"}, "ash.migrate")
	if r.code != 1 || !strings.Contains(r.stderr, "injected failure for task ash.migrate") || r.stdout != "==> exqlite\n==> blog_audit\n" {
		t.Errorf("fail before: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if exists(filepath.Join(root, "blog_audit_dev.db")) || exists(filepath.Join(root, "blog_core_dev.db")) {
		t.Error("fail before did work")
	}
	r = mixsim(t, root, map[string]string{"MIXSIM_FAIL": "ash.migrate:after"}, "ash.migrate")
	if r.code != 1 || strings.Count(r.stderr, "injected failure after task ash.migrate") != 1 {
		t.Errorf("fail after: %d %q", r.code, r.stderr)
	}
	for _, db := range []string{"blog_core_dev.db", "blog_audit_dev.db"} {
		if n := dbVersionCount(t, filepath.Join(root, db)); n != 1 {
			t.Errorf(":after must do the work in every app: %s %d", db, n)
		}
	}
	// The lie covers every app: output as usual, nothing changed.
	r = mustOK(t, mixsim(t, root, map[string]string{"MIXSIM_LIE": "ecto.rollback"}, "ecto.rollback"))
	if strings.Count(r.stdout, ".down/0") != 2 {
		t.Errorf("lie output:\n%s", r.stdout)
	}
	for _, db := range []string{"blog_core_dev.db", "blog_audit_dev.db"} {
		if n := dbVersionCount(t, filepath.Join(root, db)); n != 1 {
			t.Errorf("lie changed %s: %d", db, n)
		}
	}
}

func TestUmbrellaCompileErrorInOneApp(t *testing.T) {
	root := newUmbrella(t)
	mustOK(t, mixsim(t, root, nil, "ash.codegen", "init"))
	write(t, root, "apps/blog_core/lib/blog_core/post.ex", sqliteResource("BlogCore.Post", "posts", "BlogCore.Repo", "title")+"end\n")
	r := mixsim(t, root, nil, "ash.migrate")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "== Compilation error in file lib/blog_core/post.ex ==\n** (CompileError) lib/blog_core/post.ex:") {
		t.Errorf("%d %q", r.code, r.stderr)
	}
	if got := banners(r.stdout); !reflect.DeepEqual(got, []string{"exqlite", "blog_audit", "blog_core"}) {
		t.Errorf("banners %v", got)
	}
	// blog_audit came first and was migrated; blog_core was not.
	if n := dbVersionCount(t, filepath.Join(root, "blog_audit_dev.db")); n != 1 {
		t.Errorf("blog_audit: %d versions", n)
	}
	if exists(filepath.Join(root, "blog_core_dev.db")) {
		t.Error("blog_core migrated despite its compile error")
	}
}

// A plain project is not mistaken for an umbrella, nor an umbrella app.
func TestUmbrellaDetection(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "mix.exs", umbrellaMixExs)
	if p, ok := umbrellaAppsPath(dir); !ok || p != "apps" {
		t.Errorf("root: %q %v", p, ok)
	}
	write(t, dir, "apps/x/mix.exs", umbrellaAppMixExs("x", ":ash_sqlite"))
	if _, ok := umbrellaAppsPath(filepath.Join(dir, "apps/x")); ok {
		t.Error("an app taken for an umbrella")
	}
	if _, ok := umbrellaAppsPath(newProject(t, nil)); ok {
		t.Error("a plain project taken for an umbrella")
	}
	// An umbrella with no app: tasks succeed doing nothing.
	empty := t.TempDir()
	write(t, empty, "mix.exs", umbrellaMixExs)
	if r := mixsim(t, empty, nil, "ash.migrate"); r.code != 0 || r.stdout != "" {
		t.Errorf("empty umbrella: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// A mixed umbrella on a real PostgreSQL: blog_core on AshPostgres, blog_audit
// on SQLite; each app's adapter is its own.
func TestPGUmbrellaMixedApps(t *testing.T) {
	srv := newPGServer(t)
	dbName := srv.createDB(t)
	root := newUmbrella(t)
	write(t, root, "config/dev.exs", "import Config\n\n"+srv.repoConfig("blog_core", "BlogCore.Repo", dbName)+
		"\nconfig :blog_audit, BlogAudit.Repo,\n  database: Path.expand(\"../blog_audit_dev.db\", __DIR__)\n")
	core := appDir(root, "blog_core")
	write(t, core, "mix.exs", umbrellaAppMixExs("blog_core", ":ash_postgres"))
	write(t, core, "lib/blog_core/repo.ex", strings.ReplaceAll(strings.ReplaceAll(pgRepoEx, "Blog.Repo", "BlogCore.Repo"), ":blog", ":blog_core"))
	write(t, core, "lib/blog_core/post.ex", strings.ReplaceAll(strings.ReplaceAll(pgPostEx, "Blog.Repo", "BlogCore.Repo"), "Blog.Post", "BlogCore.Post"))

	mustOK(t, mixsim(t, root, nil, "do", "ash.codegen", "init", "+", "ash.migrate"))
	db := srv.open(t, dbName)
	if got := pgColumns(t, db, "public", "posts"); !contains(got, "title") {
		t.Errorf("posts columns %v", got)
	}
	if n := len(pgVersions(t, db, "")); n < 1 {
		t.Errorf("postgres versions: %d", n)
	}
	if got := dbTables(t, filepath.Join(root, "blog_audit_dev.db")); !contains(got, "events") {
		t.Errorf("blog_audit tables %v", got)
	}
	r := mustOK(t, mixsim(t, root, nil, "run", "--no-start", "--no-compile", "-e", "regen-repo"))
	if !strings.Contains(r.stdout, "regen-repo repo=BlogCore.Repo adapter=Ecto.Adapters.Postgres database="+dbName+" priv=apps%2Fblog_core%2Fpriv%2Frepo ") ||
		!strings.Contains(r.stdout, "otp_app=blog_core ") ||
		!strings.Contains(r.stdout, "regen-repo repo=BlogAudit.Repo adapter=Ecto.Adapters.SQLite3 ") {
		t.Errorf("answers:\n%s", r.stdout)
	}
	// Rolling back the Postgres app's repo leaves the SQLite app alone.
	mustOK(t, mixsim(t, root, nil, "ecto.rollback", "-r", "BlogCore.Repo", "--all"))
	if got := pgColumns(t, db, "public", "posts"); got != nil {
		t.Errorf("posts still there: %v", got)
	}
	if n := dbVersionCount(t, filepath.Join(root, "blog_audit_dev.db")); n != 1 {
		t.Errorf("blog_audit: %d versions", n)
	}
}
