package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// blockLines returns the lines of the `create table(:name ...` block.
func blockLines(t *testing.T, src, head string) []string {
	t.Helper()
	ls := lines(src)
	for i, l := range ls {
		if strings.TrimSpace(l) == head {
			for j := i + 1; j < len(ls); j++ {
				if ls[j] == "    end" {
					return ls[i : j+1]
				}
			}
		}
	}
	t.Fatalf("block %q not found in:\n%s", head, src)
	return nil
}

func TestCodegenFromNothingMatchesFixtures(t *testing.T) {
	fx := fixturesDir(t)
	dir := fixtureProject(t, "post.ex", "tag.ex", "comment.ex")
	r := mustOK(t, mixsim(t, dir, nil, "ash.codegen", "initial_blog"))

	migs := listRel(t, dir, "priv/repo/migrations")
	if len(migs) != 1 || !regexp.MustCompile(`^priv/repo/migrations/\d{14}_initial_blog\.exs$`).MatchString(migs[0]) {
		t.Fatalf("migrations: %v", migs)
	}
	v := strings.TrimPrefix(migs[0], "priv/repo/migrations/")[:14]
	for _, want := range []string{
		"==> exqlite\n==> app_sqlite\nCompiling 3 files (.ex)\nGenerated app_sqlite app\nGetting extensions in current project...\nRunning codegen for AshSqlite.DataLayer...\n",
		"* creating _build/dev/lib/app_sqlite/" + migs[0] + "\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	snaps := listRel(t, dir, "priv/resource_snapshots")
	if len(snaps) != 3 {
		t.Fatalf("snapshots: %v", snaps)
	}
	// Snapshots get T+1, T+2, T+3 in table order.
	for i, table := range []string{"comments", "posts", "tags"} {
		want, _ := strconv.ParseInt(v, 10, 64)
		name := filepath.Base(snaps[i])
		if !strings.HasPrefix(snaps[i], "priv/resource_snapshots/repo/"+table+"/") || name != strconv.FormatInt(want+int64(i)+1, 10)+".json" {
			t.Errorf("snapshot %d = %s (migration %s)", i, snaps[i], v)
		}
	}

	// tags snapshot: every field as the fixture, except the opaque hash.
	var got, want map[string]any
	json.Unmarshal([]byte(readFile(t, filepath.Join(dir, snaps[2]))), &got)
	json.Unmarshal([]byte(readFile(t, filepath.Join(fx, "ash_sqlite/priv/resource_snapshots/repo/tags/20261122000125.json"))), &want)
	if h, _ := got["hash"].(string); !regexp.MustCompile(`^[0-9A-F]{64}$`).MatchString(h) {
		t.Errorf("hash %q is not uppercase hex sha256", h)
	}
	delete(got, "hash")
	delete(want, "hash")
	if len(got) != len(want) {
		t.Errorf("keys differ: %v vs %v", got, want)
	}
	for k := range want {
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Errorf("field %s: got %v want %v", k, got[k], want[k])
		}
	}
	// Byte layout (2-space indent, key order, no trailing newline) too.
	wantText := readFile(t, filepath.Join(fx, "ash_sqlite/priv/resource_snapshots/repo/tags/20261122000125.json"))
	gotText := readFile(t, filepath.Join(dir, snaps[2]))
	hashRe := regexp.MustCompile(`"hash": "[0-9A-F]+"`)
	if hashRe.ReplaceAllString(gotText, "H") != hashRe.ReplaceAllString(wantText, "H") {
		t.Errorf("tags snapshot text differs:\n%s", gotText)
	}

	// Migration text: the comments and tags blocks and the tags raise are
	// exactly the real generator's.
	mig := readFile(t, filepath.Join(dir, migs[0]))
	initial := readFile(t, filepath.Join(fx, "ash_sqlite/priv/repo/migrations/20261121234823_initial_blog.exs"))
	feature := readFile(t, filepath.Join(fx, "ash_sqlite/priv/repo/migrations/20261122000123_add_subtitle_and_tags.exs"))
	if g, w := blockLines(t, mig, "create table(:comments, primary_key: false) do"), blockLines(t, initial, "create table(:comments, primary_key: false) do"); !reflect.DeepEqual(g, w) {
		t.Errorf("comments block:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	if g, w := blockLines(t, mig, "create table(:tags, primary_key: false) do"), blockLines(t, feature, "create table(:tags, primary_key: false) do"); !reflect.DeepEqual(g, w) {
		t.Errorf("tags block:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	raise := feature[strings.Index(feature, "    raise"):strings.Index(feature, "    drop table(:tags)")]
	if !strings.Contains(mig, raise+"    drop table(:tags)") {
		t.Errorf("tags raise text missing:\n%s", mig)
	}
	// Header and footer as the real file; posts created before its referrers.
	if !strings.HasPrefix(mig, "defmodule AppSqlite.Repo.Migrations.InitialBlog do\n"+initial[strings.Index(initial, "  @moduledoc"):strings.Index(initial, "  def up do")]) {
		t.Errorf("header differs:\n%s", mig)
	}
	if !strings.HasSuffix(mig, "    drop table(:posts)\n  end\nend") {
		t.Errorf("footer differs")
	}
	if !(strings.Index(mig, "create table(:posts") < strings.Index(mig, "create table(:comments")) {
		t.Errorf("posts must be created first")
	}
	if !strings.Contains(mig, "      add :views, :bigint, default: 0\n") {
		t.Errorf("default not rendered")
	}
}

func TestNoChangesAndNameRequired(t *testing.T) {
	dir := fixtureProject(t, "post.ex", "comment.ex")
	// Pending changes and no name: error, nothing written.
	r := mixsim(t, dir, nil, "ash.codegen")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "** (RuntimeError) Name must be provided when generating migrations") {
		t.Fatalf("want name error, got %d %q", r.code, r.stderr)
	}
	if f := listRel(t, dir, "priv"); len(f) != 0 {
		t.Fatalf("files written: %v", f)
	}
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "--name", "first"))
	before := listRel(t, dir, "priv")
	for _, args := range [][]string{{"ash.codegen", "again"}, {"ash.codegen"}, {"ash_sqlite.generate_migrations", "x"}} {
		r = mustOK(t, mixsim(t, dir, nil, args...))
		if !strings.HasSuffix(r.stdout, "No changes detected, so no migrations or snapshots have been created.\n") {
			t.Errorf("%v: %q", args, r.stdout)
		}
	}
	if after := listRel(t, dir, "priv"); !reflect.DeepEqual(before, after) {
		t.Errorf("files changed: %v -> %v", before, after)
	}
}

func TestCheckBothWays(t *testing.T) {
	dir := fixtureProject(t, "post.ex", "comment.ex", "tag.ex")
	r := mixsim(t, dir, nil, "ash.codegen", "--check")
	if r.code != 1 {
		t.Fatalf("stale check exit %d", r.code)
	}
	if !strings.HasSuffix(r.stdout, "Getting extensions in current project...\nRunning codegen for AshSqlite.DataLayer...\n") {
		t.Errorf("stdout %q", r.stdout)
	}
	if r.stderr != "** (Mix) Pending Code Generation Detected for 4 files\n\n\nRun with --dry-run to view pending changes\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	if f := listRel(t, dir, "priv"); len(f) != 0 {
		t.Fatalf("--check wrote %v", f)
	}
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "x"))
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "--check"))

	// One new attribute: 1 migration + 1 snapshot.
	post := filepath.Join(dir, "lib/app_sqlite/blog/post.ex")
	write(t, dir, "lib/app_sqlite/blog/post.ex", strings.Replace(readFile(t, post), "    create_timestamp :inserted_at", "    attribute :summary, :string, public?: true\n    create_timestamp :inserted_at", 1))
	r = mixsim(t, dir, nil, "ash.codegen", "--check")
	if r.code != 1 || !strings.Contains(r.stderr, "Detected for 2 files") {
		t.Errorf("after edit: %d %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Compiling 1 file (.ex)") {
		t.Errorf("recompile not reported: %q", r.stdout)
	}
}

func TestAlterAndDryRun(t *testing.T) {
	dir := fixtureProject(t, "post.ex", "comment.ex")
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "init"))
	post := filepath.Join(dir, "lib/app_sqlite/blog/post.ex")
	write(t, dir, "lib/app_sqlite/blog/post.ex", strings.Replace(readFile(t, post), "    attribute :subtitle, :string, public?: true\n", "", 1))
	before := listRel(t, dir, "priv")
	r := mustOK(t, mixsim(t, dir, nil, "ash.codegen", "--dry-run"))
	if after := listRel(t, dir, "priv"); !reflect.DeepEqual(before, after) {
		t.Fatalf("dry run wrote files")
	}
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(dir) + `/_build/dev/lib/app_sqlite/priv/repo/migrations/\d{14}_migrate_resources1\.exs$`).MatchString(r.stdout) {
		t.Errorf("dry-run path missing:\n%s", r.stdout)
	}
	for _, want := range []string{
		"  def up do\n    alter table(:posts) do\n      remove :subtitle\n    end\n  end",
		"  def down do\n    alter table(:posts) do\n      add :subtitle, :text\n    end\n  end",
		`"table": "posts"`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry-run lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestDroppedResourceRemovesSnapshotFolder(t *testing.T) {
	dir := fixtureProject(t, "post.ex", "comment.ex", "tag.ex")
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "init"))
	os.Remove(filepath.Join(dir, "lib/app_sqlite/blog/tag.ex"))
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "drop_tags"))
	if _, err := os.Stat(filepath.Join(dir, "priv/resource_snapshots/repo/tags")); !os.IsNotExist(err) {
		t.Errorf("tags snapshot folder kept: %v", err)
	}
	var mig string
	for _, f := range listRel(t, dir, "priv/repo/migrations") {
		if strings.HasSuffix(f, "_drop_tags.exs") {
			mig = readFile(t, filepath.Join(dir, f))
		}
	}
	if !strings.Contains(mig, "  def up do\n    drop table(:tags)\n  end") || !strings.Contains(mig, "create table(:tags, primary_key: false) do") {
		t.Errorf("drop migration:\n%s", mig)
	}
	r := mustOK(t, mixsim(t, dir, nil, "ash.codegen", "again"))
	if !strings.Contains(r.stdout, "No changes detected") {
		t.Errorf("second run: %s", r.stdout)
	}
}

func TestCompileErrors(t *testing.T) {
	fx := fixturesDir(t)
	post := readFile(t, filepath.Join(fx, "ash_sqlite/post.ex"))
	cases := map[string]string{
		"marker":     strings.Replace(post, "  relationships do", "  # mixsim: compile_error\n  relationships do", 1),
		"unbalanced": strings.Replace(post, "  end\n\n  relationships do", "\n  relationships do", 1),
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			dir := newProject(t, map[string]string{"post.ex": src})
			for _, task := range []string{"ash.codegen", "ash.migrate", "compile"} {
				r := mixsim(t, dir, nil, task, "x")
				if task == "compile" || task == "ash.migrate" {
					r = mixsim(t, dir, nil, task)
				}
				if r.code != 1 {
					t.Fatalf("%s: exit %d", task, r.code)
				}
				if !strings.HasPrefix(r.stderr, "== Compilation error in file lib/app_sqlite/blog/post.ex ==\n** (CompileError) lib/app_sqlite/blog/post.ex:") {
					t.Errorf("%s stderr %q", task, r.stderr)
				}
				if strings.Contains(r.stdout, "Generated app_sqlite app") {
					t.Errorf("%s claims success: %s", task, r.stdout)
				}
			}
			if f := listRel(t, dir, "priv"); len(f) != 0 {
				t.Errorf("files written: %v", f)
			}
			if _, err := os.Stat(filepath.Join(dir, "app_sqlite_dev.db")); err == nil {
				t.Errorf("database touched")
			}
			// rollback does not compile lib/.
			if r := mixsim(t, dir, nil, "ash_sqlite.rollback"); r.code != 0 {
				t.Errorf("rollback compiled: %d %s", r.code, r.stderr)
			}
		})
	}
	if got := (&compileError{"lib/a.ex", 3, "m"}).Error(); !strings.Contains(got, "lib/a.ex:3: m") {
		t.Error(got)
	}
}

func TestCompileOnlyOnce(t *testing.T) {
	dir := fixtureProject(t, "post.ex", "comment.ex")
	r := mustOK(t, mixsim(t, dir, nil, "compile"))
	if r.stdout != "==> exqlite\n==> app_sqlite\nCompiling 2 files (.ex)\nGenerated app_sqlite app\n" {
		t.Errorf("first compile %q", r.stdout)
	}
	r = mustOK(t, mixsim(t, dir, nil, "compile"))
	if r.stdout != "==> exqlite\n==> app_sqlite\n" {
		t.Errorf("second compile %q", r.stdout)
	}
}

func TestDevWorkflow(t *testing.T) {
	dir := fixtureProject(t, "post.ex", "comment.ex")
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "init"))
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	post := filepath.Join(dir, "lib/app_sqlite/blog/post.ex")
	edit := func(after, add string) {
		write(t, dir, "lib/app_sqlite/blog/post.ex", strings.Replace(readFile(t, post), after, after+add, 1))
	}
	edit("    attribute :body, :string, public?: true\n", "    attribute :summary, :string, public?: true\n")
	r := mustOK(t, mixsim(t, dir, nil, "ash.codegen", "--dev"))
	if !regexp.MustCompile(`\* creating _build/dev/lib/app_sqlite/priv/repo/migrations/\d{14}_migrate_resources1_dev\.exs\n\* creating _build/dev/lib/app_sqlite/priv/resource_snapshots/repo/posts/\d{14}_dev\.json\n`).MatchString(r.stdout) {
		t.Fatalf("dev 1: %s", r.stdout)
	}
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	edit("    attribute :body, :string, public?: true\n", "    attribute :rating, :integer, public?: true\n")
	r = mustOK(t, mixsim(t, dir, nil, "ash.codegen", "--dev"))
	if !strings.Contains(r.stdout, "_migrate_resources2_dev.exs") {
		t.Fatalf("dev 2: %s", r.stdout)
	}
	// The second dev migration diffs against the first dev snapshot.
	for _, f := range listRel(t, dir, "priv/repo/migrations") {
		if strings.HasSuffix(f, "resources2_dev.exs") {
			m := readFile(t, filepath.Join(dir, f))
			if strings.Contains(m, "summary") || !strings.Contains(m, "add :rating, :bigint") || !strings.Contains(m, "Migrations.MigrateResources2 do") {
				t.Errorf("dev 2 migration:\n%s", m)
			}
		}
	}
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	if v := versions(t, dir); len(v) != 3 {
		t.Fatalf("versions %v", v)
	}
	r = mustOK(t, mixsim(t, dir, nil, "ash.codegen", "add_summary_and_rating"))
	if !strings.Contains(r.stdout, "begin []") || !strings.Contains(r.stdout, "MigrateResources2.down/0") || !strings.Contains(r.stdout, "commit []") {
		t.Errorf("finalize output:\n%s", r.stdout)
	}
	if strings.Index(r.stdout, "MigrateResources2.down/0") > strings.Index(r.stdout, "MigrateResources1.down/0") {
		t.Errorf("dev rollback not newest first")
	}
	for _, f := range listRel(t, dir, "priv") {
		if strings.Contains(f, "_dev") {
			t.Errorf("dev file left: %s", f)
		}
	}
	if v := versions(t, dir); len(v) != 1 {
		t.Errorf("dev versions not rolled back / new one applied: %v", v)
	}
	if c := columns(t, dir, "posts"); contains(c, "summary") || contains(c, "rating") {
		t.Errorf("columns %v", c)
	}
	migs := listRel(t, dir, "priv/repo/migrations")
	if len(migs) != 2 || !strings.HasSuffix(migs[1], "_add_summary_and_rating.exs") {
		t.Fatalf("migrations %v", migs)
	}
	m := readFile(t, filepath.Join(dir, migs[1]))
	if !strings.Contains(m, "add :summary, :text") || !strings.Contains(m, "add :rating, :bigint") {
		t.Errorf("final migration:\n%s", m)
	}
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "--check"))
}

func TestDevFinalizeWithFKDownFails(t *testing.T) {
	dir := fixtureProject(t, "post.ex", "comment.ex")
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "init"))
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	write(t, dir, "lib/app_sqlite/blog/tag.ex", readFile(t, filepath.Join(fixturesDir(t), "ash_sqlite/tag.ex")))
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "--dev"))
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	before := listRel(t, dir, "priv")
	r := mixsim(t, dir, nil, "ash.codegen", "add_tags")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "** (RuntimeError) SQLite does not support dropping foreign key constraints.") {
		t.Fatalf("want raise, got %d %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "rollback []") {
		t.Errorf("stdout %s", r.stdout)
	}
	if after := listRel(t, dir, "priv"); !reflect.DeepEqual(before, after) {
		t.Errorf("files changed: %v -> %v", before, after)
	}
	if v := versions(t, dir); len(v) != 2 {
		t.Errorf("dev migration should stay applied: %v", v)
	}
}
