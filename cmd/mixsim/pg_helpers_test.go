package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
)

// pgTestURL mirrors migrator's helper (mixsim may not import it): the test
// server's URL, skipping without one locally and failing under CI=true.
func pgTestURL(t *testing.T) string {
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
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	db, err := sql.Open("postgres", raw)
	if err == nil {
		err = db.PingContext(ctx)
		db.Close()
	}
	if err != nil {
		stop("PostgreSQL not available: set REGEN_TEST_PG_URL (scripts/pg-test-server prints one)")
		return ""
	}
	return raw
}

// pgServer is the test server's address and login.
type pgServer struct {
	host, port, user, password string
	admin                      *sql.DB
}

func newPGServer(t *testing.T) *pgServer {
	t.Helper()
	raw := pgTestURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	admin, err := sql.Open("postgres", raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return &pgServer{host: u.Hostname(), port: port, user: u.User.Username(), password: pw, admin: admin}
}

// createDB makes a database for one test and drops it at cleanup.
func (s *pgServer) createDB(t *testing.T) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "mixsim_test_" + hex.EncodeToString(b)
	if _, err := s.admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := s.admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	return name
}

// open connects to one of the test's databases.
func (s *pgServer) open(t *testing.T, dbName string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", fmt.Sprintf("host=%s port=%s user=%s password='%s' dbname=%s sslmode=disable",
		s.host, s.port, s.user, s.password, dbName))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// repoConfig is the config block of a repo pointing at dbName.
func (s *pgServer) repoConfig(app, repo, dbName string) string {
	return fmt.Sprintf("config :%s, %s,\n  username: %q,\n  password: %q,\n  hostname: %q,\n  database: %q,\n  port: %s,\n  pool_size: 10\n",
		app, repo, s.user, s.password, s.host, dbName, s.port)
}

const pgMixExs = `defmodule Blog.MixProject do
  use Mix.Project

  def project do
    [
      app: :blog,
      version: "0.1.0",
      deps: deps()
    ]
  end

  defp deps do
    [
      {:ash, "~> 3.0"},
      {:ash_postgres, "~> 2.0"}
    ]
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

const pgPostEx = `defmodule Blog.Post do
  use Ash.Resource,
    domain: Blog,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "posts"
    repo Blog.Repo
  end

  actions do
    defaults [:read, :destroy, create: :*, update: :*]
  end

  attributes do
    uuid_primary_key :id
    attribute :title, :string, allow_nil?: false, public?: true
    create_timestamp :inserted_at
  end
end
`

const pgCommentEx = `defmodule Blog.Comment do
  use Ash.Resource,
    domain: Blog,
    data_layer: AshPostgres.DataLayer

  postgres do
    table "comments"
    repo Blog.Repo
  end

  attributes do
    uuid_primary_key :id
    attribute :body, :string, allow_nil?: false, public?: true
  end

  relationships do
    belongs_to :post, Blog.Post, allow_nil?: false
  end
end
`

// newPGProject writes an AshPostgres app using database dbName.
func newPGProject(t *testing.T, srv *pgServer, dbName string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, "mix.exs", pgMixExs)
	write(t, dir, "config/config.exs", "import Config\n\nconfig :blog,\n  ecto_repos: [Blog.Repo],\n  ash_domains: [Blog]\n\nimport_config \"#{config_env()}.exs\"\n")
	write(t, dir, "config/dev.exs", "import Config\n\n"+srv.repoConfig("blog", "Blog.Repo", dbName))
	write(t, dir, "lib/blog/repo.ex", pgRepoEx)
	for rel, src := range files {
		write(t, dir, rel, src)
	}
	return dir
}

func pgVersions(t *testing.T, db *sql.DB, prefix string) []int64 {
	t.Helper()
	table := "schema_migrations"
	if prefix != "" {
		table = pq.QuoteIdentifier(prefix) + ".schema_migrations"
	}
	rows, err := db.Query(`SELECT version FROM ` + table + ` ORDER BY version`)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil
		}
		t.Fatal(err)
	}
	return scanColumn[int64](t, rows)
}

// pgColumns lists a table's columns (sorted), nil when it does not exist.
func pgColumns(t *testing.T, db *sql.DB, schema, table string) []string {
	t.Helper()
	return queryColumn[string](t, db, `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY 1`, schema, table)
}
