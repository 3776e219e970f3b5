package main

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func fixturesDir(t *testing.T) string {
	t.Helper()
	// REGEN_TEST_FIXTURES, else the repository's copy of shared/fixtures
	// (snapshots/testdata/ash-fixtures). Under CI=true a missing fixture
	// fails, as a missing PostgreSQL does.
	d := os.Getenv("REGEN_TEST_FIXTURES")
	if d == "" {
		d = filepath.Join("..", "..", "snapshots", "testdata", "ash-fixtures")
	}
	if _, err := os.Stat(filepath.Join(d, "ash_sqlite", "post.ex")); err != nil {
		stop := t.Skipf
		if os.Getenv("CI") == "true" {
			stop = t.Fatalf
		}
		stop("fixtures not found at %s (set REGEN_TEST_FIXTURES): %v", d, err)
	}
	return d
}

type result struct {
	stdout, stderr string
	code           int
}

// mixsim runs the real task logic in dir with the given environment.
func mixsim(t *testing.T, dir string, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := runIn(dir, getenv, args, &out, &errb)
	return result{out.String(), errb.String(), code}
}

func mustOK(t *testing.T, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

const testMixExs = `defmodule AppSqlite.MixProject do
  use Mix.Project

  def project do
    [
      app: :app_sqlite,
      version: "0.1.0"
    ]
  end
end
`

// newProject makes an Ash-like project with the fixture config layout.
func newProject(t *testing.T, resources map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, "mix.exs", testMixExs)
	write(t, dir, "config/config.exs", "import Config\n\nconfig :app_sqlite,\n  ecto_repos: [AppSqlite.Repo],\n  ash_domains: [AppSqlite.Blog]\n\nimport_config \"#{config_env()}.exs\"\n")
	write(t, dir, "config/dev.exs", "import Config\n\nconfig :app_sqlite, AppSqlite.Repo,\n  database: Path.expand(\"../app_sqlite_dev.db\", __DIR__),\n  pool_size: 5\n")
	for name, src := range resources {
		write(t, dir, filepath.Join("lib/app_sqlite/blog", name), src)
	}
	return dir
}

// fixtureProject uses the real fixture resources post.ex, tag.ex, comment.ex.
func fixtureProject(t *testing.T, names ...string) string {
	t.Helper()
	fx := fixturesDir(t)
	res := map[string]string{}
	for _, n := range names {
		res[n] = readFile(t, filepath.Join(fx, "ash_sqlite", n))
	}
	return newProject(t, res)
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// listRel lists files under dir/rel (recursively), relative to dir.
func listRel(t *testing.T, dir, rel string) []string {
	t.Helper()
	var out []string
	filepath.Walk(filepath.Join(dir, rel), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			r, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(r))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func openDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "app_sqlite_dev.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// queryColumn runs a one-column query and collects its values.
func queryColumn[T any](t *testing.T, db *sql.DB, q string, args ...any) []T {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	return scanColumn[T](t, rows)
}

// scanColumn collects (and closes) a one-column result.
func scanColumn[T any](t *testing.T, rows *sql.Rows) []T {
	t.Helper()
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func versions(t *testing.T, dir string) []int64 {
	t.Helper()
	return queryColumn[int64](t, openDB(t, dir), `SELECT version FROM schema_migrations ORDER BY version`)
}

func columns(t *testing.T, dir, table string) []string {
	t.Helper()
	return queryColumn[string](t, openDB(t, dir), `SELECT name FROM pragma_table_info(?) ORDER BY name`, table)
}

func tableSQL(t *testing.T, dir, table string) string {
	t.Helper()
	var s string
	err := openDB(t, dir).QueryRow(`SELECT sql FROM sqlite_master WHERE type='table' AND name=?`, table).Scan(&s)
	if err == sql.ErrNoRows {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// migrationFile writes a hand-made migration.
func migrationFile(t *testing.T, dir, version, name, module, body string) string {
	t.Helper()
	rel := filepath.Join("priv/repo/migrations", version+"_"+name+".exs")
	write(t, dir, rel, "defmodule AppSqlite.Repo.Migrations."+module+" do\n  use Ecto.Migration\n\n"+body+"\nend\n")
	return filepath.Join(dir, rel)
}

const postsTable = `  def up do
    create table(:posts, primary_key: false) do
      add :title, :text, null: false
      add :id, :uuid, null: false, primary_key: true
    end
  end

  def down do
    drop table(:posts)
  end`

func addColumn(col string) string {
	return `  def up do
    alter table(:posts) do
      add :` + col + `, :text
    end
  end

  def down do
    alter table(:posts) do
      remove :` + col + `
    end
  end`
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func lines(s string) []string { return strings.Split(s, "\n") }
