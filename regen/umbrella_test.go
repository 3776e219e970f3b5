package regen_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/render"
	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

const umbrellaRootMix = `defmodule Blog.Umbrella.MixProject do
  use Mix.Project

  def project do
    [apps_path: "apps", version: "0.1.0", deps: []]
  end
end
`

func umbrellaApp(app, module string) string {
	return `defmodule ` + module + `.MixProject do
  use Mix.Project

  def project do
    [app: :` + app + `, version: "0.1.0", build_path: "../../_build", config_path: "../../config/config.exs",
     deps_path: "../../deps", lockfile: "../../mix.lock", deps: [{:ash, "~> 3.0"}, {:ash_sqlite, "~> 0.2"}]]
  end
end
`
}

func umbrellaResource(module, table, repo string, attrs ...string) string {
	r := regentest.Resource("X", table, attrs, nil)
	r = strings.Replace(r, "defmodule Blog.X do", "defmodule "+module+" do", 1)
	return strings.Replace(r, "repo Blog.Repo", "repo "+repo, 1)
}

// umbrella: two AshSqlite apps, each with its repo and database; feature
// work generated and applied in both; then both resources change again.
func umbrella(t *testing.T) *regentest.Project {
	t.Helper()
	p := regentest.NewProject(t) // for its git repo and helpers; the layout is replaced
	for _, rel := range []string{"mix.exs", "lib", "priv", "config", "blog_dev.db"} {
		os.RemoveAll(filepath.Join(p.Root, rel))
	}
	p.Git("add", "-A")
	p.Git("commit", "-qm", "empty")
	p.Write("mix.exs", umbrellaRootMix)
	p.Write("config/config.exs", `import Config

config :blog_core, ecto_repos: [BlogCore.Repo]
config :blog_core, BlogCore.Repo, database: Path.expand("../core_dev.db", __DIR__)

config :blog_audit, ecto_repos: [BlogAudit.Repo]
config :blog_audit, BlogAudit.Repo, database: Path.expand("../audit_dev.db", __DIR__)
`)
	p.Write("apps/blog_core/mix.exs", umbrellaApp("blog_core", "BlogCore"))
	p.Write("apps/blog_audit/mix.exs", umbrellaApp("blog_audit", "BlogAudit"))
	p.Write("apps/blog_core/lib/post.ex", umbrellaResource("BlogCore.Post", "posts", "BlogCore.Repo", "attribute :title, :string, public?: true"))
	p.Write("apps/blog_audit/lib/event.ex", umbrellaResource("BlogAudit.Event", "events", "BlogAudit.Repo", "attribute :action, :string, public?: true"))
	p.DB = filepath.Join(p.Root, "core_dev.db") // what Capture reads
	p.Mix("ash.codegen", "initial")
	p.Mix("ash.migrate")
	p.Git("add", "-A")
	p.Git("commit", "-qm", "umbrella baseline")
	p.Write("apps/blog_core/lib/post.ex", umbrellaResource("BlogCore.Post", "posts", "BlogCore.Repo", "attribute :title, :string, public?: true", "attribute :subtitle, :string, public?: true"))
	p.Write("apps/blog_audit/lib/event.ex", umbrellaResource("BlogAudit.Event", "events", "BlogAudit.Repo", "attribute :action, :string, public?: true", "attribute :actor, :string, public?: true"))
	p.Mix("ash.codegen", "feature")
	p.Mix("ash.migrate")
	p.Write("apps/blog_core/lib/post.ex", umbrellaResource("BlogCore.Post", "posts", "BlogCore.Repo", "attribute :title, :string, public?: true", "attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	p.Write("apps/blog_audit/lib/event.ex", umbrellaResource("BlogAudit.Event", "events", "BlogAudit.Repo", "attribute :action, :string, public?: true", "attribute :actor, :string, public?: true", "attribute :at, :utc_datetime_usec, public?: true"))
	return p
}

func versionsOf(t *testing.T, db string) []migrator.Version {
	t.Helper()
	vs, err := migrator.SQLiteAppliedVersions(context.Background(), db, "")
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestUmbrellaFromTheRootRegeneratesEveryApp(t *testing.T) {
	p := umbrella(t)
	res, err, out := run(t, p, regen.RunOptions{Name: "feature_done", Migrate: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Plan.Repos) != 2 || res.Plan.Repos[0].Name != "blog_audit/repo" || len(res.Plan.Repos[0].Rollback) != 1 || len(res.Plan.Repos[1].Rollback) != 1 {
		t.Fatalf("plan: %+v", res.Plan.Repos)
	}
	for _, app := range []string{"blog_core", "blog_audit"} {
		ms, _ := filepath.Glob(filepath.Join(p.Root, "apps", app, "priv/repo/migrations/*.exs"))
		names := strings.Join(ms, " ")
		if strings.Contains(names, "_feature.exs") || !strings.Contains(names, "_feature_done.exs") {
			t.Fatalf("%s migrations: %s", app, names)
		}
	}
	for _, db := range []string{"core_dev.db", "audit_dev.db"} {
		if vs := versionsOf(t, filepath.Join(p.Root, db)); len(vs) != 2 {
			t.Fatalf("%s applied: %v", db, vs)
		}
	}
}

func TestUmbrellaFailureRestoresEveryApp(t *testing.T) {
	p := umbrella(t)
	t.Setenv("MIXSIM_FAIL", "ash.migrate:after")
	before := p.Capture()
	core, audit := versionsOf(t, filepath.Join(p.Root, "core_dev.db")), versionsOf(t, filepath.Join(p.Root, "audit_dev.db"))
	_, err, out := run(t, p, regen.RunOptions{Name: "feature_done", Migrate: true})
	if err == nil {
		t.Fatalf("want a failure\n%s", out)
	}
	after := p.Capture()
	if d := (regentest.State{Files: before.Files, Untracked: before.Untracked}).Diff(regentest.State{Files: after.Files, Untracked: after.Untracked}); d != "" {
		t.Fatalf("files differ:\n%s", d)
	}
	if got := versionsOf(t, filepath.Join(p.Root, "core_dev.db")); len(got) != len(core) || got[1] != core[1] {
		t.Fatalf("core: %v vs %v", core, got)
	}
	if got := versionsOf(t, filepath.Join(p.Root, "audit_dev.db")); len(got) != len(audit) || got[1] != audit[1] {
		t.Fatalf("audit: %v vs %v", audit, got)
	}
}

func TestUmbrellaFromInsideOneAppHandlesThatApp(t *testing.T) {
	p := umbrella(t)
	var buf strings.Builder
	e, err := regen.Open(regen.Options{Dir: filepath.Join(p.Root, "apps", "blog_core", "lib"), Getenv: p.Getenv, Reporter: &render.Reporter{W: &buf}, ChildOut: &buf})
	if err != nil {
		t.Fatal(err)
	}
	auditBefore := versionsOf(t, filepath.Join(p.Root, "audit_dev.db"))
	res, err := e.Regenerate(context.Background(), regen.RunOptions{Name: "core_only", Migrate: true, Command: "regen core_only -m"})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(res.Plan.Repos) != 1 || res.Plan.Repos[0].Migrations != "priv/repo/migrations" {
		t.Fatalf("plan: %+v", res.Plan.Repos)
	}
	if got := versionsOf(t, filepath.Join(p.Root, "audit_dev.db")); len(got) != len(auditBefore) || got[len(got)-1] != auditBefore[len(auditBefore)-1] {
		t.Fatalf("the other app's database changed: %v vs %v", auditBefore, got)
	}
	ms, _ := filepath.Glob(filepath.Join(p.Root, "apps/blog_core/priv/repo/migrations/*_core_only.exs"))
	if len(ms) != 1 {
		t.Fatalf("core migration not regenerated:\n%s", buf.String())
	}
}
