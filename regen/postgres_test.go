package regen_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/render"
	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// PostgreSQL-only behaviour: passwords, sessions that block a template
// copy, several repos in one transaction.

func TestPostgresWrongPasswordIsOneClearLineAndLeaksNowhere(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	u, _ := url.Parse(p.DB)
	const secret = "s3cret-Wr0ng-pw"
	u.User = url.UserPassword(u.User.Username(), secret)
	p.Write(".regen.toml", fmt.Sprintf("[[repos]]\nname = \"repo\"\ndatabase = %q\n", u.String()))
	before := p.Capture()
	for _, args := range [][]string{{"status"}, {"status", "--json"}, {"add_views", "-m"}, {"add_views", "--dry-run"}} {
		out, code := p.Regen(args...)
		if code != 2 {
			t.Fatalf("regen %v: exit %d, want 2\n%s", args, code, out)
		}
		if strings.Contains(out, secret) {
			t.Fatalf("regen %v printed the password:\n%s", args, out)
		}
		if !strings.Contains(out, "authentication failed") && !strings.Contains(strings.ToLower(out), "password") {
			t.Fatalf("regen %v should say the login failed:\n%s", args, out)
		}
	}
	// DATABASE_URL too.
	os.Remove(filepath.Join(p.Root, ".regen.toml"))
	p.Env = append(p.Env, "DATABASE_URL="+u.String())
	os.WriteFile(filepath.Join(p.Root, "config/config.exs"), []byte("import Config\n\nconfig :blog, ecto_repos: [Blog.Repo]\n"), 0o644)
	if out, code := p.Regen("add_views", "-m"); code != 2 || strings.Contains(out, secret) {
		t.Fatalf("DATABASE_URL with a wrong password: exit %d\n%s", code, out)
	}
	// Nothing under the git directory's regen folder holds it.
	filepath.WalkDir(filepath.Join(p.Root, ".git", "regen"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(path); strings.Contains(string(data), secret) {
				t.Errorf("%s holds the password", path)
			}
		}
		return nil
	})
	after := p.Capture()
	if fmt.Sprint(before.Applied) != fmt.Sprint(after.Applied) || fmt.Sprint(before.Tables) != fmt.Sprint(after.Tables) {
		t.Fatal("the database changed")
	}
}

// The project's own password (config/config.exs) is never written under
// .git/regen either, not even in the repo-config cache or a journal; the
// answer with it is cached in the user's cache folder, so the next command
// needs no mix start.
func TestPostgresProjectPasswordIsNotCached(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	if _, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true}); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	log := filepath.Join(t.TempDir(), "mix.log")
	t.Setenv("MIXSIM_LOG", log)
	e, _ := engine(t, p)
	if _, err := e.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls, _ := os.ReadFile(log); len(calls) > 0 {
		t.Fatalf("status started mix again:\n%s", calls)
	}
	u, _ := url.Parse(p.DB)
	pw, _ := u.User.Password()
	filepath.WalkDir(filepath.Join(p.Root, ".git", "regen"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(path); strings.Contains(string(data), pw) {
				t.Errorf("%s holds the password", path)
			}
		}
		return nil
	})
}

func columns(t *testing.T, dsn string) string {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

// holdSession keeps one session connected to dsn for the test, as a
// running server does: it blocks the template copy.
func holdSession(t *testing.T, dsn string) {
	t.Helper()
	server, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	server.SetMaxOpenConns(1)
	if err := server.Ping(); err != nil {
		t.Fatal(err)
	}
}

// A session that stays connected (a running server) blocks the template
// copy: the run says so and, on failure, brings the database back by
// re-migration — schema_migrations and the schema exactly, the rows of the
// rolled-back migration's column not.
func TestPostgresBusyDatabaseIsRestoredByRemigration(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	holdSession(t, p.DB)
	t.Setenv("MIXSIM_FAIL", "ash.codegen")
	p.Env = append(p.Env, "REGEN_ONE_VM=0")
	before := p.Capture()
	colsBefore := columns(t, p.DB)
	_, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true})
	var restored *regen.RestoredError
	if !errors.As(err, &restored) {
		t.Fatalf("want restored, got %v\n%s", err, out)
	}
	if !strings.Contains(out, "re-migration") {
		t.Fatalf("the fallback should be announced:\n%s", out)
	}
	after := p.Capture()
	if fmt.Sprint(before.Applied) != fmt.Sprint(after.Applied) {
		t.Fatalf("schema_migrations: %v vs %v", before.Applied, after.Applied)
	}
	if c := columns(t, p.DB); c != colsBefore {
		t.Fatalf("schema differs:\n%s\nvs\n%s", colsBefore, c)
	}
	if d := (regentest.State{Files: before.Files, Untracked: before.Untracked}).Diff(regentest.State{Files: after.Files, Untracked: after.Untracked}); d != "" {
		t.Fatalf("files differ:\n%s", d)
	}
	if before.Tables["comments"] != after.Tables["comments"] {
		t.Fatal("comments (untouched by the rolled-back migration) lost rows")
	}
}

// The re-migration is mix too: a program its ecto.migrate leaves in the
// background (a session of its own) could change the database after the
// restore was checked. It is stopped, and the restore still holds.
func TestPostgresRemigrationLeavesNothingRunning(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("regen finds a run's processes through /proc (Linux)")
	}
	p := featureOf(t, regentest.Postgres)
	holdSession(t, p.DB)
	tag := "MIXSIM_READY_FILE=" + filepath.Join(t.TempDir(), "tag")
	t.Setenv("MIXSIM_FAIL", "ash.codegen")
	t.Setenv("MIXSIM_STRAY", "ecto.migrate") // the re-migration's task only
	k, v, _ := strings.Cut(tag, "=")
	t.Setenv(k, v)
	p.Env = append(p.Env, "REGEN_ONE_VM=0")
	before := p.Capture()
	_, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true})
	var restored *regen.RestoredError
	if !errors.As(err, &restored) || !strings.Contains(out, "re-migration") {
		t.Fatalf("want restored by re-migration, got %v\n%s", err, out)
	}
	if pids := regentest.Carriers(tag); len(pids) > 0 {
		t.Fatalf("process(es) %v the re-migration started are still running\n%s", pids, out)
	}
	if !strings.Contains(out, "stopped what the run's tasks had left running") {
		t.Fatalf("regen does not say what it stopped:\n%s", out)
	}
	if after := p.Capture(); fmt.Sprint(before.Applied) != fmt.Sprint(after.Applied) {
		t.Fatalf("schema_migrations: %v vs %v", before.Applied, after.Applied)
	}
}

func TestPostgresTerminateConnectionsGivesAFullCopy(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	holdSession(t, p.DB)
	t.Setenv("MIXSIM_FAIL", "ash.codegen")
	before := p.Capture()
	var buf strings.Builder
	e, err := regen.Open(regen.Options{Dir: p.Root, Getenv: p.Getenv, Reporter: &render.Reporter{W: &buf}, ChildOut: &buf, TerminateConnections: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Regenerate(context.Background(), regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true, Command: "regen x"})
	var restored *regen.RestoredError
	if !errors.As(err, &restored) {
		t.Fatalf("want restored, got %v\n%s", err, buf.String())
	}
	mustSame(t, before, p.Capture()) // every row, from the template copy
}

// Two repos, each with its own database; the second one's rollback fails:
// the first one, already rolled back, is restored too.
func TestPostgresTwoReposFailureInTheSecondRestoresBoth(t *testing.T) {
	p := regentest.NewProjectOf(t, regentest.Postgres)
	audit := strings.Replace(p.DB, "/regen_test_", "/regen_audit_", 1)
	admin, err := sql.Open("postgres", regentest.PGTestURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	auditName := strings.TrimPrefix(mustURL(t, audit).Path, "/")
	if _, err := admin.Exec(`CREATE DATABASE "` + auditName + `"`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(`DROP DATABASE IF EXISTS "` + auditName + `" WITH (FORCE)`) })
	u := mustURL(t, audit)
	pw, _ := u.User.Password()
	cfg, _ := os.ReadFile(filepath.Join(p.Root, "config/config.exs"))
	p.Write("config/config.exs", strings.Replace(string(cfg), "ecto_repos: [Blog.Repo]", "ecto_repos: [Blog.Repo, Blog.AuditRepo]", 1)+
		fmt.Sprintf("\nconfig :blog, Blog.AuditRepo,\n  username: %q,\n  password: %q,\n  hostname: %q,\n  database: %q,\n  port: %s\n", u.User.Username(), pw, u.Hostname(), auditName, u.Port()))
	p.Write("lib/blog/audit_repo.ex", "defmodule Blog.AuditRepo do\n  use AshPostgres.Repo, otp_app: :blog\n\n  def installed_extensions do\n    [\"ash-functions\"]\n  end\nend\n")
	event := func(extra ...string) string {
		return strings.Replace(p.Resource("AuditEvent", "audit_events", append([]string{"attribute :action, :string, public?: true"}, extra...), nil), "repo Blog.Repo", "repo Blog.AuditRepo", 1)
	}
	p.Write("lib/blog/audit_event.ex", event())
	p.Mix("ash.codegen", "audit_baseline")
	p.Mix("ash.migrate")
	p.Git("add", "-A")
	p.Git("commit", "-qm", "audit repo")
	// Feature work in both repos, applied.
	p.Write("lib/blog/post.ex", postFor(p, "attribute :subtitle, :string, public?: true"))
	p.Write("lib/blog/audit_event.ex", event("attribute :actor, :string, public?: true"))
	p.Mix("ash.codegen", "feature")
	p.Mix("ash.migrate")
	// The audit repo also has an untracked migration whose down raises.
	p.Write("priv/audit_repo/migrations/29990101000000_broken_down.exs", "defmodule Blog.AuditRepo.Migrations.BrokenDown do\n  use Ecto.Migration\n\n  def up do\n    execute \"SELECT 1\"\n  end\n\n  def down do\n    raise \"this down cannot run\"\n  end\nend\n")
	p.Mix("ash.migrate")
	p.Write("lib/blog/post.ex", postFor(p, "attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))

	auditConn, _ := migrator.ParsePGConn(audit, os.Getenv)
	mainBefore := p.Capture()
	auditBefore, _ := migrator.PGTableDigests(context.Background(), auditConn, "public")
	auditApplied, _ := migrator.PGAppliedVersions(context.Background(), auditConn, "", "")
	p.Env = append(p.Env, "REGEN_ONE_VM=0")
	res, err, out := run(t, p, regen.RunOptions{Name: "feature_again", Migrate: true})
	var restored *regen.RestoredError
	if !errors.As(err, &restored) || !strings.Contains(err.Error(), "broken_down") {
		t.Fatalf("want a restored failure naming the audit migration, got %v\n%s", err, out)
	}
	if len(res.Plan.Repos) != 2 {
		t.Fatalf("repos: %+v", res.Plan.Repos)
	}
	mustSame(t, mainBefore, p.Capture())
	auditAfter, _ := migrator.PGTableDigests(context.Background(), auditConn, "public")
	if fmt.Sprint(auditBefore) != fmt.Sprint(auditAfter) {
		t.Fatal("the audit database was not restored")
	}
	if now, _ := migrator.PGAppliedVersions(context.Background(), auditConn, "", ""); fmt.Sprint(now) != fmt.Sprint(auditApplied) {
		t.Fatalf("audit schema_migrations: %v vs %v", auditApplied, now)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
