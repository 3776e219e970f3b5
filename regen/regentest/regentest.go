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
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/regen-tool/regen/migrator"

	_ "modernc.org/sqlite" // the test data goes in through the same driver
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// ModuleRoot is the repository root (where go.mod is).
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// Binaries builds mixsim and regen once per test process and returns the
// folder holding them.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "regen-bin-")
		if buildErr != nil {
			return
		}
		pkgs := []string{"./cmd/mixsim", "./cmd/regen"}
		if os.Getenv("REGEN_TEST_MIXSIM") != "" {
			pkgs = pkgs[1:]
		}
		for _, pkg := range pkgs {
			cmd := exec.Command("go", "build", "-o", buildDir, pkg)
			cmd.Dir = ModuleRoot()
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
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

// Project is a throwaway Ash + AshSqlite project in its own git repository.
type Project struct {
	T    testing.TB
	Root string
	DB   string
	Env  []string // MIXSIM_* and the like, for mix runs and regen runs
	home string
}

const mixExs = `defmodule Blog.MixProject do
  use Mix.Project

  def project do
    [app: :blog, version: "0.1.0", elixir: "~> 1.15", deps: deps()]
  end

  defp deps do
    [{:ash, "~> 3.0"}, {:ash_sqlite, "~> 0.2"}]
  end
end
`

const configExs = `import Config

config :blog, ecto_repos: [Blog.Repo]
config :blog, ash_domains: [Blog.Domain]

config :blog, Blog.Repo,
  database: Path.expand("../blog_dev.db", __DIR__),
  pool_size: 5
`

// Resource renders a resource module with the given attribute lines
// (e.g. `attribute :title, :string, allow_nil?: false`) and relationships.
func Resource(module, table string, attributes []string, relationships []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "defmodule Blog.%s do\n  use Ash.Resource,\n    domain: Blog.Domain,\n    data_layer: AshSqlite.DataLayer\n\n", module)
	fmt.Fprintf(&b, "  sqlite do\n    table \"%s\"\n    repo Blog.Repo\n  end\n\n", table)
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
func NewProject(t testing.TB) *Project {
	t.Helper()
	root := t.TempDir()
	root, _ = filepath.EvalSymlinks(root)
	home := t.TempDir()
	p := &Project{T: t, Root: root, DB: filepath.Join(root, "blog_dev.db"), home: home}
	p.Write("mix.exs", mixExs)
	p.Write("config/config.exs", configExs)
	p.Write(".gitignore", "/_build/\n/deps/\n*.db\n*.db-*\n")
	p.Write("lib/blog/post.ex", Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true"}, nil))
	p.Write("lib/blog/comment.ex", Resource("Comment", "comments", []string{"attribute :body, :string, allow_nil?: false, public?: true"}, []string{"belongs_to :post, Blog.Post, allow_nil?: false"}))
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
	DBSHA     string            // the database file's bytes
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
	// An unreadable database (a bad-input test) is recorded, not fatal: its
	// bytes below still show whether anything touched it.
	if st.Applied, err = migrator.SQLiteAppliedVersions(ctx, p.DB, ""); err != nil {
		st.Tables = map[string]string{"<unreadable>": err.Error()}
	} else if st.Tables, err = migrator.SQLiteTableDigests(ctx, p.DB); err != nil {
		p.T.Fatal(err)
	}
	data, err := os.ReadFile(p.DB)
	if err != nil {
		p.T.Fatal(err)
	}
	sum := sha256.Sum256(data)
	st.DBSHA = hex.EncodeToString(sum[:])
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
		out = append(out, "database file bytes differ")
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
	db, err := sql.Open("sqlite", "file:"+p.DB+"?_pragma=busy_timeout(5000)")
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
