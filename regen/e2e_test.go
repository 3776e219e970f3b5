package regen_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/render"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// The end-to-end tests run the engine in-process against real git, real
// SQLite files and the mixsim stand-in as a real child process.

var (
	baseAttrs = []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true"}
)

func post(extra ...string) string {
	return regentest.Resource("Post", "posts", append(append([]string{}, baseAttrs...), extra...), nil)
}

// postFor renders the post resource for the project's data layer.
func postFor(p *regentest.Project, extra ...string) string {
	return p.Resource("Post", "posts", append(append([]string{}, baseAttrs...), extra...), nil)
}

// feature builds the situation regen exists for: a baseline committed, then
// feature work generated and applied (untracked), rows in the tables, and
// the resource changed again.
func feature(t *testing.T) *regentest.Project { return featureOf(t, regentest.SQLite) }

func featureOf(t *testing.T, kind string) *regentest.Project {
	t.Helper()
	p := regentest.NewProjectOf(t, kind)
	p.Write("lib/blog/post.ex", postFor(p, "attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	uuid := func(n int) string { return fmt.Sprintf("00000000-0000-0000-0000-%012d", n) }
	p.SQL(fmt.Sprintf(`INSERT INTO posts (id, title, body, subtitle) VALUES ('%s', 'Hello', 'b', 's'), ('%s', 'World', NULL, NULL)`, uuid(1), uuid(2)),
		fmt.Sprintf(`INSERT INTO comments (id, body, post_id) VALUES ('%s', 'nice', '%s')`, uuid(3), uuid(1)))
	p.Write("lib/blog/post.ex", postFor(p, "attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	return p
}

// eachKind runs a test on SQLite and on PostgreSQL.
func eachKind(t *testing.T, f func(t *testing.T, kind string)) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) { f(t, kind) })
	}
}

func engine(t *testing.T, p *regentest.Project) (*regen.Engine, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	e, err := regen.Open(regen.Options{Dir: p.Root, Getenv: p.Getenv, Reporter: &render.Reporter{W: &out}, ChildOut: &out})
	if err != nil {
		t.Fatal(err)
	}
	return e, &out
}

func run(t *testing.T, p *regentest.Project, o regen.RunOptions) (*regen.RunResult, error, string) {
	t.Helper()
	e, out := engine(t, p)
	if o.Command == "" {
		o.Command = "regen " + o.Name
	}
	res, err := e.Regenerate(context.Background(), o)
	return res, err, out.String()
}

func mustSame(t *testing.T, before, after regentest.State) {
	t.Helper()
	if d := before.Diff(after); d != "" {
		t.Fatalf("state changed:\n%s", d)
	}
	// Read by scripts/reltable for the results table.
	t.Logf("compared %d files, %d tables", len(after.Files), len(after.Tables))
}

func applied(t *testing.T, p *regentest.Project) []int64 {
	t.Helper()
	return p.Applied()
}

func count(t *testing.T, p *regentest.Project, table string) int64 {
	t.Helper()
	return p.Count(table)
}

func hasSuffix(list []string, suffix string) bool {
	for _, s := range list {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}

func TestRegenerateReplacesTheUntrackedAppliedMigration(t *testing.T) {
	eachKind(t, testRegenerateReplaces)
}

func testRegenerateReplaces(t *testing.T, kind string) {
	p := featureOf(t, kind)
	before := applied(t, p)
	oldUntracked := p.Untracked("priv")
	res, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Plan.Repos[0].Rollback) != 1 || !strings.HasSuffix(res.Plan.Repos[0].Rollback[0].Path, "_add_subtitle.exs") {
		t.Fatalf("rollback set: %+v", res.Plan.Repos[0].Rollback)
	}
	ms := p.Migrations()
	if hasSuffix(ms, "_add_subtitle.exs") || !hasSuffix(ms, "_add_subtitle_and_views.exs") {
		t.Fatalf("migrations after the run: %v", ms)
	}
	now := applied(t, p)
	if len(now) != len(before) || now[0] != before[0] {
		t.Fatalf("applied before %v, after %v", before, now)
	}
	for _, f := range oldUntracked {
		if _, err := os.Stat(filepath.Join(p.Root, f)); err == nil && !contains(p.Untracked("priv"), f) {
			t.Fatalf("%s still there", f)
		}
	}
	if n := count(t, p, "posts"); n != 2 {
		t.Fatalf("posts rows: %d", n)
	}
	if n := count(t, p, "comments"); n != 1 {
		t.Fatalf("comments rows: %d", n)
	}
	untracked := p.Untracked("priv")
	if len(untracked) < 2 || !hasSuffix(untracked, "_add_subtitle_and_views.exs") {
		t.Fatalf("untracked after the run: %v", untracked)
	}
	if len(res.Created) < 2 {
		t.Fatalf("created: %v", res.Created)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Failure mode 2: an untracked migration that was never applied is deleted
// but not rolled back, and no tracked migration is touched.
func TestUntrackedNeverAppliedIsDeletedButNotRolledBack(t *testing.T) {
	p := regentest.NewProject(t)
	p.SQL(`INSERT INTO posts (id, title) VALUES ('p1', 'kept')`)
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle") // generated, never applied
	log := filepath.Join(t.TempDir(), "mix.log")
	p.Env = append(p.Env, "MIXSIM_LOG="+log)
	t.Setenv("MIXSIM_LOG", log)
	tablesBefore := p.Capture().Tables
	res, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_again"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := len(res.Plan.Repos[0].Rollback); n != 0 {
		t.Fatalf("rollback set should be empty, got %d", n)
	}
	calls, _ := os.ReadFile(log)
	if strings.Contains(string(calls), "rollback") {
		t.Fatalf("a rollback ran:\n%s", calls)
	}
	if hasSuffix(p.Migrations(), "_add_subtitle.exs") {
		t.Fatal("the never-applied untracked migration is still there")
	}
	if got := p.Capture().Tables; got["posts"] != tablesBefore["posts"] || got["comments"] != tablesBefore["comments"] {
		t.Fatal("tracked tables changed")
	}
}

// Failure mode 1 and 7: stray files are neither counted nor deleted; a
// symlink named like a migration is never followed, its target never touched.
func TestStrayFilesAreNeitherCountedNorDeleted(t *testing.T) {
	p := feature(t)
	outside := filepath.Join(t.TempDir(), "precious.exs")
	os.WriteFile(outside, []byte("keep me"), 0o644)
	p.Write("priv/repo/migrations/.gitignore", "*.bak\n")
	p.Git("add", "priv/repo/migrations/.gitignore")
	p.Git("commit", "-qm", "ignore bak")
	strays := map[string]string{
		"priv/repo/migrations/.DS_Store":                   "mac",
		"priv/repo/migrations/notes.txt":                   "my notes",
		"priv/repo/migrations/.20261122000000_x.exs.swp":   "vim",
		"priv/repo/migrations/old.bak":                     "ignored",
		"priv/repo/migrations/drafts/20261122000001_a.exs": "in a subfolder",
		"priv/resource_snapshots/repo/posts/notes.md":      "snap notes",
		"priv/repo/migrations/with space.exs":              "spaces",
	}
	for f, c := range strays {
		p.Write(f, c)
	}
	// Ecto itself would load a link named like a migration, so the link is
	// named like a stray; it must be neither followed nor its target touched.
	link := filepath.Join(p.Root, "priv/repo/migrations/link_to_outside.exs")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	res, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := len(res.Plan.Repos[0].Rollback); n != 1 {
		t.Fatalf("rollback set has %d migrations, want exactly 1", n)
	}
	for f, c := range strays {
		data, err := os.ReadFile(filepath.Join(p.Root, f))
		if err != nil || string(data) != c {
			t.Fatalf("%s was touched: %v %q", f, err, data)
		}
	}
	if target, err := os.Readlink(link); err != nil || target != outside {
		t.Fatalf("the symlink was touched: %v", err)
	}
	if data, _ := os.ReadFile(outside); string(data) != "keep me" {
		t.Fatal("the symlink's target was touched")
	}
	stray := strings.Join(res.Plan.Repos[0].Stray, "\n")
	for _, want := range []string{".DS_Store", "notes.txt", "link_to_outside.exs", "drafts/"} {
		if !strings.Contains(stray, want) {
			t.Fatalf("stray list misses %s:\n%s", want, stray)
		}
	}
	if !contains(res.Plan.Repos[0].Ignored, "priv/repo/migrations/old.bak") {
		t.Fatalf("ignored list: %v", res.Plan.Repos[0].Ignored)
	}
}

// Failure mode 3: an applied version whose file is gone is reported and
// left alone; it does not make the rollback reach further.
func TestOrphanedVersionIsReportedAndLeftAlone(t *testing.T) {
	p := feature(t)
	p.SQL(`INSERT INTO schema_migrations (version, inserted_at) VALUES (20200101000000, '2020-01-01T00:00:00')`)
	res, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if o := res.Plan.Repos[0].Orphans; len(o) != 1 || o[0] != 20200101000000 {
		t.Fatalf("orphans: %v", o)
	}
	if a := applied(t, p); a[0] != 20200101000000 {
		t.Fatalf("the orphaned version went away: %v", a)
	}
}

// Failure mode 4: a tracked migration applied after an untracked one stops
// the run before anything changes; --force rolls it back and re-applies it.
func TestTrackedMigrationAppliedAfterStopsTheRun(t *testing.T) {
	p := feature(t)
	ms := p.Migrations()
	var v string
	for _, m := range ms {
		if strings.HasSuffix(m, "_add_subtitle.exs") {
			v = m[:14]
		}
	}
	later := "29990101000000"
	if v >= later {
		t.Fatal("clock")
	}
	p.Write("priv/repo/migrations/"+later+"_add_audit.exs", `defmodule Blog.Repo.Migrations.AddAudit do
  use Ecto.Migration

  def up do
    create table(:audit, primary_key: false) do
      add :id, :uuid, null: false, primary_key: true
    end
  end

  def down do
    drop table(:audit)
  end
end
`)
	p.Git("add", "priv/repo/migrations/"+later+"_add_audit.exs")
	p.Git("commit", "-qm", "from main")
	p.Mix("ash.migrate")
	p.SQL(`INSERT INTO audit (id) VALUES ('a1')`)
	before := p.Capture()
	_, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true})
	var conflict *regen.ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "_add_audit.exs") {
		t.Fatalf("want a conflict naming the tracked migration, got %v\n%s", err, out)
	}
	mustSame(t, before, p.Capture())

	res, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true, Force: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Plan.Repos[0].Reapply) != 1 {
		t.Fatalf("reapply: %+v", res.Plan.Repos[0].Reapply)
	}
	if a := applied(t, p); !containsInt(a, 29990101000000) {
		t.Fatalf("the tracked migration is not applied again: %v", a)
	}
	if _, ok := p.Capture().Tables["audit"]; !ok {
		t.Fatal("audit table missing")
	}
}

func TestNoChangesIsASuccessWithoutFiles(t *testing.T) {
	p := regentest.NewProject(t)
	res, err, out := run(t, p, regen.RunOptions{Name: "nothing_here", Migrate: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !res.NoChanges || len(res.Created) != 0 {
		t.Fatalf("created %v", res.Created)
	}
	if !strings.Contains(out, "No changes detected") {
		t.Fatalf("codegen output not streamed:\n%s", out)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	res, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true, DryRun: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Plan.Repos[0].Rollback) != 1 || !strings.Contains(out, "will roll back") {
		t.Fatalf("plan not shown:\n%s", out)
	}
	mustSame(t, before, p.Capture())
}

func TestNamesAreValidated(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	cases := map[string]string{
		"":                       "empty",
		"AddTags":                "add_tags",
		"add-materials":          "add_materials",
		"add tags":               "snake_case",
		";rm -rf ~":              "snake_case",
		"ajouter_étiquettes":     "snake_case",
		strings.Repeat("a", 300): "120",
		"initial_blog":           "already used",
		"-m":                     "flag",
		"add__tags":              "underscore",
	}
	for name, want := range cases {
		_, err, _ := run(t, p, regen.RunOptions{Name: name, Migrate: true})
		var ie *regen.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), want) {
			t.Errorf("name %q: want an input error mentioning %q, got %v", name, want, err)
		}
	}
	mustSame(t, before, p.Capture())
}

// Failure mode 8: codegen rewrites tracked generated files; regen puts them
// back to the index before codegen, and on failure restores the exact bytes
// the user had.
func TestTrackedGeneratedFilesAreRestored(t *testing.T) {
	p := feature(t)
	snaps, _ := filepath.Glob(filepath.Join(p.Root, "priv/resource_snapshots/repo/comments/*.json"))
	if len(snaps) != 1 {
		t.Fatalf("comments snapshots: %v", snaps)
	}
	tracked, _ := os.ReadFile(snaps[0])
	edited := strings.Replace(string(tracked), `"table": "comments"`, `"drop_table_opted_out": true, "table": "comments"`, 1)
	os.WriteFile(snaps[0], []byte(edited), 0o644)
	rel, _ := filepath.Rel(p.Root, snaps[0])

	// A failure gives back the edited bytes.
	t.Setenv("MIXSIM_FAIL", "ash.codegen")
	before := p.Capture()
	res, err, _ := run(t, p, regen.RunOptions{Name: "add_views", Migrate: true})
	var restored *regen.RestoredError
	if !errors.As(err, &restored) {
		t.Fatalf("want restored, got %v", err)
	}
	if !contains(res.Plan.Repos[0].RestoreTracked, filepath.ToSlash(rel)) {
		t.Fatalf("restore list: %v", res.Plan.Repos[0].RestoreTracked)
	}
	mustSame(t, before, p.Capture())

	// Success puts the tracked file back as the index has it.
	t.Setenv("MIXSIM_FAIL", "")
	if _, err, out := run(t, p, regen.RunOptions{Name: "add_views", Migrate: true}); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if now, _ := os.ReadFile(snaps[0]); string(now) != string(tracked) {
		t.Fatal("the tracked snapshot was not restored to the index")
	}
}

func containsInt(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
