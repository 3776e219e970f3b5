package main

// AshPostgres projects: which repos are Postgres, their connection settings
// from config/*.exs (keyword options and/or url:, System.get_env included),
// and the repo module's all_tenants/0 and installed_extensions/0.

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// pgRepo is a Postgres repo's configuration as Ecto would resolve it.
type pgRepo struct {
	hostname, username, password, database string
	port                                   int
	url                                    string // as configured ("" if none)
	ssl                                    bool
	module                                 *repoModule
}

// repoModule is what mixsim reads from lib/**/repo.ex.
type repoModule struct {
	file         string // relative path
	adapter      string // "postgres", "sqlite", "" unknown
	tenantsList  []string
	tenantsSQL   string
	tenantsLine  int // line of the query!, for the stack trace
	hasTenants   bool
	extensions   []string
	hasExtension bool
}

var (
	reHostname  = regexp.MustCompile(`\bhostname:\s*"([^"]*)"`)
	reUsername  = regexp.MustCompile(`\busername:\s*"([^"]*)"`)
	rePassword  = regexp.MustCompile(`\bpassword:\s*"([^"]*)"`)
	rePort      = regexp.MustCompile(`\bport:\s*(\d+)`)
	reURLString = regexp.MustCompile(`\burl:\s*"([^"]*)"`)
	reURLEnv    = regexp.MustCompile(`\burl:\s*System\.(?:get_env|fetch_env!)\(\s*"([^"]+)"\s*\)`)
	reSSLTrue   = regexp.MustCompile(`\bssl:\s*true\b`)
	reDepPG     = regexp.MustCompile(`\{\s*:ash_postgres\b`)
	reDepSQLite = regexp.MustCompile(`\{\s*:ash_sqlite\b`)
	reVersion   = regexp.MustCompile(`\bversion:\s*"([^"]+)"`)

	reTenantsList  = regexp.MustCompile(`(?s)def\s+all_tenants(?:\(\))?\s*(?:,\s*do:|do)\s*\[([^\]]*)\]`)
	reTenantsQuery = regexp.MustCompile(`(?s)def\s+all_tenants(?:\(\))?\s*(?:,\s*do:|do)\b.*?query!?\(\s*__MODULE__\s*,\s*"((?:[^"\\]|\\.)*)"`)
	reExtensions   = regexp.MustCompile(`(?s)def\s+installed_extensions(?:\(\))?\s*(?:,\s*do:|do)\s*\[([^\]]*)\]`)
	reQuoted       = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
)

// dataLayer is the resources' data layer module for this project.
func (p *project) dataLayer() string {
	if p.postgres {
		return "AshPostgres.DataLayer"
	}
	return "AshSqlite.DataLayer"
}

// detectPostgres decides per repo: the repo module's `use AshPostgres.Repo`
// (or `use AshSqlite.Repo`) wins, else mix.exs deps. SQLite stays the
// default so projects that say nothing behave as before.
func detectPostgres(p *project, getenv func(string) string) error {
	mods, err := readRepoModules(p.root)
	if err != nil {
		return err
	}
	mixExs, _ := os.ReadFile(filepath.Join(p.root, "mix.exs"))
	depPG := reDepPG.Match(mixExs) && !reDepSQLite.Match(mixExs)
	for _, r := range p.repos {
		m := mods[r.module]
		isPG := depPG
		if m != nil && m.adapter != "" {
			isPG = m.adapter == "postgres"
		}
		if !isPG {
			continue
		}
		if m == nil {
			m = &repoModule{}
		}
		r.pg = resolvePGConfig(r, getenv)
		r.pg.module = m
		r.database = ""
		p.postgres = true
	}
	return nil
}

// resolvePGConfig applies the config blocks in order (later keys win) and
// then the URL, whose parts override the keyword options as in Ecto.
func resolvePGConfig(r *repoConf, getenv func(string) string) *pgRepo {
	c := &pgRepo{hostname: "localhost", port: 5432, username: getenv("PGUSER"), password: getenv("PGPASSWORD")}
	if c.username == "" {
		c.username = getenv("USER")
	}
	for _, opts := range r.rawOpts {
		if m := reHostname.FindStringSubmatch(opts); m != nil {
			c.hostname = m[1]
		}
		if m := reUsername.FindStringSubmatch(opts); m != nil {
			c.username = m[1]
		}
		if m := rePassword.FindStringSubmatch(opts); m != nil {
			c.password = m[1]
		}
		if m := reDBString.FindStringSubmatch(opts); m != nil {
			c.database = m[1]
		}
		if m := rePort.FindStringSubmatch(opts); m != nil {
			c.port, _ = strconv.Atoi(m[1])
		}
		if m := reURLString.FindStringSubmatch(opts); m != nil {
			c.url = m[1]
		}
		if m := reURLEnv.FindStringSubmatch(opts); m != nil {
			c.url = getenv(m[1])
		}
		if reSSLTrue.MatchString(opts) {
			c.ssl = true
		}
	}
	if c.url != "" {
		if u, err := url.Parse(c.url); err == nil {
			if h := u.Hostname(); h != "" {
				c.hostname = h
			}
			if pt, err := strconv.Atoi(u.Port()); err == nil {
				c.port = pt
			}
			if u.User != nil {
				c.username = u.User.Username()
				if pw, ok := u.User.Password(); ok {
					c.password = pw
				}
			}
			if db := strings.TrimPrefix(u.Path, "/"); db != "" {
				c.database = db
			}
			if u.Query().Get("ssl") == "true" {
				c.ssl = true
			}
		}
	}
	return c
}

// dsn is the lib/pq connection string (key=value, values quoted).
func (c *pgRepo) dsn() string {
	q := func(v string) string {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
	}
	ssl := "disable" // Postgrex's default is ssl: false
	if c.ssl {
		ssl = "require"
	}
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=%s connect_timeout=10",
		q(c.hostname), c.port, q(c.username), q(c.password), q(c.database), ssl)
}

// readRepoModules finds `defmodule X do ... use AshPostgres.Repo` and the
// like under lib/, keyed by module.
func readRepoModules(root string) (map[string]*repoModule, error) {
	files, err := libFiles(root)
	if err != nil {
		return nil, err
	}
	out := map[string]*repoModule{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		src := string(data)
		m := reDefmodule.FindStringSubmatch(src)
		if m == nil {
			continue
		}
		rm := &repoModule{file: f}
		switch {
		case strings.Contains(src, "use AshPostgres.Repo"), strings.Contains(src, "Ecto.Adapters.Postgres"):
			rm.adapter = "postgres"
		case strings.Contains(src, "use AshSqlite.Repo"), strings.Contains(src, "Ecto.Adapters.SQLite3"):
			rm.adapter = "sqlite"
		default:
			continue
		}
		if tm := reTenantsList.FindStringSubmatch(src); tm != nil {
			rm.hasTenants = true
			for _, q := range reQuoted.FindAllStringSubmatch(tm[1], -1) {
				rm.tenantsList = append(rm.tenantsList, q[1])
			}
		} else if loc := reTenantsQuery.FindStringSubmatchIndex(src); loc != nil {
			rm.hasTenants = true
			rm.tenantsSQL = strings.ReplaceAll(src[loc[2]:loc[3]], `\"`, `"`)
			call := strings.LastIndex(src[:loc[2]], "Ecto.Adapters.SQL.query")
			if call < 0 {
				call = loc[2]
			}
			rm.tenantsLine = strings.Count(src[:call], "\n") + 1
		}
		if em := reExtensions.FindStringSubmatch(src); em != nil {
			rm.hasExtension = true
			for _, q := range reQuoted.FindAllStringSubmatch(em[1], -1) {
				rm.extensions = append(rm.extensions, q[1])
			}
		}
		out[m[1]] = rm
	}
	return out, nil
}

// installedExtensions is the repo's installed_extensions/0; the generators'
// template has ["ash-functions"], so that is the default.
func (r *repoConf) installedExtensions() []string {
	if r.pg != nil && r.pg.module != nil && r.pg.module.hasExtension {
		return r.pg.module.extensions
	}
	return []string{"ash-functions"}
}

// appVersion is mix.exs's version: for stack traces.
func (p *project) appVersion() string {
	data, _ := os.ReadFile(filepath.Join(p.root, "mix.exs"))
	if m := reVersion.FindSubmatch(data); m != nil {
		return string(m[1])
	}
	return "0.1.0"
}

// pgRepoAnswer is the run -e line for a Postgres repo, every value
// URI.encode_www_form-encoded like the SQLite answer.
func pgRepoAnswer(p *project, r *repoConf) string {
	c := r.pg
	fields := [][2]string{
		{"repo", r.module},
		{"adapter", "Ecto.Adapters.Postgres"},
		{"database", c.database},
		{"priv", filepath.ToSlash(r.priv)},
		{"migration_source", r.migrationSource},
		{"otp_app", p.app},
		{"hostname", c.hostname},
		{"port", strconv.Itoa(c.port)},
		{"username", c.username},
		{"password", c.password},
		{"url", c.url},
	}
	parts := []string{repoQueryMarker}
	for _, f := range fields {
		parts = append(parts, f[0]+"="+encodeWWWForm(f[1]))
	}
	return strings.Join(parts, " ")
}
