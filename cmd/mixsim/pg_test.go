package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// jsonKeys lists every key path of a JSON document, so two snapshots can be
// compared for shape regardless of values.
func jsonKeys(t *testing.T, text string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	set := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				set[prefix+"."+k] = true
				walk(prefix+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(prefix+"[]", e)
			}
		}
	}
	walk("", v)
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestPGCodegenMigrateRollback(t *testing.T) {
	srv := newPGServer(t)
	dbName := srv.createDB(t)
	dir := newPGProject(t, srv, dbName, map[string]string{
		"lib/blog/post.ex": pgPostEx, "lib/blog/comment.ex": pgCommentEx,
	})
	db := srv.open(t, dbName)

	r := mustOK(t, mixsim(t, dir, nil, "ash.codegen", "initial_blog"))
	var created []string
	for _, l := range lines(r.stdout) {
		if p, ok := strings.CutPrefix(l, "* creating "); ok {
			created = append(created, p)
		}
	}
	if len(created) != 5 || created[0] != "priv/resource_snapshots/repo/extensions.json" ||
		!strings.HasSuffix(created[1], "_initial_blog_extensions_1.exs") || !strings.HasSuffix(created[2], "_initial_blog.exs") ||
		!strings.HasPrefix(created[3], "priv/resource_snapshots/repo/comments/") || !strings.HasPrefix(created[4], "priv/resource_snapshots/repo/posts/") {
		t.Fatalf("created:\n%s", strings.Join(created, "\n"))
	}
	for _, want := range []string{"Getting extensions in current project...", "Running codegen for AshPostgres.DataLayer...", "Please always manually review the generated migrations for correctness."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if strings.Contains(r.stdout, "==> exqlite") {
		t.Error("a Postgres project announces exqlite")
	}
	mig := readFile(t, filepath.Join(dir, created[2]))
	for _, want := range []string{"defmodule Blog.Repo.Migrations.InitialBlog do", "create table(:posts, primary_key: false) do",
		`references(:posts, column: :id, name: "comments_post_id_fkey", type: :uuid, prefix: "public")`,
		`drop constraint(:comments, "comments_post_id_fkey")`, "mix ash_postgres.generate_migrations"} {
		if !strings.Contains(mig, want) {
			t.Errorf("migration lacks %q:\n%s", want, mig)
		}
	}
	if strings.Contains(mig, "raise") {
		t.Errorf("a Postgres down must not raise for FK tables:\n%s", mig)
	}
	// Same JSON shape as the real AshPostgres snapshot.
	fx := fixturesDir(t)
	want := jsonKeys(t, readFile(t, filepath.Join(fx, "ash_postgres/priv/resource_snapshots/repo/comments/20261121235330.json")))
	if got := jsonKeys(t, readFile(t, filepath.Join(dir, created[3]))); !reflect.DeepEqual(got, want) {
		t.Errorf("snapshot keys differ from the fixture:\n got %v\nwant %v", got, want)
	}
	if got, want := readFile(t, filepath.Join(dir, created[0])), readFile(t, filepath.Join(fx, "ash_postgres/priv/resource_snapshots/repo/extensions.json")); got != want {
		t.Errorf("extensions.json = %q, want the fixture's %q", got, want)
	}

	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	if v := pgVersions(t, db, ""); len(v) != 2 {
		t.Fatalf("versions after migrate: %v", v)
	}
	if cols := pgColumns(t, db, "public", "comments"); !reflect.DeepEqual(cols, []string{"body", "id", "post_id"}) {
		t.Errorf("comments columns: %v", cols)
	}
	var fn int
	if err := db.QueryRow(`SELECT count(*) FROM pg_proc WHERE proname = 'ash_raise_error'`).Scan(&fn); err != nil || fn == 0 {
		t.Errorf("the extensions migration created no function (%d, %v)", fn, err)
	}
	// The foreign key is real.
	if _, err := db.Exec(`INSERT INTO comments (body, post_id) VALUES ('x', gen_random_uuid())`); err == nil {
		t.Error("comments.post_id has no foreign key")
	}

	if r := mustOK(t, mixsim(t, dir, nil, "ash.codegen", "again")); !strings.Contains(r.stdout, "No changes detected") {
		t.Errorf("no changes: %s", r.stdout)
	}
	// A second feature: no second extensions migration, extensions.json
	// rewritten but not announced.
	write(t, dir, "lib/blog/post.ex", strings.Replace(pgPostEx, "    create_timestamp :inserted_at\n", "    create_timestamp :inserted_at\n    attribute :subtitle, :string, public?: true\n", 1))
	r = mustOK(t, mixsim(t, dir, nil, "ash_postgres.generate_migrations", "--name", "add_subtitle"))
	if strings.Count(r.stdout, "* creating") != 2 || strings.Contains(r.stdout, "extensions") {
		t.Errorf("second codegen:\n%s", r.stdout)
	}
	if got := listRel(t, dir, "priv/repo/migrations"); len(got) != 3 {
		t.Errorf("migrations: %v", got)
	}
	mustOK(t, mixsim(t, dir, nil, "ecto.migrate"))
	if cols := pgColumns(t, db, "public", "posts"); !contains(cols, "subtitle") {
		t.Errorf("posts columns after migrate: %v", cols)
	}
	r = mustOK(t, mixsim(t, dir, nil, "ecto.rollback"))
	if !strings.Contains(r.stdout, "AddSubtitle.down/0") || !strings.Contains(r.stdout, "alter table posts") {
		t.Errorf("rollback output:\n%s", r.stdout)
	}
	if cols := pgColumns(t, db, "public", "posts"); contains(cols, "subtitle") {
		t.Error("rollback left the column")
	}
	// Everything down: the FK table's down drops the constraint, then the table.
	mustOK(t, mixsim(t, dir, nil, "ecto.rollback", "--all"))
	if v := pgVersions(t, db, ""); len(v) != 0 {
		t.Errorf("versions after rollback --all: %v", v)
	}
	if cols := pgColumns(t, db, "public", "comments"); cols != nil {
		t.Errorf("comments still exists: %v", cols)
	}
	// --to and --migrations-path work as on SQLite.
	mustOK(t, mixsim(t, dir, nil, "ecto.migrate"))
	all := pgVersions(t, db, "")
	mustOK(t, mixsim(t, dir, nil, "ecto.rollback", "--to", itoa64(all[1])))
	if v := pgVersions(t, db, ""); !reflect.DeepEqual(v, all[:1]) {
		t.Errorf("after --to %d: %v", all[1], v)
	}
}

func itoa64(v int64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// pgTenantRepo is the fixture's repo.ex (all_tenants by query) for Blog.
func pgTenantRepo(t *testing.T) string {
	t.Helper()
	src := readFile(t, filepath.Join(fixturesDir(t), "ash_postgres_tenants", "repo.ex"))
	return strings.NewReplacer("AppPostgres", "Blog", "app_postgres", "blog").Replace(src)
}

func pgNoteEx() string {
	return strings.NewReplacer("AppPostgres.Blog.Note", "Blog.Note", "AppPostgres.Blog", "Blog", "AppPostgres.Repo", "Blog.Repo").
		Replace(`defmodule AppPostgres.Blog.Note do
  use Ash.Resource,
    domain: AppPostgres.Blog,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "notes"
    repo AppPostgres.Repo
  end

  multitenancy do
    strategy :context
  end

  attributes do
    uuid_primary_key :id
    attribute :text, :string, allow_nil?: false, public?: true
  end
end
`)
}

func TestPGTenants(t *testing.T) {
	srv := newPGServer(t)
	dbName := srv.createDB(t)
	dir := newPGProject(t, srv, dbName, map[string]string{"lib/blog/note.ex": pgNoteEx()})
	write(t, dir, "lib/blog/repo.ex", pgTenantRepo(t))
	db := srv.open(t, dbName)
	for _, s := range []string{"org_a", "org_b", "org_c"} {
		if _, err := db.Exec("CREATE SCHEMA " + s); err != nil {
			t.Fatal(err)
		}
	}

	r := mustOK(t, mixsim(t, dir, nil, "ash.codegen", "add_notes"))
	tm := listRel(t, dir, "priv/repo/tenant_migrations")
	ts := listRel(t, dir, "priv/resource_snapshots/repo/tenants")
	if len(tm) != 1 || !strings.HasSuffix(tm[0], "_add_notes.exs") || len(ts) != 1 || !strings.HasPrefix(ts[0], "priv/resource_snapshots/repo/tenants/notes/") {
		t.Fatalf("tenant files: %v %v\n%s", tm, ts, r.stdout)
	}
	if got := listRel(t, dir, "priv/repo/migrations"); len(got) != 1 || !strings.Contains(got[0], "_extensions_1") {
		t.Errorf("public migrations: %v", got)
	}
	text := readFile(t, filepath.Join(dir, tm[0]))
	for _, want := range []string{"defmodule Blog.Repo.TenantMigrations.AddNotes do", "create table(:notes, primary_key: false, prefix: prefix()) do", "drop table(:notes, prefix: prefix())"} {
		if !strings.Contains(text, want) {
			t.Errorf("tenant migration lacks %q:\n%s", want, text)
		}
	}
	snap := readFile(t, filepath.Join(dir, ts[0]))
	fxSnap := readFile(t, filepath.Join(fixturesDir(t), "ash_postgres_tenants/priv/resource_snapshots/repo/tenants/notes/20261122000924.json"))
	if !reflect.DeepEqual(jsonKeys(t, snap), jsonKeys(t, fxSnap)) || !strings.Contains(snap, `"strategy": "context"`) {
		t.Errorf("tenant snapshot:\n%s", snap)
	}

	// ash.migrate alone does not touch tenants.
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	if v := pgVersions(t, db, "org_a"); len(v) != 0 {
		t.Errorf("ash.migrate touched a tenant: %v", v)
	}
	r = mustOK(t, mixsim(t, dir, nil, "ash.migrate", "--tenants"))
	if !strings.Contains(r.stdout, "select schema_name from information_schema.schemata") || !strings.Contains(r.stdout, "create table org_c.notes") {
		t.Errorf("migrate --tenants output:\n%s", r.stdout)
	}
	if strings.Count(r.stderr, "warning: redefining module Blog.Repo.TenantMigrations.AddNotes") != 2 {
		t.Errorf("want the redefining warning for the 2nd and 3rd tenant:\n%s", r.stderr)
	}
	tenantVersion := pgVersions(t, db, "org_a")
	if len(tenantVersion) != 1 {
		t.Fatalf("org_a versions: %v", tenantVersion)
	}
	for _, s := range []string{"org_a", "org_b", "org_c"} {
		if v := pgVersions(t, db, s); !reflect.DeepEqual(v, tenantVersion) {
			t.Errorf("%s versions: %v", s, v)
		}
		if cols := pgColumns(t, db, s, "notes"); !reflect.DeepEqual(cols, []string{"id", "text"}) {
			t.Errorf("%s.notes: %v", s, cols)
		}
	}
	for _, v := range pgVersions(t, db, "") {
		if v == tenantVersion[0] {
			t.Error("the public schema_migrations lists the tenant version")
		}
	}

	// One tenant at a time works.
	r = mustOK(t, mixsim(t, dir, nil, "ecto.rollback", "--prefix", "org_b", "--migrations-path", "priv/repo/tenant_migrations", "--all"))
	if !strings.Contains(r.stdout, "drop table org_b.notes") {
		t.Errorf("rollback --prefix output:\n%s", r.stdout)
	}
	if v := pgVersions(t, db, "org_b"); len(v) != 0 || pgColumns(t, db, "org_b", "notes") != nil {
		t.Errorf("org_b after rollback: %v", v)
	}
	if pgColumns(t, db, "org_a", "notes") == nil || len(pgVersions(t, db, "org_c")) != 1 {
		t.Error("rolling back org_b touched another tenant")
	}

	// ash_postgres.rollback --tenants fails exactly like ash_postgres 2.12.0.
	r = mixsim(t, dir, nil, "ash_postgres.rollback", "--tenants")
	if r.code != 1 {
		t.Fatalf("rollback --tenants exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	fx := readFile(t, filepath.Join(fixturesDir(t), "outputs/pg_tenant_ash_postgres_rollback_tenants_fails.txt"))
	fx = strings.TrimSuffix(strings.TrimSpace(fx), "EXIT=1")
	fx = strings.NewReplacer("AppPostgres", "Blog", "app_postgres", "blog").Replace(fx)
	if strings.TrimSpace(r.stderr) != strings.TrimSpace(fx) {
		t.Errorf("stderr:\n%s\nwant (fixture):\n%s", r.stderr, fx)
	}
	if len(pgVersions(t, db, "org_a")) != 1 {
		t.Error("the failing rollback changed a tenant")
	}
}

// A literal all_tenants list needs no query, so rollback --tenants works.
func TestPGTenantsLiteralList(t *testing.T) {
	srv := newPGServer(t)
	dbName := srv.createDB(t)
	dir := newPGProject(t, srv, dbName, map[string]string{"lib/blog/note.ex": pgNoteEx()})
	write(t, dir, "lib/blog/repo.ex", strings.Replace(pgRepoEx, "  def installed_extensions do", "  def all_tenants, do: [\"t_one\", \"t_two\"]\n\n  def installed_extensions do", 1))
	db := srv.open(t, dbName)
	for _, s := range []string{"t_one", "t_two", "t_other"} {
		if _, err := db.Exec("CREATE SCHEMA " + s); err != nil {
			t.Fatal(err)
		}
	}
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "add_notes"))
	r := mustOK(t, mixsim(t, dir, nil, "ash_postgres.migrate", "--tenants"))
	if strings.Contains(r.stdout, "QUERY OK") {
		t.Error("a literal list must not query")
	}
	if len(pgVersions(t, db, "t_one")) != 1 || len(pgVersions(t, db, "t_two")) != 1 || pgVersions(t, db, "t_other") != nil {
		t.Errorf("tenants: %v %v %v", pgVersions(t, db, "t_one"), pgVersions(t, db, "t_two"), pgVersions(t, db, "t_other"))
	}
	mustOK(t, mixsim(t, dir, nil, "ash_postgres.rollback", "--tenants"))
	if len(pgVersions(t, db, "t_one"))+len(pgVersions(t, db, "t_two")) != 0 {
		t.Error("rollback --tenants left versions")
	}
}

func TestPGTwoRepos(t *testing.T) {
	srv := newPGServer(t)
	mainDB, auditDB := srv.createDB(t), srv.createDB(t)
	audit := strings.NewReplacer("Blog.Post", "Blog.AuditEvent", `table "posts"`, `table "audit_events"`, "repo Blog.Repo", "repo Blog.AuditRepo").Replace(pgPostEx)
	dir := newPGProject(t, srv, mainDB, map[string]string{
		"lib/blog/post.ex":       pgPostEx,
		"lib/blog/audit.ex":      audit,
		"lib/blog/audit_repo.ex": strings.Replace(pgRepoEx, "Blog.Repo", "Blog.AuditRepo", 1),
	})
	write(t, dir, "config/config.exs", "import Config\n\nconfig :blog,\n  ecto_repos: [Blog.Repo, Blog.AuditRepo]\n\nimport_config \"#{config_env()}.exs\"\n")
	write(t, dir, "config/dev.exs", "import Config\n\n"+srv.repoConfig("blog", "Blog.Repo", mainDB)+"\n"+srv.repoConfig("blog", "Blog.AuditRepo", auditDB))

	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "initial"))
	if m := listRel(t, dir, "priv/audit_repo/migrations"); len(m) != 2 {
		t.Errorf("audit migrations: %v", m)
	}
	if m := listRel(t, dir, "priv/repo/migrations"); len(m) != 2 {
		t.Errorf("main migrations: %v", m)
	}
	if s := listRel(t, dir, "priv/resource_snapshots/audit_repo"); len(s) != 2 || !contains(s, "priv/resource_snapshots/audit_repo/extensions.json") {
		t.Errorf("audit snapshots: %v", s)
	}
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	m, a := srv.open(t, mainDB), srv.open(t, auditDB)
	if pgColumns(t, m, "public", "posts") == nil || pgColumns(t, m, "public", "audit_events") != nil {
		t.Error("main database holds the wrong tables")
	}
	if pgColumns(t, a, "public", "audit_events") == nil || pgColumns(t, a, "public", "posts") != nil {
		t.Error("audit database holds the wrong tables")
	}
	mustOK(t, mixsim(t, dir, nil, "ecto.rollback", "-r", "Blog.AuditRepo", "--all"))
	if len(pgVersions(t, a, "")) != 0 || len(pgVersions(t, m, "")) != 2 {
		t.Errorf("-r Blog.AuditRepo: audit %v main %v", pgVersions(t, a, ""), pgVersions(t, m, ""))
	}
}

func TestPGRunEvalAnswer(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "mix.exs", pgMixExs)
	write(t, dir, "config/config.exs", "import Config\n\nconfig :blog,\n  ecto_repos: [Blog.Repo, Blog.UrlRepo]\n\nimport_config \"#{config_env()}.exs\"\n")
	write(t, dir, "config/dev.exs", "import Config\n\nconfig :blog, Blog.Repo,\n  username: \"postgres\",\n  password: \"p@ss word\",\n  hostname: \"localhost\",\n  database: \"blog_dev\",\n  port: 5433\n\nconfig :blog, Blog.UrlRepo,\n  url: System.get_env(\"DATABASE_URL\")\n")
	write(t, dir, "lib/blog/repo.ex", pgRepoEx)
	env := map[string]string{"DATABASE_URL": "postgres://u:secret@db.example:6000/url_db"}
	r := mustOK(t, mixsim(t, dir, env, "run", "--no-start", "--no-compile", "-e", "IO.puts(\"regen-repo ...\")"))
	want := []string{
		"regen-repo repo=Blog.Repo adapter=Ecto.Adapters.Postgres database=blog_dev priv=priv%2Frepo migration_source=schema_migrations otp_app=blog hostname=localhost port=5433 username=postgres password=p%40ss+word url=",
		"regen-repo repo=Blog.UrlRepo adapter=Ecto.Adapters.Postgres database=url_db priv=priv%2Furl_repo migration_source=schema_migrations otp_app=blog hostname=db.example port=6000 username=u password=secret url=postgres%3A%2F%2Fu%3Asecret%40db.example%3A6000%2Furl_db",
	}
	got := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("answer:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A SQLite project still answers as before.
	sq := newProject(t, nil)
	r = mustOK(t, mixsim(t, sq, nil, "run", "--no-start", "-e", "regen-repo"))
	if !strings.Contains(r.stdout, "adapter=Ecto.Adapters.SQLite3") {
		t.Errorf("SQLite answer: %s", r.stdout)
	}
}

func TestPGFaultSwitches(t *testing.T) {
	srv := newPGServer(t)
	dbName := srv.createDB(t)
	dir := newPGProject(t, srv, dbName, map[string]string{"lib/blog/post.ex": pgPostEx})
	db := srv.open(t, dbName)
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "initial"))

	// The lie: success, nothing applied.
	r := mustOK(t, mixsim(t, dir, map[string]string{"MIXSIM_LIE": "ash.migrate"}, "ash.migrate"))
	if !strings.Contains(r.stdout, "== Migrated") || len(pgVersions(t, db, "")) != 0 || pgColumns(t, db, "public", "posts") != nil {
		t.Errorf("MIXSIM_LIE applied something: %v\n%s", pgVersions(t, db, ""), r.stdout)
	}
	// Fail before: nothing; fail after: the work is done, exit 1.
	if r := mixsim(t, dir, map[string]string{"MIXSIM_FAIL": "ash.migrate"}, "ash.migrate"); r.code != 1 || len(pgVersions(t, db, "")) != 0 {
		t.Errorf("MIXSIM_FAIL before: exit %d, versions %v", r.code, pgVersions(t, db, ""))
	}
	if r := mixsim(t, dir, map[string]string{"MIXSIM_FAIL": "ash.migrate:after"}, "ash.migrate"); r.code != 1 || len(pgVersions(t, db, "")) != 2 {
		t.Errorf("MIXSIM_FAIL after: exit %d, versions %v", r.code, pgVersions(t, db, ""))
	}
	// A raising down stops the rollback; the migration stays applied.
	migs := listRel(t, dir, "priv/repo/migrations")
	last := filepath.Join(dir, migs[len(migs)-1])
	src := readFile(t, last)
	if err := os.WriteFile(last, []byte(strings.Replace(src, "  def down do\n", "  def down do\n    raise \"boom from down\"\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = mixsim(t, dir, nil, "ecto.rollback")
	if r.code != 1 || !strings.Contains(r.stderr, "** (RuntimeError) boom from down") || len(pgVersions(t, db, "")) != 2 {
		t.Errorf("raising down: exit %d versions %v\n%s", r.code, pgVersions(t, db, ""), r.stderr)
	}
}
