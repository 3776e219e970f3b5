// Package regentest builds real projects for the end-to-end tests: a git
// repository in a temp dir, an Ash + AshSqlite project layout, the mixsim
// stand-in as its mix, a real SQLite database. Only tests import it.
package regentest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/migrator"

	_ "github.com/lib/pq"
	_ "modernc.org/sqlite" // the test data goes in through the same driver
)

// ModuleRoot is the repository root (where go.mod is).
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// Mixsim is the path of the built stand-in (REGEN_TEST_MIXSIM may name a
// prebuilt one).
func Mixsim(t testing.TB) string {
	if p := os.Getenv("REGEN_TEST_MIXSIM"); p != "" {
		return p
	}
	return filepath.Join(Binaries(t), "mixsim")
}

// Regen is the path of the built regen binary.
func Regen(t testing.TB) string { return filepath.Join(Binaries(t), "regen") }

// Kinds of project the tests run on.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Kinds lists the kinds to parametrise a test over.
var Kinds = []string{SQLite, Postgres}

// Project is a throwaway Ash project (AshSqlite or AshPostgres) in its own
// git repository.
type Project struct {
	T    testing.TB
	Kind string
	Root string
	DB   string   // SQLite: the file; PostgreSQL: the connection URL (test server)
	Env  []string // MIXSIM_* and the like, for mix runs and regen runs
	home string
	pg   migrator.PGConn
}

// MixExs and ConfigExs are the baseline AshSqlite project's mix.exs and
// config (scripts/benchtool builds its scenarios from them too).
const MixExs = `defmodule Blog.MixProject do
  use Mix.Project

  def project do
    [app: :blog, version: "0.1.0", elixir: "~> 1.15", deps: deps()]
  end

  defp deps do
    [{:ash, "~> 3.0"}, {:ash_sqlite, "~> 0.2"}]
  end
end
`

const ConfigExs = `import Config

config :blog, ecto_repos: [Blog.Repo]
config :blog, ash_domains: [Blog.Domain]

config :blog, Blog.Repo,
  database: Path.expand("../blog_dev.db", __DIR__),
  pool_size: 5
`

// Resource renders an AshSqlite resource module with the given attribute
// lines (e.g. `attribute :title, :string, allow_nil?: false`) and
// relationships.
func Resource(module, table string, attributes []string, relationships []string) string {
	return resource(SQLite, module, table, attributes, relationships)
}

// Resource renders a resource for the project's data layer.
func (p *Project) Resource(module, table string, attributes []string, relationships []string) string {
	return resource(p.Kind, module, table, attributes, relationships)
}

func resource(kind, module, table string, attributes []string, relationships []string) string {
	layer, block := "AshSqlite.DataLayer", "sqlite"
	if kind == Postgres {
		layer, block = "AshPostgres.DataLayer", "postgres"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "defmodule Blog.%s do\n  use Ash.Resource,\n    domain: Blog.Domain,\n    data_layer: %s\n\n", module, layer)
	fmt.Fprintf(&b, "  %s do\n    table \"%s\"\n    repo Blog.Repo\n  end\n\n", block, table)
	b.WriteString("  attributes do\n    uuid_primary_key :id\n")
	for _, a := range attributes {
		b.WriteString("    " + a + "\n")
	}
	b.WriteString("  end\n")
	if len(relationships) > 0 {
		b.WriteString("\n  relationships do\n")
		for _, r := range relationships {
			b.WriteString("    " + r + "\n")
		}
		b.WriteString("  end\n")
	}
	b.WriteString("end\n")
	return b.String()
}

// NewProject creates the project with a committed baseline: posts and
// comments resources, their initial migration generated, applied and
// committed.
func NewProject(t testing.TB) *Project { return NewProjectOf(t, SQLite) }

// NewProjectOf creates the baseline project of the given kind. A
// PostgreSQL project gets a database of its own on the test server
// (REGEN_TEST_PG_URL), dropped at cleanup; without a server the test is
// skipped with the reason, and fails under CI=true.
func NewProjectOf(t testing.TB, kind string) *Project {
	t.Helper()
	root := t.TempDir()
	root, _ = filepath.EvalSymlinks(root)
	home := t.TempDir()
	p := &Project{T: t, Kind: kind, Root: root, DB: filepath.Join(root, "blog_dev.db"), home: home}
	p.Write(".gitignore", "/_build/\n/deps/\n*.db\n*.db-*\n")
	if kind == Postgres {
		p.setupPostgres()
	} else {
		p.Write("mix.exs", MixExs)
		p.Write("config/config.exs", ConfigExs)
	}
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true"}, nil))
	p.Write("lib/blog/comment.ex", p.Resource("Comment", "comments", []string{"attribute :body, :string, allow_nil?: false, public?: true"}, []string{"belongs_to :post, Blog.Post, allow_nil?: false"}))
	p.Git("init", "-q", "-b", "main")
	p.Mix("ash.codegen", "initial_blog")
	p.Mix("ash.migrate")
	p.Git("add", "-A")
	p.Git("commit", "-q", "-m", "baseline")
	return p
}

// Write writes a project file.
func (p *Project) Write(rel, content string) {
	p.T.Helper()
	path := filepath.Join(p.Root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.T.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.T.Fatal(err)
	}
}

// GitEnv keeps the developer's git config out of the tests.
func (p *Project) GitEnv() []string {
	return []string{
		"HOME=" + p.home, "XDG_CONFIG_HOME=" + filepath.Join(p.home, ".config"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
	}
}

// Git runs the git CLI in the project.
func (p *Project) Git(args ...string) string {
	p.T.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = p.Root
	cmd.Env = append(os.Environ(), p.GitEnv()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.T.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Mix runs the stand-in like a developer would, and fails the test on a
// non-zero exit.
func (p *Project) Mix(args ...string) string {
	p.T.Helper()
	out, code := p.MixCode(args...)
	if code != 0 {
		p.T.Fatalf("mixsim %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// MixCode runs the stand-in and returns its output and exit code.
func (p *Project) MixCode(args ...string) (string, int) {
	p.T.Helper()
	cmd := exec.Command(Mixsim(p.T), args...)
	cmd.Dir = p.Root
	cmd.Env = append(os.Environ(), p.Env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		p.T.Fatal(err)
	}
	return string(out), 0
}

// Getenv is the environment the engine sees: the process's, plus REGEN_MIX
// pointing at the stand-in and the project's extra variables.
func (p *Project) Getenv(key string) string {
	for i := len(p.Env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(p.Env[i], "="); ok && k == key {
			return v
		}
	}
	for _, kv := range p.GitEnv() {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	if key == "REGEN_MIX" {
		return Mixsim(p.T)
	}
	return os.Getenv(key)
}

// RegenCmd builds an exec.Cmd running the real regen binary in the project.
func (p *Project) RegenCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(Regen(p.T), args...)
	cmd.Dir = p.Root
	cmd.Env = append(append(append(os.Environ(), p.GitEnv()...), "REGEN_MIX="+Mixsim(p.T), "NO_COLOR=1"), p.Env...)
	return cmd
}

// Regen runs the regen binary and returns combined output and exit code.
func (p *Project) Regen(args ...string) (string, int) {
	p.T.Helper()
	var out bytes.Buffer
	cmd := p.RegenCmd(args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		p.T.Fatal(err)
	}
	return out.String(), 0
}

// State is everything "nothing was lost" is checked against.
type State struct {
	Files     map[string]string // path under priv/ and lib/ -> sha256 (symlinks: "link:"+target)
	Untracked string            // git ls-files --others --exclude-standard
	Applied   []migrator.Version
	Tables    map[string]string // table -> digest of schema and rows
	DBSHA     string            // the database's pages (migrator.SQLitePageDigest)
}

// Capture records the project's state.
func (p *Project) Capture() State {
	p.T.Helper()
	st := State{Files: map[string]string{}}
	for _, dir := range []string{"priv", "lib"} {
		base := filepath.Join(p.Root, dir)
		filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(p.Root, path)
			if d.Type()&fs.ModeSymlink != 0 {
				target, _ := os.Readlink(path)
				st.Files[filepath.ToSlash(rel)] = "link:" + target
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				p.T.Fatal(err)
			}
			sum := sha256.Sum256(data)
			fi, _ := os.Lstat(path)
			st.Files[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:]) + fmt.Sprintf(" %o", fi.Mode().Perm())
			return nil
		})
	}
	st.Untracked = p.Git("ls-files", "--others", "--exclude-standard")
	ctx := context.Background()
	var err error
	if p.Kind == Postgres {
		if st.Applied, err = migrator.PGAppliedVersions(ctx, p.pg, "", ""); err != nil {
			p.T.Fatal(err)
		}
		if st.Tables, err = migrator.PGTableDigests(ctx, p.pg, "public"); err != nil {
			p.T.Fatal(err)
		}
		return st
	}
	// An unreadable database (a bad-input test) is recorded, not fatal: its
	// bytes below still show whether anything touched it.
	if st.Applied, err = migrator.SQLiteAppliedVersions(ctx, p.DB, ""); err != nil {
		st.Tables = map[string]string{"<unreadable>": err.Error()}
	} else if st.Tables, err = migrator.SQLiteTableDigests(ctx, p.DB); err != nil {
		p.T.Fatal(err)
	}
	// Every page's bytes as SQLite reads them (the -wal included), header
	// counters aside: a restore into the live database through SQLite must
	// bump those so other connections notice. An unreadable file: its bytes.
	if st.DBSHA, err = migrator.SQLitePageDigest(ctx, p.DB); err != nil {
		data, err := os.ReadFile(p.DB)
		if err != nil {
			p.T.Fatal(err)
		}
		sum := sha256.Sum256(data)
		st.DBSHA = hex.EncodeToString(sum[:])
	}
	return st
}

// Diff lists every difference between two states ("" when identical).
func (a State) Diff(b State) string {
	var out []string
	keys := map[string]bool{}
	for k := range a.Files {
		keys[k] = true
	}
	for k := range b.Files {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if a.Files[k] != b.Files[k] {
			out = append(out, fmt.Sprintf("file %s: %q vs %q", k, a.Files[k], b.Files[k]))
		}
	}
	if a.Untracked != b.Untracked {
		out = append(out, fmt.Sprintf("untracked: %q vs %q", a.Untracked, b.Untracked))
	}
	if fmt.Sprint(a.Applied) != fmt.Sprint(b.Applied) {
		out = append(out, fmt.Sprintf("schema_migrations: %v vs %v", a.Applied, b.Applied))
	}
	for t, d := range a.Tables {
		if b.Tables[t] != d {
			out = append(out, "table "+t+" differs")
		}
	}
	for t := range b.Tables {
		if _, ok := a.Tables[t]; !ok {
			out = append(out, "table "+t+" is new")
		}
	}
	if a.DBSHA != b.DBSHA {
		out = append(out, "database pages differ")
	}
	return strings.Join(out, "\n")
}

// Untracked lists untracked files under a folder, as git says.
func (p *Project) Untracked(folder string) []string {
	out := strings.TrimSpace(p.Git("ls-files", "--others", "--exclude-standard", "--", folder))
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// Migrations lists the migration files in priv/repo/migrations.
func (p *Project) Migrations() []string {
	entries, _ := os.ReadDir(filepath.Join(p.Root, "priv", "repo", "migrations"))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// SQL runs statements on the project database (test data), through the
// same pure-Go SQLite the tools use, so no sqlite3 CLI is needed.
func (p *Project) SQL(stmts ...string) {
	p.T.Helper()
	driver, dsn := "sqlite", "file:"+p.DB+"?_pragma=busy_timeout(5000)"
	if p.Kind == Postgres {
		driver, dsn = "postgres", p.DB
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		p.T.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			p.T.Fatalf("sql %q: %v", s, err)
		}
	}
}

// Applied lists the applied versions.
func (p *Project) Applied() []int64 {
	p.T.Helper()
	ctx := context.Background()
	var vs []migrator.Version
	var err error
	if p.Kind == Postgres {
		vs, err = migrator.PGAppliedVersions(ctx, p.pg, "", "")
	} else {
		vs, err = migrator.SQLiteAppliedVersions(ctx, p.DB, "")
	}
	if err != nil {
		p.T.Fatal(err)
	}
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

// Count is a table's row count.
func (p *Project) Count(table string) int64 {
	p.T.Helper()
	driver, dsn := "sqlite", "file:"+p.DB+"?mode=ro"
	if p.Kind == Postgres {
		driver, dsn = "postgres", p.DB
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		p.T.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM "` + table + `"`).Scan(&n); err != nil {
		p.T.Fatal(err)
	}
	return n
}

const pgMixExs = `defmodule Blog.MixProject do
  use Mix.Project

  def project do
    [app: :blog, version: "0.1.0", elixir: "~> 1.15", deps: deps()]
  end

  defp deps do
    [{:ash, "~> 3.0"}, {:ash_postgres, "~> 2.0"}]
  end
end
`

const pgRepoEx = `defmodule Blog.Repo do
  use AshPostgres.Repo, otp_app: :blog

  def installed_extensions do
    ["ash-functions"]
  end
end
`

// PGTestURL is the test server's URL: skipped locally without one, fatal
// under CI=true.
func PGTestURL(t testing.TB) string {
	t.Helper()
	stop := t.Skip
	if os.Getenv("CI") == "true" {
		stop = t.Fatal
	}
	raw := os.Getenv("REGEN_TEST_PG_URL")
	if raw == "" {
		stop("PostgreSQL not available: set REGEN_TEST_PG_URL (scripts/pg-test-server prints one)")
		return ""
	}
	db, err := sql.Open("postgres", raw)
	if err == nil {
		err = db.Ping()
		db.Close()
	}
	if err != nil {
		stop("PostgreSQL not reachable at REGEN_TEST_PG_URL (" + err.Error() + "); scripts/pg-test-server starts one")
		return ""
	}
	return raw
}

// setupPostgres writes the AshPostgres app files and creates its database.
func (p *Project) setupPostgres() {
	t := p.T
	raw := PGTestURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("regen_test_%d_%d", os.Getpid(), time.Now().UnixNano()%1e12)
	admin, err := sql.Open("postgres", raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE DATABASE "` + name + `"`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`)
		// regen's own template backups of this database.
		rows, err := admin.Query(`SELECT datname FROM pg_database WHERE datname LIKE 'regen_bk_%'`)
		if err == nil {
			var names []string
			for rows.Next() {
				var n string
				rows.Scan(&n)
				names = append(names, n)
			}
			rows.Close()
			for _, n := range names {
				if strings.Contains(n, name) {
					admin.Exec(`DROP DATABASE IF EXISTS "` + n + `" WITH (FORCE)`)
				}
			}
		}
		admin.Close()
	})
	pw, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	db := *u
	db.Path = "/" + name
	p.DB = db.String()
	if p.pg, err = migrator.ParsePGConn(p.DB, os.Getenv); err != nil {
		t.Fatal(err)
	}
	p.Write("mix.exs", pgMixExs)
	p.Write("lib/blog/repo.ex", pgRepoEx)
	p.Write("config/config.exs", fmt.Sprintf("import Config\n\nconfig :blog, ecto_repos: [Blog.Repo]\nconfig :blog, ash_domains: [Blog.Domain]\n\nconfig :blog, Blog.Repo,\n  username: %q,\n  password: %q,\n  hostname: %q,\n  database: %q,\n  port: %s,\n  pool_size: 10\n",
		u.User.Username(), pw, u.Hostname(), name, port))
}

// RequireMix is the real mix (Debian's elixir): skipped locally without
// it, fatal under CI=true (.ci/run installs it).
func RequireMix(t testing.TB) string {
	t.Helper()
	mix, err := exec.LookPath("mix")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mix is not on PATH (CI=true): install Debian's elixir: %v", err)
		}
		t.Skipf("mix is not on PATH (apt-get install elixir): %v", err)
	}
	return mix
}
