package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// Issue 12: dev data survives regeneration. The rollback drops what the
// untracked migrations created, the regenerated migration re-creates it
// empty; the keep_data step puts the rows back from the run's backup and
// reports what it could not.

// sqlOne is the first column of the first row of q on the project's
// database ("<null>" for NULL).
func sqlOne(t *testing.T, p *regentest.Project, q string) string {
	t.Helper()
	return queryOne(t, "sqlite", "file:"+p.DB+"?mode=ro", q)
}

// queryOne is the first column of the first row of q ("<null>" for NULL).
func queryOne(t *testing.T, driver, dsn, q string) string {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v sql.NullString
	if err := db.QueryRow(q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if !v.Valid {
		return "<null>"
	}
	return v.String
}

// lastJournal is the journal of the last committed run, as JSON.
func lastRunRecord(t *testing.T, p *regentest.Project) map[string]any {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(p.Root, ".git", "regen", "backup", "*", "run.json"))
	if len(matches) == 0 {
		t.Fatal("no run record under .git/regen/backup")
	}
	data, err := os.ReadFile(matches[len(matches)-1])
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	return j
}

const subtitleOf1 = `SELECT subtitle FROM posts WHERE id = '00000000-0000-0000-0000-000000000001'`

func TestReliabilityKeepDataSubtitle(t *testing.T) {
	for _, oneVM := range []string{"1", "0"} {
		t.Run("one_vm="+oneVM, func(t *testing.T) {
			p := feature(t)
			p.Env = append(p.Env, "REGEN_ONE_VM="+oneVM)
			out, code := p.Regen("add_subtitle_and_views", "-m")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if got := sqlOne(t, p, subtitleOf1); got != "s" {
				t.Errorf("subtitle after the run = %q, want the value from before (s)\n%s", got, out)
			}
			if !strings.Contains(out, "kept: posts.subtitle (1 row)") {
				t.Errorf("the report does not name posts.subtitle:\n%s", out)
			}
			if i, j := strings.Index(out, "kept: posts.subtitle"), strings.Index(out, "done:"); i < 0 || j < i {
				t.Errorf("the report must come before the summary:\n%s", out)
			}
			if got := sqlOne(t, p, `SELECT count(*) FROM comments`); got != "1" {
				t.Errorf("comments: %s rows, want 1", got)
			}
			rec := lastRunRecord(t, p)
			b, _ := json.Marshal(rec["keep"])
			if !strings.Contains(string(b), `"column":"subtitle"`) {
				t.Errorf("the run's record does not keep the report: %s", b)
			}
		})
	}
}

// tagsFeature: an untracked migration created tags with a foreign key to
// posts (a tracked table) and the developer wrote rows in it; the resource
// then changed again (extra attributes).
func tagsFeature(t *testing.T, extra ...string) *regentest.Project {
	t.Helper()
	p := regentest.NewProject(t)
	tag := func(extra ...string) string {
		return regentest.Resource("Tag", "tags", append([]string{"attribute :label, :string, allow_nil?: false, public?: true"}, extra...), []string{"belongs_to :post, Blog.Post, allow_nil?: false"})
	}
	p.Write("lib/blog/tag.ex", tag())
	p.Mix("ash.codegen", "add_tags")
	p.Mix("ash.migrate")
	p.SQL(`INSERT INTO posts (id, title, body) VALUES ('p1', 'Hello', 'b')`,
		`INSERT INTO tags (id, label, post_id) VALUES ('t1', 'go', 'p1'), ('t2', 'sql', 'p1')`)
	p.Write("lib/blog/tag.ex", tag(extra...))
	return p
}

// The issue 7 rebuild path: AshSqlite's down raises for a table with a
// foreign key, so auto restores and rebuilds; the feature's table has rows,
// and they are there after the run.
func TestReliabilityKeepDataForeignKeyTableOnTheRebuildPath(t *testing.T) {
	for _, strategy := range []string{"auto", "rebuild"} {
		t.Run(strategy, func(t *testing.T) {
			p := tagsFeature(t, "attribute :color, :string, public?: true")
			out, code := p.Regen("add_tags", "-m", "--rollback", strategy)
			if code != 0 || !strings.Contains(out, "rebuil") {
				t.Fatalf("want a rebuild and success: exit %d\n%s", code, out)
			}
			if n := p.Count("tags"); n != 2 {
				t.Fatalf("tags has %d rows after the run, want the 2 from before\n%s", n, out)
			}
			if got := sqlOne(t, p, `SELECT label || ':' || post_id FROM tags WHERE id = 't1'`); got != "go:p1" {
				t.Errorf("tag t1 = %q, want go:p1", got)
			}
			if !strings.Contains(out, "kept: tags (2 rows)") {
				t.Errorf("the report does not name tags:\n%s", out)
			}
			if got := sqlOne(t, p, `SELECT count(*) FROM pragma_foreign_key_check`); got != "0" {
				t.Errorf("%s foreign key violations after the run", got)
			}
		})
	}
}

// Changes between the feature's migration and its regeneration: each is
// reported precisely and the run succeeds.
func TestReliabilityKeepDataReportsWhatCannotBeKept(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(t *testing.T) *regentest.Project
		want      []string // lines of the report
		check     string   // SQL whose answer is checkWant
		checkWant string
	}{
		{
			name: "renamed column",
			setup: func(t *testing.T) *regentest.Project {
				p := feature(t)
				p.Write("lib/blog/post.ex", post("attribute :sub_title, :string, public?: true"))
				return p
			},
			want:  []string{"not kept: posts.subtitle (column gone, 1 value)"},
			check: `SELECT count(*) FROM pragma_table_info('posts') WHERE name = 'sub_title'`, checkWant: "1",
		},
		{
			name: "dropped tracked column",
			setup: func(t *testing.T) *regentest.Project {
				p := feature(t)
				p.Write("lib/blog/post.ex", regentest.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :subtitle, :string, public?: true"}, nil))
				return p
			},
			want:  []string{"kept: posts.subtitle (1 row)", "not kept: posts.body (column gone, 1 value)"},
			check: subtitleOf1, checkWant: "s",
		},
		{
			name: "type change",
			setup: func(t *testing.T) *regentest.Project {
				p := regentest.NewProject(t)
				p.Write("lib/blog/post.ex", post("attribute :rating, :string, public?: true"))
				p.Mix("ash.codegen", "add_rating")
				p.Mix("ash.migrate")
				p.SQL(`INSERT INTO posts (id, title, body, rating) VALUES ('p1', 'a', 'b', '5'), ('p2', 'c', 'd', 'great'), ('p3', 'e', 'f', NULL)`)
				p.Write("lib/blog/post.ex", post("attribute :rating, :integer, public?: true"))
				return p
			},
			want:  []string{"kept: posts.rating (1 row)", "not kept: posts.rating (type changed, does not convert, 1 value)"},
			check: `SELECT group_concat(id || '=' || coalesce(rating, '-') || ':' || typeof(rating), ' ') FROM (SELECT * FROM posts ORDER BY id)`, checkWant: "p1=5:integer p2=-:null p3=-:null",
		},
		{
			name: "new NOT NULL column without default",
			setup: func(t *testing.T) *regentest.Project {
				return tagsFeature(t, "attribute :slug, :string, allow_nil?: false, public?: true")
			},
			want:  []string{"not kept: tags.slug (NOT NULL without default, 2 rows)"},
			check: `SELECT count(*) FROM tags`, checkWant: "0",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.setup(t)
			out, code := p.Regen("regenerated", "-m")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, "  "+w+"\n") {
					t.Errorf("the report lacks %q:\n%s", w, out)
				}
			}
			if got := sqlOne(t, p, c.check); got != c.checkWant {
				t.Errorf("%s = %q, want %q", c.check, got, c.checkWant)
			}
		})
	}
}

// --no-keep-data and keep_data = false give today's result: the
// re-created column is empty, nothing is reported as kept.
func TestReliabilityKeepDataOff(t *testing.T) {
	for _, how := range []string{"flag", "config"} {
		t.Run(how, func(t *testing.T) {
			p := feature(t)
			args := []string{"add_subtitle_and_views", "-m"}
			if how == "flag" {
				args = append(args, "--no-keep-data")
			} else {
				p.Write(".regen.toml", "keep_data = false\n")
				p.Git("add", ".regen.toml")
				p.Git("commit", "-qm", "keep_data off")
			}
			out, code := p.Regen(args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if got := sqlOne(t, p, subtitleOf1); got != "<null>" {
				t.Errorf("subtitle = %q with keep-data off, want NULL (today's result)", got)
			}
			if strings.Contains(out, "kept: ") {
				t.Errorf("keep-data off still reports a carry-over:\n%s", out)
			}
		})
	}
}

// Without -m nothing is migrated: one line says nothing was carried and
// where the data is.
func TestReliabilityKeepDataWithoutMigrate(t *testing.T) {
	p := feature(t)
	out, code := p.Regen("add_subtitle_and_views")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if n := strings.Count(out, "no data was carried over"); n != 1 || !strings.Contains(out, "run's backup for `regen undo`") {
		t.Errorf("want one line saying nothing was carried and the data is in the backup:\n%s", out)
	}
}

// A failure at, inside or right after the carry-over is a failure of the
// run: everything is restored byte for byte.
func TestReliabilityKeepDataFailureRestoresEverything(t *testing.T) {
	for _, fault := range []string{"fail:before:keep_data", "fail:during:keep_data", "fail:after:keep_data"} {
		t.Run(fault, func(t *testing.T) {
			p := feature(t)
			p.Env = append(p.Env, "REGEN_ONE_VM=0")
			before := p.Capture()
			cmd := p.RegenCmd("add_subtitle_and_views", "-m")
			cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT="+fault)
			out, err := cmd.CombinedOutput()
			if code := exitCode(err); code != 1 || !strings.Contains(string(out), "Everything was restored") {
				t.Fatalf("exit %d, want 1 and restored\n%s", code, out)
			}
			mustSame(t, before, p.Capture())
		})
	}
}

// kill -9 inside the carry-over's transaction, then `regen recover`.
func TestReliabilityKeepDataKill9ThenRecover(t *testing.T) {
	for _, when := range []string{"during", "after"} {
		t.Run(when, func(t *testing.T) {
			p := feature(t)
			before := p.Capture()
			cmd := p.RegenCmd("add_subtitle_and_views", "-m")
			cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:"+when+":keep_data")
			if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
				t.Fatalf("want SIGKILL, got %v\n%s", err, out)
			}
			if out, code := p.Regen("recover"); code != 0 || !strings.Contains(out, "reversed") {
				t.Fatalf("recover: exit %d\n%s", code, out)
			}
			mustSame(t, before, p.Capture())
		})
	}
}

// undo after a good run gives back the exact pre-run database, with the
// kept data in it or not.
func TestReliabilityKeepDataUndoGivesBackThePreRunDatabase(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	out, code := p.Regen("add_subtitle_and_views", "-m")
	if code != 0 || !strings.Contains(out, "kept: posts.subtitle") {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	if out, code := p.Regen("undo"); code != 0 {
		t.Fatalf("undo: exit %d (its changed-since-the-run check must see the state after the carry)\n%s", code, out)
	}
	mustSame(t, before, p.Capture())
}

// --dry-run and `regen status` (text and --json) forecast the carry-over:
// the tables and columns the rollback set creates, with their counts.
func TestReliabilityKeepDataForecast(t *testing.T) {
	p := tagsFeature(t, "attribute :color, :string, public?: true")
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	p.SQL(`UPDATE posts SET subtitle = 'x'`)
	before := p.Capture()
	for _, args := range [][]string{{"regenerated", "-m", "--dry-run"}, {"status"}} {
		out, code := p.Regen(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
		if !strings.Contains(out, "kept if the regenerated migration has them again") || !strings.Contains(out, "tags (2 rows), posts.subtitle (1 value)") {
			t.Errorf("%v: no forecast of tags (2 rows), posts.subtitle (1 value):\n%s", args, out)
		}
	}
	out, code := p.Regen("regenerated", "--dry-run")
	if code != 0 || !strings.Contains(out, "nothing carried (no -m") {
		t.Errorf("dry run without -m: exit %d, want the forecast to say nothing is carried\n%s", code, out)
	}
	out, code = p.Regen("regenerated", "-m", "--dry-run", "--no-keep-data")
	if code != 0 || !strings.Contains(out, "nothing carried (--no-keep-data)") {
		t.Errorf("dry run --no-keep-data: exit %d\n%s", code, out)
	}
	js, code := p.Regen("status", "--json")
	if code != 0 {
		t.Fatalf("status --json: exit %d\n%s", code, js)
	}
	var st struct {
		Plan struct {
			Repos []struct {
				Keep *struct {
					Rule  string `json:"rule"`
					Items []struct {
						Table  string `json:"table"`
						Column string `json:"column"`
						Count  int64  `json:"count"`
					} `json:"items"`
				} `json:"keep_data"`
			} `json:"repos"`
		} `json:"plan"`
	}
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, js)
	}
	if len(st.Plan.Repos) != 1 || st.Plan.Repos[0].Keep == nil || len(st.Plan.Repos[0].Keep.Items) != 2 {
		t.Fatalf("status --json has no keep_data forecast of 2 items:\n%s", js)
	}
	if it := st.Plan.Repos[0].Keep.Items[1]; it.Table != "posts" || it.Column != "subtitle" || it.Count != 1 {
		t.Errorf("second item %+v, want posts.subtitle 1", it)
	}
	mustSame(t, before, p.Capture())
}

// --force rolls a teammate's tracked migration back and applies it again:
// its table's rows are kept now.
func TestReliabilityKeepDataForce(t *testing.T) {
	p := teammateFeature(t, regentest.SQLite)
	p.SQL(`UPDATE posts SET subtitle = 's'`)
	out, code := p.Regen("add_subtitle_and_views", "-m", "--force", "--yes")
	if code != 0 {
		t.Fatalf("--force: exit %d\n%s", code, out)
	}
	if n := p.Count("tags"); n != 3 {
		t.Errorf("tags has %d rows after --force, want the 3 from before\n%s", n, out)
	}
	if !strings.Contains(out, "tags (3 rows)") {
		t.Errorf("the report does not name tags:\n%s", out)
	}
}

// --base: the feature's migration was committed on the branch; it is
// regenerated too, and its column's values are kept.
func TestReliabilityKeepDataBase(t *testing.T) {
	p := regentest.NewProject(t)
	p.Git("checkout", "-qb", "feature")
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	p.Git("add", "-A")
	p.Git("commit", "-qm", "feature: subtitle")
	p.SQL(`INSERT INTO posts (id, title, body, subtitle) VALUES ('00000000-0000-0000-0000-000000000001', 'Hello', 'b', 's')`)
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	out, code := p.Regen("post_details", "-m", "--base", "main")
	if code != 0 {
		t.Fatalf("--base: exit %d\n%s", code, out)
	}
	if got := sqlOne(t, p, subtitleOf1); got != "s" {
		t.Errorf("subtitle = %q after --base, want s\n%s", got, out)
	}
	if !strings.Contains(out, "kept: posts.subtitle (1 row)") {
		t.Errorf("the report does not name posts.subtitle:\n%s", out)
	}
}

// An umbrella with two apps, each its own repo and SQLite database: each
// database keeps its own data, and the report tells them apart.
func TestReliabilityKeepDataUmbrellaTwoRepos(t *testing.T) {
	p, postWith, event := umbrellaTwoSQLiteAppsWithFeature(t)
	p.SQL(`INSERT INTO posts (id, title, body, subtitle) VALUES ('00000000-0000-0000-0000-000000000001', 'Hello', 'b', 's')`)
	zeta := *p
	zeta.DB = filepath.Join(p.Root, "zeta_dev.db")
	zeta.SQL(`INSERT INTO events (id, action, actor) VALUES ('e1', 'login', 'ann'), ('e2', 'logout', 'bob')`)
	p.Write("apps/blog/lib/blog/post.ex", postWith("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	p.Write("apps/zeta/lib/event.ex", event("attribute :actor, :string, public?: true", "attribute :at, :utc_datetime_usec, public?: true"))
	out, code := p.Regen("feature_done", "-m", "--yes")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if got := sqlOne(t, p, subtitleOf1); got != "s" {
		t.Errorf("blog: subtitle = %q, want s\n%s", got, out)
	}
	if got := sqlOne(t, &zeta, `SELECT group_concat(actor, ',') FROM (SELECT actor FROM events ORDER BY id)`); got != "ann,bob" {
		t.Errorf("zeta: actors = %q, want ann,bob\n%s", got, out)
	}
	if strings.Count(out, "kept: ") != 2 || !strings.Contains(out, "blog/repo: kept: posts.subtitle (1 row)") || !strings.Contains(out, "zeta/repo: kept: events.actor (2 rows)") {
		t.Errorf("want one kept line per database:\n%s", out)
	}
}
