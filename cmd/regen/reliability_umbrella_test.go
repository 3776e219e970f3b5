package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/regentest"
)

// Issue 10, cases 1 and 16 at an umbrella's root: the commands regen runs
// there (codegen, migrate, migrate --tenants) go through the task driver in
// each app's folder, so a repeated task really runs and each app's
// databases are checked before its first task.

const umbrellaRootMixExs = `defmodule Blog.Umbrella.MixProject do
  use Mix.Project

  def project do
    [apps_path: "apps", version: "0.1.0", deps: []]
  end
end
`

// asUmbrella moves the baseline project into apps/blog of an umbrella whose
// config stays at the root, and commits that layout.
func asUmbrella(t *testing.T, p *regentest.Project) {
	t.Helper()
	mixExs, err := os.ReadFile(filepath.Join(p.Root, "mix.exs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(p.Root, "apps", "blog"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"lib", "priv"} {
		p.Git("mv", rel, "apps/blog/"+rel)
	}
	p.Git("rm", "-q", "mix.exs")
	p.Write("apps/blog/mix.exs", strings.Replace(string(mixExs), "[app: :blog,",
		`[app: :blog, build_path: "../../_build", config_path: "../../config/config.exs", deps_path: "../../deps", lockfile: "../../mix.lock",`, 1))
	p.Write("mix.exs", umbrellaRootMixExs)
	p.Git("add", "-A")
	p.Git("commit", "-qm", "umbrella")
}

// treeSums digests every file under dir (relative to the project).
func treeSums(t *testing.T, p *regentest.Project, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(filepath.Join(p.Root, dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		rel, _ := filepath.Rel(p.Root, path)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	return out
}

func sameSums(t *testing.T, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed or is gone", k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s is new", k)
		}
	}
}

// An umbrella with an AshPostgres app using schema-based tenants: one run
// from the root rolls back every tenant, regenerates, and applies the new
// tenant migration to every schema (ash.migrate --tenants after ash.migrate
// at the root: Mix would skip it as already run).
func TestReliabilityUmbrellaTenantsRegenerateEverySchemaInOneRun(t *testing.T) {
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
	asUmbrella(t, p)
	note := func(extra ...string) string { return tenantNote(p, extra...) }
	p.Write("apps/blog/lib/blog/note.ex", note())
	p.Mix("ash.codegen", "add_notes")
	p.Mix("ash.migrate", "--tenants")
	p.Write("apps/blog/lib/blog/note.ex", note("attribute :pinned, :boolean, public?: true"))
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
	ms, _ := filepath.Glob(filepath.Join(p.Root, "apps/blog/priv/repo/tenant_migrations/*.exs"))
	if len(ms) != 1 || !strings.Contains(ms[0], "add_notes") {
		t.Errorf("tenant migrations: %v", ms)
	}
	data, _ := os.ReadFile(ms[0])
	if !strings.Contains(string(data), "pinned") {
		t.Errorf("the regenerated tenant migration lacks the new attribute:\n%s", data)
	}
	// Every mix process of the run was a task driver (the rollback, then
	// codegen and migrate given at the root, run in the app's folder).
	logged, _ := os.ReadFile(log)
	if n := driverStarts(t, log); n < 3 {
		t.Errorf("%d driver starts, want every command of the run to be one:\n%s", n, logged)
	}
	for _, l := range strings.Split(string(logged), "\n") {
		if strings.HasPrefix(l, "do ") || strings.HasPrefix(l, "ash.") {
			t.Errorf("a mix command ran without the driver: %s", l)
		}
	}
}

// A cached answer that names another database than the one the app's config
// gives is refused at the umbrella's root before anything changes, even
// when the run's first mix command is a root one (nothing to roll back:
// the untracked migration was never applied).
func TestReliabilityUmbrellaStaleDatabaseAnswerIsRefusedBeforeAnyChange(t *testing.T) {
	p := regentest.NewProject(t)
	asUmbrella(t, p)
	p.Write("apps/blog/lib/blog/post.ex", regentest.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true", "attribute :subtitle, :string, public?: true"}, nil))
	p.Mix("ash.codegen", "add_subtitle") // generated, not applied
	devDB, testDB := filepath.Join(p.Root, "blog_dev.db"), filepath.Join(p.Root, "blog_test.db")
	data, err := os.ReadFile(devDB)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(testDB, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := p.Regen("status"); code != 0 {
		t.Fatalf("regen status: exit %d\n%s", code, out)
	}
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
	files, devSum, testSum := treeSums(t, p, "apps"), fileSum(t, devDB), fileSum(t, testDB)
	untracked := p.Git("ls-files", "--others", "--exclude-standard")
	out, code := p.Regen("add_subtitle", "-m", "--yes")
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
	sameSums(t, files, treeSums(t, p, "apps"))
	if got := p.Git("ls-files", "--others", "--exclude-standard"); got != untracked {
		t.Errorf("untracked files: %q, were %q", got, untracked)
	}
	if fileSum(t, devDB) != devSum {
		t.Error("the dev database was changed")
	}
	if fileSum(t, testDB) != testSum {
		t.Error("the test database was changed")
	}
	// The next run asks the project again and regenerates on the dev database.
	if out, code := p.Regen("add_subtitle", "-m", "--yes"); code != 0 {
		t.Fatalf("next run: exit %d\n%s", code, out)
	}
	if got := appliedIn(t, devDB); len(got) != 2 {
		t.Errorf("dev applied after the run: %v", got)
	}
}

// `regen check --roundtrip` runs its mix commands through the task driver:
// each of up, down and up again is one driver start that checks the
// database first.
func TestReliabilityRoundtripRunsThroughTheDriver(t *testing.T) {
	p := roundtripProject(t)
	log := filepath.Join(t.TempDir(), "mix.log")
	p.Env = append(p.Env, "MIXSIM_LOG="+log)
	before := p.Capture()
	out, code := p.Regen("check", "--roundtrip")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	logged, _ := os.ReadFile(log)
	if n := driverStarts(t, log); n != 3 {
		t.Errorf("%d driver starts, want 3 (up, down, up again):\n%s", n, logged)
	}
	if !strings.Contains(string(logged), "regen_check.(") {
		t.Errorf("the drivers carry no database check:\n%s", logged)
	}
	mustSame(t, before, p.Capture())
}

// A cached answer that names another database (here the test one) than the
// config gives: the round trip is refused before its first task, the dev
// database is never migrated, and neither database changes.
func TestReliabilityRoundtripStaleDatabaseAnswerIsRefusedBeforeAnyChange(t *testing.T) {
	p := roundtripProject(t)
	devDB, testDB := p.DB, filepath.Join(p.Root, "blog_test.db")
	data, err := os.ReadFile(devDB)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(testDB, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := p.Regen("status"); code != 0 {
		t.Fatalf("regen status: exit %d\n%s", code, out)
	}
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
	before, devSum, testSum := p.Capture(), fileSum(t, devDB), fileSum(t, testDB)
	out, code := p.Regen("check", "--roundtrip")
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, out)
	}
	for _, want := range []string{devDB, testDB, "MIX_ENV=dev"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal should mention %q:\n%s", want, out)
		}
	}
	mustSame(t, before, p.Capture())
	if fileSum(t, devDB) != devSum {
		t.Error("the dev database was changed")
	}
	if fileSum(t, testDB) != testSum {
		t.Error("the test database was changed")
	}
	// The cached answer is dropped: the next round trip runs on the dev database.
	if out, code := p.Regen("check", "--roundtrip"); code != 0 {
		t.Fatalf("next check: exit %d\n%s", code, out)
	}
}

// A stale answer for the second app of an umbrella is found by that app's
// driver after the first app's tasks ran: everything is restored, and the
// cached answer is dropped so that the next run asks again and succeeds
// (it was kept before, and every later run failed the same way).
func TestReliabilityUmbrellaLaterAppMismatchIsRestoredAndForgotten(t *testing.T) {
	p, postWith, event := umbrellaTwoSQLiteAppsWithFeature(t)
	p.Write("apps/blog/lib/blog/post.ex", postWith("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	p.Write("apps/zeta/lib/event.ex", event("attribute :actor, :string, public?: true", "attribute :at, :utc_datetime_usec, public?: true"))
	zetaDev, zetaTest := filepath.Join(p.Root, "zeta_dev.db"), filepath.Join(p.Root, "zeta_test.db")
	data, err := os.ReadFile(zetaDev)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zetaTest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := p.Regen("status"); code != 0 {
		t.Fatalf("regen status: exit %d\n%s", code, out)
	}
	caches, _ := filepath.Glob(filepath.Join(p.Root, ".git", "regen", "cache", "repos-*zeta*.txt"))
	if len(caches) != 1 {
		t.Fatalf("caches for the zeta app: %v", caches)
	}
	cached, _ := os.ReadFile(caches[0])
	os.WriteFile(caches[0], []byte(strings.ReplaceAll(string(cached), "zeta_dev.db", "zeta_test.db")), 0o600)
	files := treeSums(t, p, "apps")
	blogApplied, zetaApplied, zetaTestSum := appliedIn(t, p.DB), appliedIn(t, zetaDev), pageDigest(t, zetaTest)
	out, code := p.Regen("feature_done", "-m", "--yes")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (restored)\n%s", code, out)
	}
	for _, want := range []string{zetaDev, zetaTest, "Everything was restored"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output should mention %q:\n%s", want, out)
		}
	}
	sameSums(t, files, treeSums(t, p, "apps"))
	if got := appliedIn(t, p.DB); len(got) != len(blogApplied) || got[len(got)-1] != blogApplied[len(blogApplied)-1] {
		t.Errorf("blog applied %v, was %v", got, blogApplied)
	}
	if got := appliedIn(t, zetaDev); len(got) != len(zetaApplied) || got[len(got)-1] != zetaApplied[len(zetaApplied)-1] {
		t.Errorf("zeta applied %v, was %v", got, zetaApplied)
	}
	if pageDigest(t, zetaTest) != zetaTestSum { // restored from its backup: the same pages
		t.Error("the zeta test database was changed")
	}
	if out, code := p.Regen("feature_done", "-m", "--yes"); code != 0 {
		t.Fatalf("next run: exit %d\n%s", code, out)
	}
	if got := appliedIn(t, zetaDev); len(got) != 2 || got[1] == zetaApplied[1] {
		t.Errorf("zeta applied after the run: %v (was %v)", got, zetaApplied)
	}
}

func pageDigest(t *testing.T, db string) string {
	t.Helper()
	d, err := migrator.SQLitePageDigest(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// umbrellaTwoSQLiteAppsWithFeature is an umbrella of two apps, blog and
// zeta, each its own repo and SQLite database, with a committed first state
// and an untracked, applied feature migration in each (posts.subtitle,
// events.actor). postWith and event write the apps' resources with more
// attributes.
func umbrellaTwoSQLiteAppsWithFeature(t *testing.T) (p *regentest.Project, postWith, event func(attrs ...string) string) {
	t.Helper()
	p = regentest.NewProject(t)
	asUmbrella(t, p)
	config, _ := os.ReadFile(filepath.Join(p.Root, "config/config.exs"))
	p.Write("config/config.exs", string(config)+"\nconfig :zeta, ecto_repos: [Zeta.Repo]\nconfig :zeta, Zeta.Repo, database: Path.expand(\"../zeta_dev.db\", __DIR__)\n")
	p.Write("apps/zeta/mix.exs", `defmodule Zeta.MixProject do
  use Mix.Project

  def project do
    [app: :zeta, version: "0.1.0", build_path: "../../_build", config_path: "../../config/config.exs",
     deps_path: "../../deps", lockfile: "../../mix.lock", deps: [{:ash, "~> 3.0"}, {:ash_sqlite, "~> 0.2"}]]
  end
end
`)
	event = func(attrs ...string) string {
		r := regentest.Resource("X", "events", append([]string{"attribute :action, :string, public?: true"}, attrs...), nil)
		r = strings.Replace(r, "defmodule Blog.X do", "defmodule Zeta.Event do", 1)
		return strings.Replace(r, "repo Blog.Repo", "repo Zeta.Repo", 1)
	}
	p.Write("apps/zeta/lib/event.ex", event())
	p.Mix("ash.codegen", "zeta_initial")
	p.Mix("ash.migrate")
	p.Git("add", "-A")
	p.Git("commit", "-qm", "second app")
	postWith = func(attrs ...string) string {
		return regentest.Resource("Post", "posts", append([]string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true"}, attrs...), nil)
	}
	p.Write("apps/blog/lib/blog/post.ex", postWith("attribute :subtitle, :string, public?: true"))
	p.Write("apps/zeta/lib/event.ex", event("attribute :actor, :string, public?: true"))
	p.Mix("ash.codegen", "feature")
	p.Mix("ash.migrate")
	return p, postWith, event
}

// The pre-commit hook at an umbrella's root: a staged resource change in
// apps/blog/lib without its migration runs the codegen check and is
// refused (a fixed lib/**/*.ex at the root never matched an app's files,
// so the hook let it through); a staged README alone skips it.
func TestReliabilityUmbrellaHookRefusesAResourceChangeWithoutCodegen(t *testing.T) {
	p := regentest.NewProject(t)
	asUmbrella(t, p)
	p.Write("README.md", "docs\n")
	p.Git("add", "README.md")
	if out, code := p.Regen("check", "--staged"); code != 0 || !strings.Contains(out, "codegen check skipped: no staged change touches") {
		t.Fatalf("README only: exit %d\n%s", code, out)
	}
	post := filepath.Join(p.Root, "apps/blog/lib/blog/post.ex")
	src, err := os.ReadFile(post)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), "attribute :body,", "attribute :subtitle, :string, public?: true\n    attribute :body,", 1)
	if changed == string(src) {
		t.Fatalf("the resource has no body attribute to add beside:\n%s", src)
	}
	p.Write("apps/blog/lib/blog/post.ex", changed)
	p.Git("add", "apps/blog/lib")
	out, code := p.Regen("check", "--staged")
	if code != 1 || !strings.Contains(out, "codegen") {
		t.Fatalf("a staged resource change without codegen in an umbrella app: exit %d, want 1 (codegen drift)\n%s", code, out)
	}
}
