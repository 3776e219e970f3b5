package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/regentest"
)

// Issue 13: the dev database follows the branch. `regen sync` rolls back
// the phantoms a checkout left (applied versions whose file the work tree
// no longer has) and applies the work tree's pending migrations, as one
// transaction; the post-checkout hook runs it after a branch switch.

// syncStory is a project on main with a feature branch that added a
// column (migrated, committed), checked out on feature, with a row in
// every table.
type syncStory struct {
	p                *regentest.Project
	mainVersions     []int64
	featureVersions  []int64
	featureMigration string // the feature's migration file (project-relative)
}

func newSyncStory(t *testing.T, kind string) *syncStory {
	t.Helper()
	p := regentest.NewProjectOf(t, kind)
	s := &syncStory{p: p, mainVersions: p.Applied()}
	p.Git("checkout", "-q", "-b", "feature")
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", append(append([]string{}, baseAttrs...), "attribute :subtitle, :string, public?: true"), nil))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	for _, u := range p.Untracked("priv/repo/migrations") {
		s.featureMigration = u
	}
	if s.featureMigration == "" {
		t.Fatal("codegen wrote no migration")
	}
	p.Git("add", "-A")
	p.Git("commit", "-q", "-m", "add subtitle")
	p.SQL(`INSERT INTO posts (id, title, body, subtitle) VALUES ('00000000-0000-0000-0000-000000000001', 'Hello', 'b', 's')`,
		`INSERT INTO comments (id, body, post_id) VALUES ('00000000-0000-0000-0000-000000000002', 'nice', '00000000-0000-0000-0000-000000000001')`)
	s.featureVersions = p.Applied()
	return s
}

// files is the work tree as bytes: every file under priv/ and lib/ (with
// its mode) and git's untracked list.
func files(p *regentest.Project) string {
	st := p.Capture()
	var b strings.Builder
	for k, v := range st.Files {
		b.WriteString(k + " " + v + "\n")
	}
	lines := strings.Split(b.String(), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\nuntracked:\n" + st.Untracked
}

// columns lists a table's columns.
func columns(t *testing.T, p *regentest.Project, table string) string {
	t.Helper()
	driver, dsn, q := "sqlite", "file:"+p.DB+"?mode=ro", `SELECT name FROM pragma_table_info('`+table+`') ORDER BY name`
	if p.Kind == regentest.Postgres {
		driver, dsn, q = "postgres", p.DB, `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '`+table+`' ORDER BY column_name`
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	return strings.Join(cols, ",")
}

func (s *syncStory) wantRows(t *testing.T) {
	t.Helper()
	if n := s.p.Count("posts"); n != 1 {
		t.Fatalf("posts: %d rows, want 1", n)
	}
	if n := s.p.Count("comments"); n != 1 {
		t.Fatalf("comments: %d rows, want 1", n)
	}
}

func sameVersions(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// gitHooked runs git with regen on PATH and the stand-in as mix, as a
// developer's shell has them, so that the installed hook runs the real
// regen.
func gitHooked(t *testing.T, p *regentest.Project, args ...string) string {
	t.Helper()
	return gitHookedIn(t, p, p.Root, args...)
}

func gitHookedIn(t *testing.T, p *regentest.Project, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append(append(os.Environ(), p.GitEnv()...),
		"PATH="+filepath.Dir(regentest.Regen(t))+string(os.PathListSeparator)+os.Getenv("PATH"),
		"REGEN_MIX="+regentest.Mixsim(t), "NO_COLOR=1"), p.Env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// The checkout story on both databases: on main, sync rolls the feature's
// migration back (its file from the feature branch), keeps every row and
// leaves the work tree byte-identical; back on feature, sync applies it again.
func TestReliabilitySyncCheckoutStory(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := newSyncStory(t, kind)
			p := s.p
			p.Git("checkout", "-q", "main")
			if !strings.Contains(columns(t, p, "posts"), "subtitle") {
				t.Fatal("the story needs the feature's column in the database on main")
			}
			before := files(p)
			if st, code := p.Regen("status"); code != 0 || !strings.Contains(st, filepath.Base(s.featureMigration)) || !strings.Contains(st, "branch feature @ ") {
				t.Fatalf("status on main should name the phantom and the branch holding its file: exit %d\n%s", code, st)
			}
			dry, code := p.Regen("sync", "--dry-run")
			if code != 0 || !strings.Contains(dry, "dry run: nothing was changed") || !strings.Contains(dry, "add_subtitle") || !strings.Contains(dry, "branch feature @ ") {
				t.Fatalf("sync --dry-run: exit %d\n%s", code, dry)
			}
			if !sameVersions(p.Applied(), s.featureVersions) || files(p) != before {
				t.Fatalf("the dry run changed something: %v", p.Applied())
			}
			out, code := p.Regen("sync")
			if code != 0 || !strings.Contains(out, "rolled back") {
				t.Fatalf("sync on main: exit %d\n%s", code, out)
			}
			t.Logf("regen sync on main:\n%s", out)
			if got := p.Applied(); !sameVersions(got, s.mainVersions) {
				t.Fatalf("applied after sync on main: %v, want %v\n%s", got, s.mainVersions, out)
			}
			if strings.Contains(columns(t, p, "posts"), "subtitle") {
				t.Fatalf("the feature's column is still there: %s", columns(t, p, "posts"))
			}
			s.wantRows(t)
			if after := files(p); after != before {
				t.Fatalf("the work tree changed:\n%s\nvs\n%s", before, after)
			}
			again, code := p.Regen("sync")
			if code != 0 || !strings.Contains(again, "nothing to do") {
				t.Fatalf("second sync: exit %d\n%s", code, again)
			}

			p.Git("checkout", "-q", "feature")
			before = files(p)
			out, code = p.Regen("sync")
			if code != 0 || !strings.Contains(out, "applied 1 migration") {
				t.Fatalf("sync on feature: exit %d\n%s", code, out)
			}
			if got := p.Applied(); !sameVersions(got, s.featureVersions) {
				t.Fatalf("applied after sync on feature: %v, want %v", got, s.featureVersions)
			}
			if !strings.Contains(columns(t, p, "posts"), "subtitle") {
				t.Fatal("the feature's column did not come back")
			}
			s.wantRows(t)
			if after := files(p); after != before {
				t.Fatalf("the work tree changed on feature:\n%s\nvs\n%s", before, after)
			}
		})
	}
}

// The same story with the hook installed and plain `git checkout`, both
// ways: the hook syncs, prints exactly one line, and the checkout succeeds.
func TestReliabilitySyncPostCheckoutHook(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := newSyncStory(t, kind)
			p := s.p
			if out, code := p.Regen("hook", "install", "--post-checkout"); code != 0 || !strings.Contains(out, "post-checkout") {
				t.Fatalf("hook install --post-checkout: exit %d\n%s", code, out)
			}
			out := gitHooked(t, p, "checkout", "-q", "main")
			if lines := strings.Split(strings.TrimRight(out, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "regen: synced: rolled back 2") {
				t.Fatalf("the hook printed %d line(s), want one saying what it rolled back:\n%s", len(lines), out)
			}
			if got := p.Applied(); !sameVersions(got, s.mainVersions) {
				t.Fatalf("applied after checking out main: %v, want %v\n%s", got, s.mainVersions, out)
			}
			if strings.Contains(columns(t, p, "posts"), "subtitle") {
				t.Fatal("the feature's column is still there")
			}
			s.wantRows(t)
			out = gitHooked(t, p, "checkout", "-q", "feature")
			if lines := strings.Split(strings.TrimRight(out, "\n"), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "applied 1 migration") {
				t.Fatalf("back on feature the hook printed:\n%s", out)
			}
			if got := p.Applied(); !sameVersions(got, s.featureVersions) {
				t.Fatalf("applied after checking out feature: %v, want %v", got, s.featureVersions)
			}
			s.wantRows(t)
			// git's environment in the hook: GIT_DIR and GIT_WORK_TREE set
			// (from elsewhere), and a checkout started in a subfolder.
			out = gitHookedIn(t, p, t.TempDir(), "--git-dir="+filepath.Join(p.Root, ".git"), "--work-tree="+p.Root, "checkout", "-q", "main")
			if !strings.HasPrefix(out, "regen: synced: rolled back") || !sameVersions(p.Applied(), s.mainVersions) {
				t.Fatalf("with GIT_DIR and GIT_WORK_TREE set, the hook printed:\n%s\napplied %v", out, p.Applied())
			}
			out = gitHookedIn(t, p, filepath.Join(p.Root, "lib"), "checkout", "-q", "feature")
			if !strings.Contains(out, "applied 1 migration") || !sameVersions(p.Applied(), s.featureVersions) {
				t.Fatalf("from a subfolder, the hook printed:\n%s\napplied %v", out, p.Applied())
			}
			s.wantRows(t)
		})
	}
}

// The hook does nothing (and says why, in one line) when the checkout is
// not a branch switch that changed the migrations: a switch whose commits
// differ only outside the migrations folders, a file checkout, a rebase.
func TestReliabilitySyncPostCheckoutHookSkips(t *testing.T) {
	s := newSyncStory(t, regentest.SQLite)
	p := s.p
	if out, code := p.Regen("hook", "install", "--post-checkout"); code != 0 {
		t.Fatalf("hook install: exit %d\n%s", code, out)
	}
	// A branch that differs from feature only in lib/.
	p.Git("checkout", "-q", "-b", "docs")
	p.Write("lib/blog/notes.ex", "# notes\n")
	p.Git("add", "-A")
	p.Git("commit", "-q", "-m", "notes")
	p.Git("checkout", "-q", "feature")
	p.SQL(`DELETE FROM schema_migrations WHERE version = ` + strings.TrimSuffix(filepath.Base(s.featureMigration)[:14], "_"))
	skewed := p.Applied() // a state only the hook's sync would change
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"checkout", "-q", "docs"}, "differ only outside the migrations folders"},
		{[]string{"checkout", "-q", "feature", "--", "lib/blog/post.ex"}, "a file checkout"},
		{[]string{"checkout", "-q", "feature"}, "differ only outside the migrations folders"},
	} {
		out := gitHooked(t, p, c.args...)
		if lines := strings.Split(strings.TrimRight(out, "\n"), "\n"); len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Fatalf("git %v: the hook printed:\n%s\nwant one line saying %q", c.args, out, c.want)
		}
		if got := p.Applied(); !sameVersions(got, skewed) {
			t.Fatalf("git %v: the hook changed the database: %v", c.args, got)
		}
	}
	// A bisect checks out commits on its way.
	p.Git("checkout", "-q", "docs")
	out := gitHooked(t, p, "bisect", "start", "docs", "main")
	if !strings.Contains(out, "regen: database not synced: a bisect is in progress") || strings.Contains(out, "regen: synced:") {
		t.Fatalf("the bisect's checkout: the hook printed:\n%s", out)
	}
	p.Git("bisect", "reset")
	// A rebase of docs onto a main that moved on checks out main first.
	p.Git("checkout", "-q", "main")
	p.Write("lib/blog/readme.ex", "# main moved on\n")
	p.Git("add", "-A")
	p.Git("commit", "-q", "-m", "main moves on")
	p.Git("checkout", "-q", "docs")
	p.SQL(`DELETE FROM schema_migrations WHERE version = ` + strings.TrimSuffix(filepath.Base(s.featureMigration)[:14], "_"))
	skewed = p.Applied()
	out = gitHooked(t, p, "rebase", "-q", "main")
	if !strings.Contains(out, "a rebase is in progress") || strings.Contains(out, "regen: synced") {
		t.Fatalf("during the rebase the hook printed:\n%s", out)
	}
	if got := p.Applied(); !sameVersions(got, skewed) {
		t.Fatalf("the rebase's checkouts changed the database: %v", got)
	}
}

// A phantom whose `down` raises (AshSqlite writes one for every table it
// creates with a foreign key): the issue 7 strategy applies, the database
// is rebuilt from the work tree's migrations and every surviving row is
// carried over.
func TestReliabilitySyncPhantomDownRaisesRebuilds(t *testing.T) {
	p := regentest.NewProject(t)
	mainVersions := p.Applied()
	p.Git("checkout", "-q", "-b", "feature")
	p.Write("lib/blog/tag.ex", regentest.Resource("Tag", "tags", []string{"attribute :label, :string, allow_nil?: false, public?: true"}, []string{"belongs_to :post, Blog.Post, allow_nil?: false"}))
	p.Mix("ash.codegen", "add_tags")
	p.Mix("ash.migrate")
	p.Git("add", "-A")
	p.Git("commit", "-q", "-m", "tags")
	p.SQL(`INSERT INTO posts (id, title, body) VALUES ('p1', 'Hello', 'b'), ('p2', 'World', 'c')`,
		`INSERT INTO comments (id, body, post_id) VALUES ('c1', 'nice', 'p1')`,
		`INSERT INTO tags (id, label, post_id) VALUES ('t1', 'go', 'p1')`)
	p.Git("checkout", "-q", "main")
	// On main, work in progress: a migration generated and applied, not
	// committed. A sync keeps it applied, and so must the rebuild.
	p.Write("lib/blog/comment.ex", p.Resource("Comment", "comments", []string{"attribute :body, :string, allow_nil?: false, public?: true", "attribute :rating, :integer, public?: true"}, []string{"belongs_to :post, Blog.Post, allow_nil?: false"}))
	p.Mix("ash.codegen", "add_rating")
	p.Mix("ash.migrate")
	rating := p.Untracked("priv/repo/migrations")
	if len(rating) != 1 {
		t.Fatalf("untracked %v", rating)
	}
	mainVersions = append(mainVersions, versionOf(t, rating[0]))
	p.SQL(`UPDATE comments SET rating = 5 WHERE id = 'c1'`)
	before := files(p)
	dry, code := p.Regen("sync", "--dry-run")
	if code != 0 || !strings.Contains(dry, "rebuild (auto: the `down` of") {
		t.Fatalf("the dry run should predict the rebuild: exit %d\n%s", code, dry)
	}
	out, code := p.Regen("sync")
	if code != 0 || !strings.Contains(out, "rebuilt") {
		t.Fatalf("sync: exit %d, want a rebuild\n%s", code, out)
	}
	if got := p.Applied(); !sameVersions(got, mainVersions) {
		t.Fatalf("applied %v, want %v\n%s", got, mainVersions, out)
	}
	if cols := columns(t, p, "tags"); cols != "" {
		t.Fatalf("the phantom's table is still there (%s)", cols)
	}
	if p.Count("posts") != 2 || p.Count("comments") != 1 {
		t.Fatalf("rows lost: posts %d, comments %d\n%s", p.Count("posts"), p.Count("comments"), out)
	}
	if got := sqlOne(t, p, `SELECT title || body FROM posts WHERE id = 'p2'`); got != "Worldc" {
		t.Fatalf("post p2 = %q", got)
	}
	if got := sqlOne(t, p, `SELECT rating FROM comments WHERE id = 'c1'`); got != "5" {
		t.Fatalf("the untracked migration's column lost its value: %q", got)
	}
	if after := files(p); after != before {
		t.Fatalf("the work tree changed:\n%s\nvs\n%s", before, after)
	}
}

// A kill -9 during the sync leaves its journal: every command then exits 4
// naming `regen recover`, which puts the database back as it was before.
func TestReliabilitySyncKill9ThenRecover(t *testing.T) {
	for _, step := range []string{"rollback", "verify"} {
		t.Run(step, func(t *testing.T) {
			s := newSyncStory(t, regentest.SQLite)
			p := s.p
			p.Git("checkout", "-q", "main")
			before := p.Capture()
			cmd := p.RegenCmd("sync")
			cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:after:"+step)
			out, _ := cmd.CombinedOutput()
			if code := exitCode(cmdErr(cmd)); code != 128+9 {
				t.Fatalf("the sync was not killed (exit %d):\n%s", code, out)
			}
			for _, args := range [][]string{{"sync"}, {"add_views", "-m"}} {
				got, code := p.Regen(args...)
				if code != 4 || !strings.Contains(got, "regen recover") {
					t.Fatalf("regen %v after the kill: exit %d, want 4\n%s", args, code, got)
				}
			}
			got, code := p.Regen("recover")
			if code != 0 || !strings.Contains(got, "reversed") {
				t.Fatalf("recover: exit %d\n%s", code, got)
			}
			mustSame(t, before, p.Capture())
			if got, code := p.Regen("sync"); code != 0 || !sameVersions(p.Applied(), s.mainVersions) {
				t.Fatalf("the sync after recover: exit %d\n%s", code, got)
			}
		})
	}
}

func cmdErr(cmd *exec.Cmd) error {
	if cmd.ProcessState == nil {
		return nil
	}
	if cmd.ProcessState.Success() {
		return nil
	}
	return &exec.ExitError{ProcessState: cmd.ProcessState}
}

// A phantom whose file is nowhere (generated, applied and deleted by hand,
// never seen by regen) stops the sync before anything changes, saying what
// and what to run; --skip-missing leaves it applied and syncs the rest.
func TestReliabilitySyncMissingPhantom(t *testing.T) {
	s := newSyncStory(t, regentest.SQLite)
	p := s.p
	// On feature, a second migration nobody committed, then deleted.
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", append(append([]string{}, baseAttrs...), "attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"), nil))
	p.Mix("ash.codegen", "add_views")
	p.Mix("ash.migrate")
	var lost string
	for _, u := range p.Untracked("priv/repo/migrations") {
		lost = u
	}
	for _, u := range append(p.Untracked("priv/resource_snapshots"), lost) {
		if err := os.Remove(filepath.Join(p.Root, filepath.FromSlash(u))); err != nil {
			t.Fatal(err)
		}
	}
	p.Git("checkout", "-q", "--", "lib")
	p.Git("checkout", "-q", "main")
	before := p.Capture()
	out, code := p.Regen("sync")
	if code != 6 || !strings.Contains(out, fmt.Sprint(versionOf(t, lost))) || !strings.Contains(out, "cannot be rolled back") || !strings.Contains(out, "Nothing was changed") || !strings.Contains(out, "--skip-missing") {
		t.Fatalf("sync with a missing phantom: exit %d, want 6 naming it, the state and --skip-missing\n%s", code, out)
	}
	if !strings.Contains(out, "nowhere: cannot be rolled back") {
		t.Fatalf("the plan does not say where the file is:\n%s", out)
	}
	mustSame(t, before, p.Capture())
	if _, err := os.Stat(filepath.Join(p.Root, ".git", "regen", "journal.json")); !os.IsNotExist(err) {
		t.Fatalf("a journal was left: %v", err)
	}
	out, code = p.Regen("sync", "--skip-missing")
	if code != 0 || !strings.Contains(out, "left applied") {
		t.Fatalf("sync --skip-missing: exit %d\n%s", code, out)
	}
	want := append(append([]int64{}, s.mainVersions...), versionOf(t, lost))
	if got := p.Applied(); !sameVersions(got, want) {
		t.Fatalf("applied %v, want main's and the missing one %v\n%s", got, want, out)
	}
	if strings.Contains(columns(t, p, "posts"), "subtitle") || !strings.Contains(columns(t, p, "posts"), "views") {
		t.Fatalf("posts has %s: want the found phantom rolled back, the missing one left", columns(t, p, "posts"))
	}
	s.wantRows(t)
}

func versionOf(t *testing.T, rel string) int64 {
	t.Helper()
	var v int64
	for _, c := range filepath.Base(rel) {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
	}
	if v == 0 {
		t.Fatalf("no version in %s", rel)
	}
	return v
}

// Tenants: a tenant phantom is rolled back in every schema that has it,
// from its file on the feature branch; back on feature, sync applies it to
// every tenant again (`ash.migrate --tenants`).
func TestReliabilitySyncTenants(t *testing.T) {
	p := regentest.NewProjectOf(t, regentest.Postgres)
	repo, _ := os.ReadFile(filepath.Join(p.Root, "lib/blog/repo.ex"))
	p.Write("lib/blog/repo.ex", strings.Replace(string(repo), "  def installed_extensions do",
		"  def all_tenants, do: [\"org_a\", \"org_b\"]\n\n  def installed_extensions do", 1))
	schemas := []string{"org_a", "org_b"}
	for _, s := range schemas {
		p.SQL(`CREATE SCHEMA ` + s)
	}
	p.Write("priv/repo/tenant_migrations/.gitkeep", "")
	commitAll(p, "tenants")
	tenantApplied := func() string {
		conn, _ := migrator.ParsePGConn(p.DB, os.Getenv)
		m, err := migrator.PGAppliedVersionsByPrefix(context.Background(), conn, "", schemas)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(len(m["org_a"]), len(m["org_b"]))
	}
	p.Git("checkout", "-qb", "feature")
	p.Write("lib/blog/note.ex", tenantNote(p))
	p.Mix("ash.codegen", "add_notes")
	p.Mix("ash.migrate", "--tenants")
	commitAll(p, "notes")
	p.SQL(`INSERT INTO org_a.notes (id, text) VALUES ('00000000-0000-0000-0000-000000000001', 'a')`,
		`INSERT INTO posts (id, title, body) VALUES ('00000000-0000-0000-0000-000000000002', 'Hello', 'b')`)
	onFeature := tenantApplied()
	p.Git("checkout", "-q", "main")
	before := files(p)
	out, code := p.Regen("sync")
	if code != 0 || !strings.Contains(out, "rolled back") || !strings.Contains(out, "org_a, org_b") {
		t.Fatalf("sync on main: exit %d\n%s", code, out)
	}
	if got := tenantApplied(); got != "0 0" {
		t.Fatalf("tenant versions after sync on main: %s, want none\n%s", got, out)
	}
	db, err := sql.Open("postgres", p.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var notes int
	if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema IN ('org_a', 'org_b') AND table_name = 'notes'`).Scan(&notes); err != nil || notes != 0 {
		t.Fatalf("the tenants' notes tables after sync on main: %d (%v)", notes, err)
	}
	if p.Count("posts") != 1 {
		t.Fatal("a row of the repo's tables was lost")
	}
	if after := files(p); after != before {
		t.Fatalf("the work tree changed:\n%s\nvs\n%s", before, after)
	}
	p.Git("checkout", "-q", "feature")
	out, code = p.Regen("sync")
	if code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("sync on feature: exit %d\n%s", code, out)
	}
	if got := tenantApplied(); got != onFeature {
		t.Fatalf("tenant versions after sync on feature: %s, want %s\n%s", got, onFeature, out)
	}
}

// PostgreSQL with another session connected (a dev server): no template
// copy, so a failed sync is put back by re-migration, which applies the
// phantom again from the file the sync recovered (it is in no folder of
// the project).
func TestReliabilitySyncPostgresRestoreByRemigration(t *testing.T) {
	s := newSyncStory(t, regentest.Postgres)
	p := s.p
	p.Git("checkout", "-q", "main")
	server, err := sql.Open("postgres", p.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if err := server.Ping(); err != nil {
		t.Fatal(err)
	}
	colsBefore := columns(t, p, "posts")
	cmd := p.RegenCmd("sync")
	cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=fail:after:verify")
	out, _ := cmd.CombinedOutput()
	if code := exitCode(cmdErr(cmd)); code != 1 || !strings.Contains(string(out), "re-migration") {
		t.Fatalf("a failed sync with a busy database: exit %d, want 1 (restored by re-migration)\n%s", code, out)
	}
	if got := p.Applied(); !sameVersions(got, s.featureVersions) {
		t.Fatalf("applied after the restore: %v, want %v\n%s", got, s.featureVersions, out)
	}
	if c := columns(t, p, "posts"); c != colsBefore {
		t.Fatalf("posts has %s after the restore, want %s", c, colsBefore)
	}
}

// A phantom that was never committed (generated, applied, deleted by hand)
// but that regen had seen applied: sync rolls it back from regen's store.
func TestReliabilitySyncPhantomFromStore(t *testing.T) {
	p := regentest.NewProject(t)
	mainVersions := p.Applied()
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", append(append([]string{}, baseAttrs...), "attribute :views, :integer, public?: true"), nil))
	p.Mix("ash.codegen", "add_views")
	p.Mix("ash.migrate")
	if out, code := p.Regen("status"); code != 0 {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	for _, u := range append(p.Untracked("priv/repo/migrations"), p.Untracked("priv/resource_snapshots")...) {
		if err := os.Remove(filepath.Join(p.Root, filepath.FromSlash(u))); err != nil {
			t.Fatal(err)
		}
	}
	p.Git("checkout", "-q", "--", "lib")
	p.SQL(`INSERT INTO posts (id, title, body, views) VALUES ('p1', 'Hello', 'b', 3)`)
	before := files(p)
	out, code := p.Regen("sync")
	if code != 0 || !strings.Contains(out, "regen's store") || !strings.Contains(out, "rolled back") {
		t.Fatalf("sync: exit %d\n%s", code, out)
	}
	if got := p.Applied(); !sameVersions(got, mainVersions) || strings.Contains(columns(t, p, "posts"), "views") {
		t.Fatalf("applied %v, posts %s", got, columns(t, p, "posts"))
	}
	if p.Count("posts") != 1 || files(p) != before {
		t.Fatalf("rows %d, or the work tree changed", p.Count("posts"))
	}
}

// syncBoth: on main after the switch, with the feature's phantom applied
// and a main migration not yet applied: a sync rolls back and migrates.
func syncBoth(t *testing.T, kind string) *syncStory {
	t.Helper()
	s := newSyncStory(t, kind)
	p := s.p
	p.Git("checkout", "-q", "main")
	p.Write("lib/blog/comment.ex", p.Resource("Comment", "comments", []string{"attribute :body, :string, allow_nil?: false, public?: true", "attribute :rating, :integer, public?: true"}, []string{"belongs_to :post, Blog.Post, allow_nil?: false"}))
	p.Mix("ash.codegen", "add_rating")
	commitAll(p, "rating")
	return s
}

// The crash matrix of a sync: killed (SIGKILL) right before and right after
// each step its dry run names, then `regen recover` gives back the exact
// state from before the sync, or finishes a sync that had verified all.
func TestReliabilitySyncCrashAtEveryStep(t *testing.T) {
	for _, kind := range regentest.Kinds {
		s := syncBoth(t, kind)
		dry, code := s.p.Regen("sync", "--dry-run")
		const lead = "A sync takes the steps "
		i := strings.Index(dry, lead)
		if code != 0 || i < 0 {
			t.Fatalf("dry run: exit %d\n%s", code, dry)
		}
		line, _, _ := strings.Cut(dry[i+len(lead):], "\n")
		steps := strings.Split(strings.TrimSuffix(line, "."), " → ")
		if len(steps) < 4 || steps[0] != "backup" || steps[len(steps)-1] != "commit" {
			t.Fatalf("step list %q", line)
		}
		for _, when := range []string{"before", "after"} {
			for _, step := range steps {
				if when == "after" && step == "commit" {
					continue
				}
				t.Run(kind+"/"+when+"-"+step, func(t *testing.T) {
					s := syncBoth(t, kind)
					p := s.p
					crashThenRecover(t, p, "kill:"+when+":"+step, step == "commit", []string{"sync"}, []string{"sync"})
					if got, code := p.Regen("sync"); code != 0 || !strings.Contains(got, "rolled back") || !strings.Contains(got, "applied 1 migration") {
						t.Fatalf("the next sync: exit %d\n%s", code, got)
					}
				})
			}
		}
	}
}
