package migrator

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// repoLinePrefix marks the query's own output lines; mix and dependencies
// print other lines (`==> exqlite`, compile notices) on the same stdout.
const repoLinePrefix = "regen-repo"

// ErrNoRepos means the query ran but printed no repo: the project configures
// no :ecto_repos (or the output came from something else entirely).
var ErrNoRepos = errors.New("the project lists no Ecto repos")

// RepoConfigQuery returns the Elixir code for
// `mix run --no-start --no-compile -e <code>`: for each repo in the
// project's :ecto_repos it prints one line
//
//	regen-repo repo=… adapter=… database=… priv=… migration_source=… otp_app=… hostname=… port=… username=… password=… url=…
//
// with every value URI.encode_www_form-encoded (space is '+').
//
// repo.config() is the runtime configuration (config/runtime.exs included)
// without starting the repo. A relative SQLite database is resolved the way
// ecto_sqlite3 would resolve it, against the cwd of the mix process, which
// regen cannot know when mix runs in a container: hence Path.expand there.
// Values that are not strings (a {:system, "VAR"} tuple, a function) are
// printed with inspect rather than crashing the query.
func RepoConfigQuery() string {
	return `app = Mix.Project.config()[:app]

str = fn
  nil -> ""
  v when is_binary(v) or is_atom(v) or is_number(v) -> to_string(v)
  v when is_list(v) ->
    try do
      to_string(v)
    rescue
      _ -> inspect(v)
    end
  v -> inspect(v)
end

for repo <- Application.get_env(app, :ecto_repos, []) do
  config = repo.config()
  adapter = repo.__adapter__()
  database = config[:database]

  database =
    if adapter == Ecto.Adapters.SQLite3 and is_binary(database) and database != ":memory:" and
         not String.starts_with?(database, "file:") do
      Path.expand(database)
    else
      database
    end

  fields = [
    repo: inspect(repo),
    adapter: inspect(adapter),
    database: database,
    priv: config[:priv],
    migration_source: config[:migration_source],
    otp_app: config[:otp_app] || app,
    hostname: config[:hostname],
    port: config[:port],
    username: config[:username],
    password: config[:password],
    url: config[:url]
  ]

  IO.puts(
    "regen-repo " <>
      Enum.map_join(fields, " ", fn {k, v} -> "#{k}=#{URI.encode_www_form(str.(v))}" end)
  )
end
`
}

// RepoConfig is one repo as the project configures it.
type RepoConfig struct {
	Repo, Adapter, Database, Priv, MigrationSource, OTPApp string
	Hostname, Username, Password, URL                      string
	Port                                                   int
}

// Adapter names as inspect/1 prints them.
const (
	AdapterSQLite3  = "Ecto.Adapters.SQLite3"
	AdapterPostgres = "Ecto.Adapters.Postgres"
)

// IsSQLite reports whether the repo uses ecto_sqlite3 (AshSqlite's adapter).
func (c RepoConfig) IsSQLite() bool { return c.Adapter == AdapterSQLite3 }

// IsPostgres reports whether the repo uses Postgrex (AshPostgres's adapter).
func (c RepoConfig) IsPostgres() bool { return c.Adapter == AdapterPostgres }

// Source returns the table of applied versions, Ecto's default included.
func (c RepoConfig) Source() string {
	if c.MigrationSource == "" {
		return DefaultMigrationSource
	}
	return c.MigrationSource
}

// PrivDir returns the repo's priv folder relative to its app: the configured
// :priv, or Ecto's default "priv/<last part of the module, underscored>"
// (AppSqlite.Repo -> priv/repo, MyApp.ReadRepo -> priv/read_repo).
func (c RepoConfig) PrivDir() string {
	if c.Priv != "" {
		return c.Priv
	}
	last := c.Repo
	if i := strings.LastIndexByte(last, '.'); i >= 0 {
		last = last[i+1:]
	}
	return "priv/" + underscore(last)
}

// String describes the repo without its password, so that logging a
// RepoConfig with %v cannot leak it.
func (c RepoConfig) String() string {
	target := c.Database
	if c.IsPostgres() || c.Hostname != "" {
		target = fmt.Sprintf("%s@%s:%d/%s", c.Username, c.Hostname, c.Port, c.Database)
	}
	if c.URL != "" {
		target += " url=" + Redact(c.URL, c.Password)
	}
	return fmt.Sprintf("%s (%s) %s", c.Repo, c.Adapter, target)
}

// ParseRepoConfig reads the output of RepoConfigQuery, ignoring every line
// that is not one of its own. Unknown fields are ignored so the query may
// grow; an unknown repo line without repo= is an error.
func ParseRepoConfig(stdout string) ([]RepoConfig, error) {
	var repos []RepoConfig
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		rest, ok := strings.CutPrefix(text, repoLinePrefix+" ")
		if !ok {
			continue
		}
		rc, err := parseRepoLine(rest)
		if err != nil {
			return nil, fmt.Errorf("repo query output line %d: %w", line, err)
		}
		repos = append(repos, rc)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading repo query output: %w", err)
	}
	if len(repos) == 0 {
		return nil, fmt.Errorf("no %q line in the output of the repo query: %w", repoLinePrefix, ErrNoRepos)
	}
	return repos, nil
}

func parseRepoLine(rest string) (RepoConfig, error) {
	var rc RepoConfig
	for _, field := range strings.Fields(rest) {
		key, raw, ok := strings.Cut(field, "=")
		if !ok {
			return rc, fmt.Errorf("field %q is not key=value", field)
		}
		val, err := url.QueryUnescape(raw)
		if err != nil {
			return rc, fmt.Errorf("field %s: %w", key, err)
		}
		switch key {
		case "repo":
			rc.Repo = val
		case "adapter":
			rc.Adapter = val
		case "database":
			rc.Database = val
		case "priv":
			rc.Priv = val
		case "migration_source":
			rc.MigrationSource = val
		case "otp_app":
			rc.OTPApp = val
		case "hostname":
			rc.Hostname = val
		case "port":
			if val != "" {
				p, err := strconv.Atoi(val)
				if err != nil || p < 0 || p > 65535 {
					return rc, fmt.Errorf("port %q is not a port number", val)
				}
				rc.Port = p
			}
		case "username":
			rc.Username = val
		case "password":
			rc.Password = val
		case "url":
			rc.URL = val
		}
	}
	if rc.Repo == "" {
		return rc, errors.New("no repo= field")
	}
	return rc, nil
}

// underscore mirrors Macro.underscore for module name segments:
// "ReadRepo" -> "read_repo", "HTTPRepo" -> "http_repo".
func underscore(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsUpper(rs[i-1]) && unicode.IsLower(rs[i+1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
