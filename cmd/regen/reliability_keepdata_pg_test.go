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

// Issue 12 on PostgreSQL: the data survives regeneration from the template
// copy, or from regen's own keep schema when other sessions are connected,
// per tenant schema; a failure in the carry restores the database.

// pgOne is the first column of the first row of q ("<null>" for NULL).
func pgOne(t *testing.T, p *regentest.Project, q string) string {
	t.Helper()
	return queryOne(t, "postgres", p.DB, q)
}

func keepSchemasLeft(t *testing.T, p *regentest.Project) string {
	t.Helper()
	return pgOne(t, p, `SELECT coalesce(string_agg(nspname, ','), '') FROM pg_namespace WHERE nspname LIKE 'regen\_keep\_%'`)
}

// openSession is another session on the project's database for the whole
// test (a running dev server).
func openSession(t *testing.T, p *regentest.Project) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", p.DB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestReliabilityKeepDataPGSubtitle(t *testing.T) {
	for _, oneVM := range []string{"1", "0"} {
		t.Run("one_vm="+oneVM, func(t *testing.T) {
			p := featureOf(t, regentest.Postgres)
			p.Env = append(p.Env, "REGEN_ONE_VM="+oneVM)
			out, code := p.Regen("add_subtitle_and_views", "-m")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if got := pgOne(t, p, subtitleOf1); got != "s" {
				t.Errorf("subtitle after the run = %q, want the value from before (s)\n%s", got, out)
			}
			if !strings.Contains(out, "kept: posts.subtitle (1 row)") {
				t.Errorf("the report does not name posts.subtitle:\n%s", out)
			}
			if got := pgOne(t, p, `SELECT count(*) FROM comments`); got != "1" {
				t.Errorf("comments: %s rows, want 1", got)
			}
			rec := lastRunRecord(t, p)
			b, _ := json.Marshal(rec["keep"])
			if !strings.Contains(string(b), `"column":"subtitle"`) {
				t.Errorf("the run's record does not keep the report: %s", b)
			}
			if left := keepSchemasLeft(t, p); left != "" {
				t.Errorf("keep schemas left after the run: %s", left)
			}
		})
	}
}

// A dev server connected during the run: no template copy can be taken;
// the data comes back from regen's keep schema, which is gone after commit.
func TestReliabilityKeepDataPGOtherSessionConnected(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	session := openSession(t, p)
	out, code := p.Regen("add_subtitle_and_views", "-m")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "other sessions are connected") {
		t.Fatalf("the run did not see the other session, so it proves nothing:\n%s", out)
	}
	if got := pgOne(t, p, subtitleOf1); got != "s" {
		t.Errorf("subtitle after the run = %q, want s\n%s", got, out)
	}
	if !strings.Contains(out, "kept: posts.subtitle (1 row)") {
		t.Errorf("the report does not name posts.subtitle:\n%s", out)
	}
	if left := keepSchemasLeft(t, p); left != "" {
		t.Errorf("keep schemas left after commit: %s", left)
	}
	rec := lastRunRecord(t, p)
	b, _ := json.Marshal(rec["repos"])
	if !strings.Contains(string(b), `"keep_schemas":{"":"regen_keep_`) {
		t.Errorf("the journal does not record the keep schema: %s", b)
	}
	if err := session.Ping(); err != nil {
		t.Errorf("the other session was ended: %v", err)
	}
}

// A failure inside the carry (before its commit) fails the run: the
// database comes back from its copy, no keep schema stays. With a session
// connected the keep schema exists before the carry: it is dropped too.
func TestReliabilityKeepDataPGFailureDuringTheCarry(t *testing.T) {
	for _, mode := range []string{"template", "session"} {
		t.Run(mode, func(t *testing.T) {
			p := featureOf(t, regentest.Postgres)
			if mode == "session" {
				openSession(t, p)
			}
			before := p.Capture()
			cmd := p.RegenCmd("add_subtitle_and_views", "-m")
			cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=fail:during:keep_data")
			out, err := cmd.CombinedOutput()
			if exitCode(err) == 0 {
				t.Fatalf("the injected failure did not fail the run:\n%s", out)
			}
			if !strings.Contains(string(out), "keep_data") {
				t.Errorf("the failure does not name the step:\n%s", out)
			}
			if mode == "template" {
				mustSame(t, before, p.Capture())
			} else if got := pgOne(t, p, `SELECT count(*) || ':' || coalesce(max(subtitle), '<null>') FROM posts`); got != "1:s" {
				// Re-migration re-creates posts.subtitle empty; the keep copy puts the value back.
				t.Errorf("posts after the compensation: %s (rows:subtitle), want 1:s", got)
			}
			if left := keepSchemasLeft(t, p); left != "" {
				t.Errorf("keep schemas left after the compensation: %s\n%s", left, out)
			}
		})
	}
}

// Four tenant schemas, rows in the feature's table of one of them: kept
// there, one report per tenant schema.
func TestReliabilityKeepDataPGTenants(t *testing.T) {
	schemas := []string{"org_a", "org_b", "org_c", "org_d"}
	p := regentest.NewProjectOf(t, regentest.Postgres)
	repo, _ := os.ReadFile(filepath.Join(p.Root, "lib/blog/repo.ex"))
	p.Write("lib/blog/repo.ex", strings.Replace(string(repo), "  def installed_extensions do",
		"  def all_tenants, do: [\"org_a\", \"org_b\", \"org_c\", \"org_d\"]\n\n  def installed_extensions do", 1))
	for _, s := range schemas {
		p.SQL(`CREATE SCHEMA ` + s)
	}
	p.Git("add", "-A")
	p.Git("commit", "-qm", "tenants")
	p.Write("lib/blog/note.ex", tenantNote(p, "attribute :topic, :string, public?: true"))
	p.Mix("ash.codegen", "add_notes")
	p.Mix("ash.migrate", "--tenants")
	p.SQL(`INSERT INTO org_c.notes (id, text, topic) VALUES ('00000000-0000-0000-0000-0000000000c1', 'in c', 'work'), ('00000000-0000-0000-0000-0000000000c2', 'also c', NULL)`)
	p.Write("lib/blog/note.ex", tenantNote(p, "attribute :topic, :string, public?: true", "attribute :pinned, :boolean, public?: true"))
	out, code := p.Regen("add_notes", "-m", "--yes")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if got := pgOne(t, p, `SELECT string_agg(text || ':' || coalesce(topic, '-'), ',' ORDER BY text) FROM org_c.notes`); got != "also c:-,in c:work" {
		t.Errorf("org_c.notes after the run = %q\n%s", got, out)
	}
	for _, s := range []string{"org_a", "org_b", "org_d"} {
		if got := pgOne(t, p, `SELECT count(*) FROM `+s+`.notes`); got != "0" {
			t.Errorf("%s.notes has %s rows, want 0", s, got)
		}
	}
	rec := lastRunRecord(t, p)
	var reps []struct {
		Schema string `json:"schema"`
		Kept   []struct {
			Table string `json:"table"`
			Rows  int64  `json:"rows"`
		} `json:"kept"`
	}
	b, _ := json.Marshal(rec["keep"])
	json.Unmarshal(b, &reps)
	seen := map[string]bool{}
	for _, r := range reps {
		seen[r.Schema] = true
		if r.Schema == "org_c" && (len(r.Kept) != 1 || r.Kept[0].Table != "notes" || r.Kept[0].Rows != 2) {
			t.Errorf("org_c's report: %s", b)
		}
		if r.Schema != "org_c" && len(r.Kept) != 0 {
			t.Errorf("%s kept something: %s", r.Schema, b)
		}
	}
	for _, s := range schemas {
		if !seen[s] {
			t.Errorf("no report for tenant %s: %s", s, b)
		}
	}
}

// kill -9 inside the carry with a session connected: the keep schema is
// in the journal, so `regen recover` drops it.
func TestReliabilityKeepDataPGKill9ThenRecoverDropsTheKeepSchema(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	openSession(t, p)
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:during:keep_data")
	if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
		t.Fatalf("want SIGKILL, got exit %d\n%s", exitCode(err), out)
	}
	if left := keepSchemasLeft(t, p); !strings.HasPrefix(left, "regen_keep_") {
		t.Fatalf("no keep schema before recover (%q): the test proves nothing", left)
	}
	out, code := p.Regen("recover")
	if code != 0 {
		t.Fatalf("recover: exit %d\n%s", code, out)
	}
	if left := keepSchemasLeft(t, p); left != "" {
		t.Errorf("keep schemas left after recover: %s\n%s", left, out)
	}
	if got := pgOne(t, p, `SELECT count(*) FROM posts`); got != "1" {
		t.Errorf("posts after recover: %s rows, want 1", got)
	}
}
