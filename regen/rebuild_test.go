package regen_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// fkFeature: feature work that creates a tags table with a foreign key to
// posts (AshSqlite writes a `down` for it that raises), migrated, with rows
// in posts, comments and tags; then the tag resource changes again.
func fkFeature(t *testing.T) *regentest.Project {
	t.Helper()
	p := regentest.NewProject(t)
	p.Write("lib/blog/tag.ex", regentest.Resource("Tag", "tags", []string{"attribute :label, :string, allow_nil?: false, public?: true"}, []string{"belongs_to :post, Blog.Post, allow_nil?: false"}))
	p.Mix("ash.codegen", "add_tags")
	p.Mix("ash.migrate")
	p.SQL(`INSERT INTO posts (id, title, body) VALUES ('p1', 'Hello', 'b'), ('p2', 'World', NULL)`,
		`INSERT INTO comments (id, body, post_id) VALUES ('c1', 'nice', 'p1'), ('c2', 'meh', 'p2')`,
		`INSERT INTO tags (id, label, post_id) VALUES ('t1', 'go', 'p1'), ('t2', 'sql', 'p1'), ('t3', 'ash', 'p2')`)
	p.Write("lib/blog/tag.ex", regentest.Resource("Tag", "tags", []string{"attribute :label, :string, allow_nil?: false, public?: true", "attribute :color, :string, public?: true"}, []string{"belongs_to :post, Blog.Post, allow_nil?: false"}))
	return p
}

func TestAutoRebuildsWhenTheDownRaises(t *testing.T) {
	p := fkFeature(t)
	before := p.Capture()
	res, err, out := run(t, p, regen.RunOptions{Name: "add_tags", Migrate: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	after := p.Capture()
	for _, table := range []string{"posts", "comments"} {
		if before.Tables[table] != after.Tables[table] {
			t.Errorf("tracked table %s changed", table)
		}
	}
	report := strings.Join(res.Report, "\n")
	if !strings.Contains(report, "table tags with 3 row(s)") {
		t.Fatalf("the report should name tags and its 3 rows:\n%s", report)
	}
	if !strings.Contains(out, "switching to rebuild") || !strings.Contains(out, "_add_tags.exs") {
		t.Fatalf("the switch should be announced naming the migration:\n%s", out)
	}
	cols, err := migrator.SQLiteTableDigests(context.Background(), p.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cols["tags"]; !ok {
		t.Fatal("tags was not recreated by the new migration")
	}
	// Recreated by the new migration, its rows put back by keep_data (issue 12).
	if n := count(t, p, "tags"); n != 3 {
		t.Fatalf("tags should have its 3 rows back, has %d", n)
	}
	if len(res.Keep) != 1 || len(res.Keep[0].Kept) == 0 || res.Keep[0].Kept[0].Table != "tags" || res.Keep[0].Kept[0].Rows != 3 {
		t.Fatalf("the keep report should name tags (3 rows): %+v", res.Keep)
	}
	// inserted_at of the kept versions is the original one.
	for i, v := range before.Applied[:1] {
		if after.Applied[i] != v {
			t.Fatalf("kept version changed: %+v vs %+v", after.Applied[i], v)
		}
	}
}

func TestRebuildThenCodegenFailureRestoresTheOriginalFile(t *testing.T) {
	p := fkFeature(t)
	t.Setenv("MIXSIM_FAIL", "ash.codegen")
	before := p.Capture()
	_, err, out := run(t, p, regen.RunOptions{Name: "add_tags", Migrate: true})
	var restored *regen.RestoredError
	if !errors.As(err, &restored) || restored.Step != "codegen" {
		t.Fatalf("want a restored codegen failure, got %v\n%s", err, out)
	}
	if !strings.Contains(out, "rebuild") {
		t.Fatalf("the rebuild should have run first:\n%s", out)
	}
	mustSame(t, before, p.Capture())
}

func TestRollbackDownOnlyFailsCleanlyNamingTheMigration(t *testing.T) {
	p := fkFeature(t)
	before := p.Capture()
	_, err, out := run(t, p, regen.RunOptions{Name: "add_tags", Migrate: true, Rollback: "down"})
	var restored *regen.RestoredError
	if !errors.As(err, &restored) || restored.Step != "rollback" {
		t.Fatalf("want a restored rollback failure, got %v\n%s", err, out)
	}
	if !strings.Contains(err.Error(), "_add_tags.exs") || !strings.Contains(err.Error(), "SQLite does not support dropping foreign key constraints") {
		t.Fatalf("the error should name the migration and quote the exception: %v", err)
	}
	mustSame(t, before, p.Capture())
}

func TestDryRunSaysWhichStrategyAndWhatItDrops(t *testing.T) {
	p := fkFeature(t)
	before := p.Capture()
	res, err, out := run(t, p, regen.RunOptions{Name: "add_tags", Migrate: true, DryRun: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rp := res.Plan.Repos[0]
	if !strings.HasPrefix(rp.Strategy, "rebuild") || !strings.Contains(rp.Strategy, "_add_tags.exs") {
		t.Fatalf("strategy: %q", rp.Strategy)
	}
	if !contains(rp.WouldDrop, "table tags (3 rows now)") {
		t.Fatalf("would drop: %v", rp.WouldDrop)
	}
	mustSame(t, before, p.Capture())
}

func TestExplicitRebuildKeepsRowsOfChangedTables(t *testing.T) {
	// A plain column feature (its down works) rebuilt on request: the rows
	// survive, the rolled-back column is reported with its values.
	p := feature(t)
	res, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true, Rollback: "rebuild"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	report := strings.Join(res.Report, "\n")
	if !strings.Contains(report, "column posts.subtitle (1 value(s))") {
		t.Fatalf("report:\n%s", report)
	}
	if n := count(t, p, "posts"); n != 2 {
		t.Fatalf("posts rows: %d", n)
	}
	if n := count(t, p, "comments"); n != 1 {
		t.Fatalf("comments rows: %d", n)
	}
}
