package main

// Reading the Mix project: app name from mix.exs, repos from config/*.exs.
// Line/regex parsing of the shapes a generated Phoenix/Ash project uses.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

type project struct {
	root     string
	app      string // blog
	prefix   string // Blog
	repos    []*repoConf
	postgres bool // AshPostgres project (see pgproject.go)
	// buildPath is mix.exs's build_path (relative to root): an umbrella
	// app's is "../../_build", shared with its siblings.
	buildPath string
	env       string // Mix.env(): MIX_ENV, "dev" when unset
}

type repoConf struct {
	module          string // Blog.Repo
	database        string // absolute path, "" when not configured
	migrationSource string
	journalMode     string   // ecto_sqlite3's :journal_mode ("" = its default, WAL)
	priv            string   // relative to root, e.g. priv/repo
	dirName         string   // repo, other_repo
	rawOpts         []string // option text of each config block, in order
	pg              *pgRepo  // Postgres settings; nil for SQLite
}

func (r *repoConf) migrationsDir() string { return filepath.Join(r.priv, "migrations") }
func (r *repoConf) snapshotsDir() string {
	return filepath.Join("priv", "resource_snapshots", r.dirName)
}

var (
	reApp        = regexp.MustCompile(`\bapp:\s*:([a-z0-9_]+)`)
	reConfigHead = regexp.MustCompile(`^\s*config\s+:([a-z0-9_]+)\s*,\s*(.*)$`)
	reEctoRepos  = regexp.MustCompile(`ecto_repos:\s*\[([^\]]*)\]`)
	reDBString   = regexp.MustCompile(`database:\s*"([^"]*)"`)
	reDBExpand   = regexp.MustCompile(`database:\s*Path\.expand\(\s*"([^"]*)"\s*,\s*__DIR__\s*\)`)
	reMigSource  = regexp.MustCompile(`migration_source:\s*"([^"]*)"`)
	reJournal    = regexp.MustCompile(`journal_mode:\s*:([a-z]+)`)
	rePriv       = regexp.MustCompile(`priv:\s*"([^"]*)"`)
	reModuleHead = regexp.MustCompile(`^([A-Z][A-Za-z0-9_]*(?:\.[A-Z][A-Za-z0-9_]*)*)\s*,\s*(.*)$`)
	reBuildPath  = regexp.MustCompile(`\bbuild_path:\s*"([^"]*)"`)
	reConfigPath = regexp.MustCompile(`\bconfig_path:\s*"([^"]*)"`)
)

func loadProject(root string, getenv func(string) string) (*project, error) {
	mixExs, err := os.ReadFile(filepath.Join(root, "mix.exs"))
	if err != nil {
		return nil, fmt.Errorf("Could not find a Mix.Project, please ensure you are running Mix in a directory with a mix.exs file")
	}
	m := reApp.FindSubmatch(mixExs)
	if m == nil {
		return nil, fmt.Errorf("mix.exs has no `app: :name`")
	}
	p := &project{root: root, app: string(m[1]), buildPath: "_build", env: mixEnv(getenv)}
	p.prefix = camelize(p.app)
	if m := reBuildPath.FindSubmatch(mixExs); m != nil {
		p.buildPath = filepath.Clean(string(m[1]))
	}
	// config_path (an umbrella app's "../../config/config.exs") names the
	// main file; Mix reads only that file, and what it imports.
	mainConfig := filepath.Join(root, "config", "config.exs")
	if m := reConfigPath.FindSubmatch(mixExs); m != nil {
		cp := string(m[1])
		if !filepath.IsAbs(cp) {
			cp = filepath.Join(root, cp)
		}
		mainConfig = cp
	}
	stmts, err := readConfig(mainConfig, p.env, getenv, 0)
	if err != nil {
		return nil, err
	}
	type block struct {
		module string
		opts   string
		dir    string // config dir, for __DIR__
	}
	var blocks []block
	var ectoRepos []string
	// In file order, imports where they stand: later keys win, like
	// Config's deep merge.
	for _, st := range stmts {
		h := reConfigHead.FindStringSubmatch(st.text)
		if h == nil || h[1] != p.app {
			continue
		}
		text := h[2]
		if er := reEctoRepos.FindStringSubmatch(text); er != nil {
			ectoRepos = nil
			for _, r := range strings.Split(er[1], ",") {
				if r = strings.TrimSpace(r); r != "" {
					ectoRepos = append(ectoRepos, r)
				}
			}
			continue
		}
		if mh := reModuleHead.FindStringSubmatch(strings.TrimSpace(text)); mh != nil {
			blocks = append(blocks, block{mh[1], mh[2], st.dir})
		}
	}
	byMod := map[string]*repoConf{}
	get := func(mod string) *repoConf {
		if r, ok := byMod[mod]; ok {
			return r
		}
		seg := mod[strings.LastIndex(mod, ".")+1:]
		r := &repoConf{module: mod, migrationSource: "schema_migrations", dirName: underscore(seg)}
		r.priv = filepath.Join("priv", r.dirName)
		byMod[mod] = r
		return r
	}
	var order []string
	for _, b := range blocks {
		if !strings.HasSuffix(b.module, "Repo") && reDBString.FindString(b.opts) == "" && reDBExpand.FindString(b.opts) == "" {
			continue // an Endpoint or other module config
		}
		if _, seen := byMod[b.module]; !seen {
			order = append(order, b.module)
		}
		r := get(b.module)
		r.rawOpts = append(r.rawOpts, b.opts)
		if m := reDBExpand.FindStringSubmatch(b.opts); m != nil {
			r.database = filepath.Clean(filepath.Join(b.dir, m[1]))
		} else if m := reDBString.FindStringSubmatch(b.opts); m != nil {
			r.database = m[1]
			if !filepath.IsAbs(r.database) {
				r.database = filepath.Join(root, r.database)
			}
		}
		if m := reMigSource.FindStringSubmatch(b.opts); m != nil {
			r.migrationSource = m[1]
		}
		if m := rePriv.FindStringSubmatch(b.opts); m != nil {
			r.priv = filepath.Clean(m[1])
		}
		if m := reJournal.FindStringSubmatch(b.opts); m != nil {
			r.journalMode = m[1]
		}
	}
	if len(ectoRepos) > 0 {
		order = ectoRepos
	}
	if len(order) == 0 {
		order = []string{p.prefix + ".Repo"}
	}
	for _, mod := range order {
		p.repos = append(p.repos, get(mod))
	}
	return p, nil
}

func (p *project) repo(mod string) *repoConf {
	for _, r := range p.repos {
		if r.module == mod {
			return r
		}
	}
	return nil
}

// buildPrefix is where real AshSqlite prints paths from (the _build symlink),
// relative to root.
func (p *project) buildPrefix() string {
	return filepath.Join(p.buildPath, p.env, "lib", p.app)
}

// viaBuild renders rel (relative to root, under priv/) through the _build
// symlink as Path.relative_to_cwd would: relative when the _build is inside
// root, absolute when it is not (an umbrella app's ../../_build).
func (p *project) viaBuild(rel string, absolute bool) string {
	v := filepath.Join(p.buildPrefix(), rel)
	if absolute || v == ".." || strings.HasPrefix(v, ".."+string(filepath.Separator)) {
		return filepath.Join(p.root, v)
	}
	return v
}

// displayPath renders a path as Elixir would show it in a stack trace.
func (p *project) displayPath(abs string) string {
	rel, err := filepath.Rel(p.root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return abs
	}
	if strings.HasPrefix(rel, "priv"+string(filepath.Separator)) {
		return p.viaBuild(rel, false)
	}
	return rel
}
