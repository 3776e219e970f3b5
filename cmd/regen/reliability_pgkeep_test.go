package main

import (
	"database/sql"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// The rows written to a PostgreSQL database between a crash and `regen
// recover`, or since a run before `regen undo --force`, are never lost: the
// present database is kept as a regen_bk_ database (named in the output),
// the live one is exactly the state before the run, and pruning the run's
// backup drops the kept copy, and nothing that does not carry regen's mark.

var keptRE = regexp.MustCompile(`kept as database (regen_bk_[a-z0-9_]+)`)

const pgkeepRow = `INSERT INTO comments (id, body, post_id) VALUES ('00000000-0000-0000-0000-0000000000aa', 'written after the crash', '00000000-0000-0000-0000-000000000001')`

// pgOther is the project's server with another database selected.
func pgOther(t *testing.T, p *regentest.Project, name string) *sql.DB {
	t.Helper()
	u, err := url.Parse(p.DB)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func pgExists(t *testing.T, p *regentest.Project, name string) bool {
	t.Helper()
	var ok bool
	if err := pgOther(t, p, "postgres").QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// keptHasRow: the kept database holds the row written after the run.
func keptHasRow(t *testing.T, p *regentest.Project, out string) string {
	t.Helper()
	m := keptRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the output does not name the kept database:\n%s", out)
	}
	if u, err := url.Parse(p.DB); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(out, pw) {
			t.Fatal("the output holds the database password")
		}
	}
	db := pgOther(t, p, m[1])
	t.Cleanup(func() {
		db.Close()
		pgOther(t, p, "postgres").Exec(`DROP DATABASE IF EXISTS "` + m[1] + `" WITH (FORCE)`)
	})
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM comments WHERE body = 'written after the crash'`).Scan(&n); err != nil {
		t.Fatalf("reading the kept database %s: %v", m[1], err)
	}
	if n != 1 {
		t.Fatalf("the kept database %s has %d rows written after the run, want 1", m[1], n)
	}
	var comment sql.NullString
	pgOther(t, p, "postgres").QueryRow(`SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, m[1]).Scan(&comment)
	if !strings.HasPrefix(comment.String, "regen backup: ") {
		t.Fatalf("the kept database %s does not carry regen's mark: %q", m[1], comment.String)
	}
	return m[1]
}

func TestReliabilityPGRecoverKeepsThePresentDatabase(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	p.Env = append(p.Env, "REGEN_ONE_VM=0")
	before := p.Capture()
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:after:codegen")
	if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
		t.Fatalf("want SIGKILL, got exit %d\n%s", exitCode(err), out)
	}
	p.SQL(pgkeepRow)
	out, code := p.Regen("recover")
	if code != 0 {
		t.Fatalf("recover: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "changed since the last state") || !strings.Contains(out, "comments") {
		t.Fatalf("recover should say what changed since the crash:\n%s", out)
	}
	if strings.Contains(out, "not kept") || strings.Contains(out, "cannot be kept") {
		t.Fatalf("recover says the changes are lost although it keeps them:\n%s", out)
	}
	t.Logf("recover:\n%s", out)
	kept := keptHasRow(t, p, out)
	mustSame(t, before, p.Capture())

	// The kept copy lives as long as the run's backup folder.
	p.Write(".regen.toml", "keep_backups = 1\n")
	for _, name := range []string{"add_subtitle_and_views", "add_subtitle_and_views_again"} {
		if got, code := p.Regen(name, "-m"); code != 0 {
			t.Fatalf("run %s: exit %d\n%s", name, code, got)
		}
	}
	if pgExists(t, p, kept) {
		t.Fatalf("pruning the run's backup left its kept database %s", kept)
	}
}

func TestReliabilityPGUndoForceKeepsThePresentDatabase(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	before := p.Capture()
	if got, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, got)
	}
	p.SQL(pgkeepRow)
	if got, code := p.Regen("undo"); code == 0 || !strings.Contains(got, "data changed") {
		t.Fatalf("undo over a new row should refuse: exit %d\n%s", code, got)
	}
	out, code := p.Regen("undo", "--force")
	if code != 0 {
		t.Fatalf("undo --force: exit %d\n%s", code, out)
	}
	t.Logf("undo --force:\n%s", out)
	keptHasRow(t, p, out)
	mustSame(t, before, p.Capture())
}

// Pruning drops what the run's record names only when it carries regen's
// mark: a record edited (or damaged) to name the project's own database, or
// an unmarked regen_bk_ database, never loses it.
func TestReliabilityPGPruneDropsOnlyMarkedDatabases(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	p.Env = append(p.Env, "REGEN_ONE_VM=0")
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:after:codegen")
	if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
		t.Fatalf("want SIGKILL, got exit %d\n%s", exitCode(err), out)
	}
	p.SQL(pgkeepRow)
	out, code := p.Regen("recover")
	if code != 0 {
		t.Fatalf("recover: exit %d\n%s", code, out)
	}
	kept := keptHasRow(t, p, out)

	// Point the closed run's record at an unmarked look-alike and at a
	// database without the prefix, next to the real kept copy.
	admin := pgOther(t, p, "postgres")
	unmarked := "regen_bk_" + strings.TrimPrefix(kept, "regen_bk_")[:10] + "_unmarked"
	plain := "pgkeep_" + strings.TrimPrefix(kept, "regen_bk_")[:10]
	for _, n := range []string{unmarked, plain} {
		if _, err := admin.Exec(`CREATE DATABASE "` + n + `"`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Exec(`DROP DATABASE IF EXISTS "` + n + `" WITH (FORCE)`) })
	}
	runs, _ := filepath.Glob(filepath.Join(p.Root, ".git", "regen", "backup", "*", "run.json"))
	edited := false
	for _, path := range runs {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var j map[string]any
		if err := json.Unmarshal(data, &j); err != nil {
			t.Fatal(err)
		}
		repos, _ := j["repos"].([]any)
		for _, r := range repos {
			rec := r.(map[string]any)
			if ks, ok := rec["db_kept"].([]any); ok && len(ks) > 0 {
				rec["db_kept"] = append(ks, unmarked, plain, strings.TrimPrefix(p.DB[strings.LastIndex(p.DB, "/"):], "/"))
				edited = true
			}
		}
		data, _ = json.Marshal(j)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if !edited {
		t.Fatalf("no run record names the kept database %s (want db_kept)", kept)
	}
	p.Write(".regen.toml", "keep_backups = 1\n")
	for _, name := range []string{"add_subtitle_and_views", "add_subtitle_and_views_again"} {
		if got, code := p.Regen(name, "-m"); code != 0 {
			t.Fatalf("run %s: exit %d\n%s", name, code, got)
		}
	}
	if pgExists(t, p, kept) {
		t.Fatalf("pruning left the kept database %s", kept)
	}
	for _, n := range []string{unmarked, plain} {
		if !pgExists(t, p, n) {
			t.Fatalf("pruning dropped %s, which does not carry regen's mark", n)
		}
	}
	if got := p.Applied(); len(got) == 0 {
		t.Fatal("the project's database lost its versions")
	}
}

// A compensation whose database is the state the run last recorded (the
// failed step changed nothing) keeps no copy: a full copy per failed run
// would pile up for nothing.
func TestReliabilityPGCompensationKeepsOnlyWhenChanged(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	before := p.Capture()
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Env = append(cmd.Env, "REGEN_ONE_VM=0", "MIXSIM_FAIL=ash.codegen")
	b, err := cmd.CombinedOutput()
	out, code := string(b), exitCode(err)
	if code != 1 {
		t.Fatalf("a failed codegen: exit %d, want 1\n%s", code, out)
	}
	if keptRE.MatchString(out) {
		t.Fatalf("a compensation over an unchanged database kept a copy:\n%s", out)
	}
	mustSame(t, before, p.Capture())
}

// A compensation over a database another session wrote to during the run
// (a dev server, psql) keeps the present one first: nothing it wrote is
// lost, and the live database is the state before the run.
func TestReliabilityPGCompensationKeepsWritesDuringTheRun(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	before := p.Capture()
	run := startAsleep(t, p, "ash.codegen", 60, []string{"REGEN_ONE_VM=0"}, nil, "add_subtitle_and_views", "-m")
	p.SQL(pgkeepRow)
	run.cmd.Process.Signal(syscall.SIGINT)
	if code := exitCode(run.cmd.Wait()); code != 130 {
		t.Fatalf("SIGINT: exit %d, want 130\n%s", code, run.out)
	}
	keptHasRow(t, p, run.out.String())
	mustSame(t, before, p.Capture())
}
