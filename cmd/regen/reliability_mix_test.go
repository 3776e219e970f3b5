package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/regentest"
)

// Issue 10, cases 1 and 16: the database regen backs up is the one the mix
// tasks touch, whatever the environment; and tasks that repeat in one mix
// start (one rollback per repo or per tenant, migrate then migrate
// --tenants) all really run, as real Mix runs a task once per VM.

// envConfig makes the database depend on MIX_ENV, through config_env() in
// the path and an imported config/<env>.exs, as Phoenix projects do.
const envConfig = `import Config

config :blog, ecto_repos: [Blog.Repo]
config :blog, ash_domains: [Blog.Domain]

import_config "#{config_env()}.exs"
`

const envRepoConfig = `import Config

config :blog, Blog.Repo,
  database: Path.expand("../blog_#{config_env()}.db", __DIR__),
  pool_size: 5
`

// envFeature is the feature project with a dev and a test database; the
// untracked migration add_subtitle is applied in both, rows in dev.
func envFeature(t *testing.T) *regentest.Project {
	t.Helper()
	p := regentest.NewProject(t)
	p.Write("config/config.exs", envConfig)
	p.Write("config/dev.exs", envRepoConfig)
	p.Write("config/test.exs", envRepoConfig)
	p.Git("add", "-A")
	p.Git("commit", "-qm", "per-env databases")
	test := append(append([]string{}, p.Env...), "MIX_ENV=test")
	mixWith(t, p, test, "ash.migrate")
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	mixWith(t, p, test, "ash.migrate")
	p.SQL(`INSERT INTO posts (id, title, body, subtitle) VALUES ('00000000-0000-0000-0000-000000000001', 'Hello', 'b', 's')`)
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	return p
}

func mixWith(t *testing.T, p *regentest.Project, env []string, args ...string) {
	t.Helper()
	saved := p.Env
	p.Env = env
	defer func() { p.Env = saved }()
	if out, code := p.MixCode(args...); code != 0 {
		t.Fatalf("mix %v: exit %d\n%s", args, code, out)
	}
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func appliedIn(t *testing.T, db string) []int64 {
	t.Helper()
	vs, err := migrator.SQLiteAppliedVersions(t.Context(), db, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, v := range vs {
		out = append(out, v.Version)
	}
	return out
}

// After `MIX_ENV=test regen status`, a plain run backs up, rolls back,
// regenerates and verifies the dev database, the one mix uses; the test
// database is not touched.
func TestReliabilityMixEnvRunUsesTheDatabaseMixUses(t *testing.T) {
	p := envFeature(t)
	testDB := filepath.Join(p.Root, "blog_test.db")
	testSum := fileSum(t, testDB)
	saved := p.Env
	p.Env = append(append([]string{}, saved...), "MIX_ENV=test")
	if out, code := p.Regen("status"); code != 0 {
		t.Fatalf("MIX_ENV=test regen status: exit %d\n%s", code, out)
	}
	p.Env = saved
	out, code := p.Regen("add_subtitle_and_views", "-m", "--yes")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "blog_dev.db") || strings.Contains(out, "blog_test.db") {
		t.Errorf("the run should name the dev database only:\n%s", out)
	}
	if got := p.Count("posts"); got != 1 {
		t.Errorf("dev posts: %d rows, want the 1 kept", got)
	}
	ms := p.Migrations()
	if hasSuffix(ms, "_add_subtitle.exs") || !hasSuffix(ms, "_add_subtitle_and_views.exs") {
		t.Fatalf("migrations: %v", ms)
	}
	if got, want := len(p.Applied()), 2; got != want {
		t.Errorf("dev applied %v, want %d versions (baseline + regenerated)", p.Applied(), want)
	}
	if fileSum(t, testDB) != testSum {
		t.Errorf("the test database was changed\n%s", out)
	}
}

// A cached answer that names another database than the one mix will use
// (a cache from before the key covered the environment, or a config that
// reads something regen cannot see) is caught in the mix VM before its
// first task: exit 2, both databases and MIX_ENV named, nothing changed.
func TestReliabilityMixEnvStaleCacheIsRefusedBeforeAnyChange(t *testing.T) {
	p := envFeature(t)
	if out, code := p.Regen("status"); code != 0 {
		t.Fatalf("regen status: exit %d\n%s", code, out)
	}
	devDB, testDB := filepath.Join(p.Root, "blog_dev.db"), filepath.Join(p.Root, "blog_test.db")
	caches, _ := filepath.Glob(filepath.Join(p.Root, ".git", "regen", "cache", "repos-*.txt"))
	if len(caches) == 0 {
		t.Fatal("status cached no answer")
	}
	for _, c := range caches {
		data, _ := os.ReadFile(c)
		stale := strings.ReplaceAll(string(data), "blog_dev.db", "blog_test.db")
		if stale == string(data) {
			t.Fatalf("cache %s does not name the dev database:\n%s", c, data)
		}
		os.WriteFile(c, []byte(stale), 0o600)
	}
	before, testSum := p.Capture(), fileSum(t, testDB)
	out, code := p.Regen("add_subtitle_and_views", "-m", "--yes")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (nothing changed)\n%s", code, out)
	}
	for _, want := range []string{devDB, testDB, "MIX_ENV=dev", "Nothing was changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal should mention %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Everything was restored") {
		t.Errorf("a refusal claims a restore:\n%s", out)
	}
	mustSame(t, before, p.Capture())
	if fileSum(t, testDB) != testSum {
		t.Errorf("the test database was changed\n%s", out)
	}
	// The next run asks the project again and succeeds on the dev database.
	if out, code := p.Regen("add_subtitle_and_views", "-m", "--yes"); code != 0 {
		t.Fatalf("next run: exit %d\n%s", code, out)
	}
	if got := p.Count("posts"); got != 1 {
		t.Errorf("dev posts: %d rows after the run", got)
	}
}

// A variable the config reads is part of the cache key: with another value
// the run asks the project again and uses the database it names.
func TestReliabilityMixEnvVariableTheConfigReadsKeysTheCache(t *testing.T) {
	p := envFeature(t)
	p.Write("config/dev.exs", `import Config

config :blog, Blog.Repo,
  database: Path.expand("../#{System.get_env("BLOG_DB", "blog_dev")}.db", __DIR__),
  pool_size: 5
`)
	p.Git("add", "config")
	p.Git("commit", "-qm", "db name from the environment")
	otherDB := filepath.Join(p.Root, "other.db")
	saved := p.Env
	p.Env = append(append([]string{}, saved...), "BLOG_DB=other")
	mixWith(t, p, p.Env, "ash.migrate")
	p.Env = saved
	if out, code := p.Regen("status"); code != 0 { // caches blog_dev.db
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	devSum := fileSum(t, filepath.Join(p.Root, "blog_dev.db"))
	p.Env = append(append([]string{}, saved...), "BLOG_DB=other")
	out, code := p.Regen("add_subtitle_and_views", "-m", "--yes")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, otherDB) {
		t.Errorf("the run should name %s:\n%s", otherDB, out)
	}
	if fileSum(t, filepath.Join(p.Root, "blog_dev.db")) != devSum {
		t.Error("the dev database was changed, though mix used other.db")
	}
	applied := appliedIn(t, otherDB)
	if len(applied) != 2 {
		t.Errorf("other.db applied %v, want baseline + regenerated", applied)
	}
}

func hasSuffix(list []string, suffix string) bool {
	for _, s := range list {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}

// driverStarts counts the mix processes of a run that ran a task driver,
// from MIXSIM_LOG (argv joined by spaces per process: a script given with
// -e spans lines, its first one is the driver's header).
func driverStarts(t *testing.T, log string) int {
	t.Helper()
	data, _ := os.ReadFile(log)
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "run --no-start -e # regen task driver") || strings.HasPrefix(l, "run --no-start /") && strings.HasSuffix(l, ".exs") {
			n++
		}
	}
	return n
}

// Two SQLite repos regenerate with the default settings in one mix start:
// each repo's rollback runs (and only against its own repo: the two
// feature migrations share a version, as one codegen run can give them),
// then codegen and migrate.
func TestReliabilityTwoSQLiteReposRegenerateInOneMixStart(t *testing.T) {
	for _, mode := range []string{"1", "0"} {
		t.Run("one_vm="+mode, func(t *testing.T) { testTwoSQLiteRepos(t, mode) })
	}
}

func testTwoSQLiteRepos(t *testing.T, oneVM string) {
	p := regentest.NewProject(t)
	p.Env = append(p.Env, "REGEN_ONE_VM="+oneVM)
	p.Write("config/config.exs", `import Config

config :blog, ecto_repos: [Blog.Repo, Blog.AuditRepo]
config :blog, ash_domains: [Blog.Domain]

config :blog, Blog.Repo,
  database: Path.expand("../blog_dev.db", __DIR__),
  pool_size: 5

config :blog, Blog.AuditRepo,
  database: Path.expand("../audit_dev.db", __DIR__),
  pool_size: 5
`)
	event := func(extra ...string) string {
		r := p.Resource("Event", "events", append([]string{"attribute :action, :string, public?: true"}, extra...), nil)
		return strings.Replace(r, "repo Blog.Repo", "repo Blog.AuditRepo", 1)
	}
	p.Write("lib/blog/event.ex", event())
	p.Mix("ash.codegen", "add_events")
	p.Mix("ash.migrate")
	p.Git("add", "-A")
	p.Git("commit", "-qm", "audit repo")
	auditDB := filepath.Join(p.Root, "audit_dev.db")
	baseMain, baseAudit := p.Applied(), appliedIn(t, auditDB)
	// Feature work in both repos, applied in both.
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true"))
	p.Write("lib/blog/event.ex", event("attribute :actor, :string, public?: true"))
	p.Mix("ash.codegen", "feature")
	mainMig, _ := filepath.Glob(filepath.Join(p.Root, "priv/repo/migrations/*_feature.exs"))
	auditMig, _ := filepath.Glob(filepath.Join(p.Root, "priv/audit_repo/migrations/*_feature.exs"))
	if len(mainMig) != 1 || len(auditMig) != 1 {
		t.Fatalf("feature migrations: %v %v", mainMig, auditMig)
	}
	same := filepath.Join(filepath.Dir(auditMig[0]), filepath.Base(mainMig[0]))
	if err := os.Rename(auditMig[0], same); err != nil {
		t.Fatal(err)
	}
	p.Mix("ash.migrate")
	if len(p.Applied()) != len(baseMain)+1 || len(appliedIn(t, auditDB)) != len(baseAudit)+1 {
		t.Fatalf("feature not applied in both: %v %v", p.Applied(), appliedIn(t, auditDB))
	}
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	p.Write("lib/blog/event.ex", event("attribute :actor, :string, public?: true", "attribute :at, :utc_datetime_usec, public?: true"))
	if out, code := p.Regen("status"); code != 0 {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	log := filepath.Join(t.TempDir(), "mix.log")
	p.Env = append(p.Env, "MIXSIM_LOG="+log)
	out, code := p.Regen("feature_done", "-m", "--yes")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, folder := range []string{"priv/repo/migrations", "priv/audit_repo/migrations"} {
		ms, _ := filepath.Glob(filepath.Join(p.Root, folder, "*.exs"))
		names := strings.Join(ms, " ")
		if strings.Contains(names, "_feature.exs") || !strings.Contains(names, "_feature_done.exs") {
			t.Errorf("%s: %s", folder, names)
		}
	}
	if got := p.Applied(); len(got) != len(baseMain)+1 {
		t.Errorf("main applied %v", got)
	}
	if got := appliedIn(t, auditDB); len(got) != len(baseAudit)+1 {
		t.Errorf("audit applied %v", got)
	}
	if n := driverStarts(t, log); oneVM == "1" && n != 1 {
		t.Errorf("%d mix starts for the run, want 1:\n%s", n, out)
	}
}

// Tenants (PostgreSQL, several schemas): every tenant's rollback runs and
// ash.migrate --tenants after ash.migrate really applies, in one mix start.
func TestReliabilityTenantsRollBackAndMigrateEverySchemaInOneMixStart(t *testing.T) {
	schemas := []string{"org_a", "org_b", "org_c"}
	p := regentest.NewProjectOf(t, regentest.Postgres)
	repo, _ := os.ReadFile(filepath.Join(p.Root, "lib/blog/repo.ex"))
	p.Write("lib/blog/repo.ex", strings.Replace(string(repo), "  def installed_extensions do",
		"  def all_tenants, do: [\"org_a\", \"org_b\", \"org_c\"]\n\n  def installed_extensions do", 1))
	for _, s := range schemas {
		p.SQL(`CREATE SCHEMA ` + s)
	}
	p.Git("add", "-A")
	p.Git("commit", "-qm", "tenants")
	note := func(extra ...string) string { return tenantNote(p, extra...) }
	p.Write("lib/blog/note.ex", note())
	p.Mix("ash.codegen", "add_notes")
	p.Mix("ash.migrate", "--tenants")
	p.Write("lib/blog/note.ex", note("attribute :pinned, :boolean, public?: true"))
	conn, err := migrator.ParsePGConn(p.DB, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	before, err := migrator.PGAppliedVersionsByPrefix(t.Context(), conn, "", schemas)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range schemas {
		if len(before[s]) != 1 {
			t.Fatalf("%s before: %v", s, before[s])
		}
	}
	if out, code := p.Regen("status"); code != 0 {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	log := filepath.Join(t.TempDir(), "mix.log")
	p.Env = append(p.Env, "MIXSIM_LOG="+log)
	out, code := p.Regen("add_notes", "-m", "--yes")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	after, err := migrator.PGAppliedVersionsByPrefix(t.Context(), conn, "", schemas)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range schemas {
		if len(after[s]) != 1 || after[s][0].Version == before[s][0].Version {
			t.Errorf("%s: before %v after %v: want the old version rolled back and the new one applied", s, before[s], after[s])
		}
	}
	if n := driverStarts(t, log); n != 1 {
		t.Errorf("%d mix starts for the run, want 1:\n%s", n, out)
	}
}

// A command that is not a mix task cannot carry the check: when the
// verification after it finds the database untouched, regen restores what
// it backed up but does not say everything was restored, since the
// command may have changed another database (here: a wrapper that runs
// the rollback with MIX_ENV=test).
func TestReliabilityUncheckedCommandIsNeverReportedRestored(t *testing.T) {
	p := envFeature(t)
	wrapper := filepath.Join(t.TempDir(), "rollback-in-test")
	os.WriteFile(wrapper, []byte("#!/bin/sh\nMIX_ENV=test exec '"+regentest.Mixsim(t)+"' \"$@\"\n"), 0o755)
	p.Write(".regen.toml", "[commands]\nrollback = \""+wrapper+" ecto.rollback -r {repo} --migrations-path {dir} --all\"\n")
	p.Git("add", ".regen.toml")
	p.Git("commit", "-qm", "rollback wrapper")
	testDB := filepath.Join(p.Root, "blog_test.db")
	testBefore := appliedIn(t, testDB)
	before := p.Capture()
	out, code := p.Regen("add_subtitle_and_views", "-m", "--yes", "--rollback", "down")
	if code != 5 {
		t.Fatalf("exit %d, want 5 (not fully restored)\n%s", code, out)
	}
	if strings.Contains(out, "Everything was restored") || !strings.Contains(out, "without regen's database check") {
		t.Fatalf("the report should not claim a restore and should say why:\n%s", out)
	}
	mustSame(t, before, p.Capture()) // what regen backed up is back
	if got := appliedIn(t, testDB); len(got) == len(testBefore) {
		t.Fatalf("the wrapper did not change the test database (%v): the test proves nothing", got)
	}
}

// tenantNote is a multitenant (schema strategy) Note resource with extra
// attributes: the feature the tenant scenarios regenerate.
func tenantNote(p *regentest.Project, extra ...string) string {
	r := p.Resource("Note", "notes", append([]string{"attribute :text, :string, allow_nil?: false, public?: true"}, extra...), nil)
	return strings.Replace(r, "  attributes do", "  multitenancy do\n    strategy :context\n  end\n\n  attributes do", 1)
}
