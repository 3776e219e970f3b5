package project

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/migrator/fsatomic"
)

// Config is what regen knows about the project: detected first, then
// overridden by .regen.toml, then by the environment.
type Config struct {
	Root    string   // project root: the folder with mix.exs (absolute)
	File    string   // the .regen.toml that was read, "" when none
	Preset  string   // ash_sqlite | ash_postgres | ecto
	Mix     []string // the mix command line, split without a shell
	MixFrom string   // where Mix came from: default, .regen.toml, REGEN_MIX
	Repos   []RepoConfig
	// Command templates; {mix}, {dir}, {name}, {repo} are replaced per argument.
	Rollback []string
	Codegen  []string
	Migrate  []string
	// RebuildMigrate migrates a fresh database from {dir} (the rebuild).
	RebuildMigrate   []string
	TenantRollback   []string // per tenant prefix ({prefix})
	TenantMigrate    []string
	Remigrate        []string // migrate {dir}: compensation without a database copy
	Check            []string // the codegen check of `regen check` (nil: {mix} ash.codegen --check)
	RollbackStrategy string   // auto | down | rebuild ("" = auto)
	OneVM            bool     // rollback, codegen and migrate in one `mix do`
	Keep             int      // committed backups to keep for undo
	Umbrella         bool     // the project is an umbrella root
	KeepData         bool     // keep_data: carry dev data over after migrate (issue 12; default true)
}

// RepoConfig is one Ecto repo: its folders (slash paths relative to Root) and
// its database.
type RepoConfig struct {
	Name            string // folder name under priv/: "repo"
	Module          string // Elixir module, e.g. MyApp.Repo ("" when unknown)
	Migrations      string
	Snapshots       string
	Database        string // absolute SQLite path, or a PostgreSQL URL ("" until resolved)
	DatabaseFrom    string // .regen.toml, DATABASE_URL, mix config, cache
	MigrationSource string // "" means schema_migrations
	Adapter         string // "sqlite" or "postgres" ("" until known)
	// App is the umbrella app folder the repo belongs to ("" outside an
	// umbrella): its mix tasks that name the repo run there.
	App string
	// TenantMigrations is the folder of schema-per-tenant migrations
	// (AshPostgres), "" when the repo has none.
	TenantMigrations string
	Tenants          []string // tenant schemas; empty = every schema with a schema_migrations table

	// Identity is the database as the project's mix config names it
	// (migrator.RepoConfig.Identity), "" when regen did not ask mix: each
	// mix VM of a run checks it before its first task (driver.go).
	Identity string
}

// Folders are the repo's configured folders that exist in the config.
func (r RepoConfig) Folders() []string {
	var out []string
	for _, f := range []string{r.Migrations, r.TenantMigrations, r.Snapshots} {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// FileName is the config file regen reads from the project root.
const FileName = ".regen.toml"

// Rollback strategies a config may name: the names of regen.Strategy's
// values, in their order.
var strategies = []string{"auto", "down", "rebuild"}

// StrategyNames are the rollback strategies, as the config names them.
func StrategyNames() []string { return slices.Clone(strategies) }

// ValidStrategy tells whether s is a rollback strategy regen knows.
func ValidStrategy(s string) bool { return slices.Contains(strategies, s) }

type preset struct {
	adapter                               string // the databases' kind unless the project says otherwise
	rollback, codegen, migrate, rebuild   []string
	tenantRollback, tenantMigrate, remigr []string
}

var presets = map[string]preset{
	"ash_sqlite": {
		adapter: "sqlite",
		// ecto.rollback, not ash_sqlite.rollback: AshSqlite's ignores -r and
		// rolls back every repo of the domains from the given folder.
		rollback: []string{"{mix}", "ecto.rollback", "-r", "{repo}", "--migrations-path", "{dir}", "--all"},
		codegen:  []string{"{mix}", "ash.codegen", "{name}"},
		migrate:  []string{"{mix}", "ash.migrate"},
		rebuild:  []string{"{mix}", "ash_sqlite.migrate", "--migrations-path", "{dir}"},
	},
	"ash_postgres": {
		adapter: "postgres",
		// ash_postgres.rollback --tenants is broken upstream (ash_postgres
		// #642); ecto.rollback with --prefix works, one tenant per task.
		rollback:       []string{"{mix}", "ecto.rollback", "-r", "{repo}", "--migrations-path", "{dir}", "--all"},
		codegen:        []string{"{mix}", "ash.codegen", "{name}"},
		migrate:        []string{"{mix}", "ash.migrate"},
		tenantRollback: []string{"{mix}", "ecto.rollback", "-r", "{repo}", "--prefix", "{prefix}", "--migrations-path", "{dir}", "--all"},
		tenantMigrate:  []string{"{mix}", "ash.migrate", "--tenants"},
		remigr:         []string{"{mix}", "ecto.migrate", "-r", "{repo}", "--migrations-path", "{dir}"},
	},
	"ecto": {
		rollback: []string{"{mix}", "ecto.rollback", "-r", "{repo}", "--migrations-path", "{dir}", "--all"},
		codegen:  []string{"{mix}", "ecto.gen.migration", "{name}"},
		migrate:  []string{"{mix}", "ecto.migrate"},
		remigr:   []string{"{mix}", "ecto.migrate", "-r", "{repo}", "--migrations-path", "{dir}"},
	},
}

// presetNames lists presets whose databases the engine can read today.
func presetNames() []string {
	names := []string{}
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FindProjectRoot walks up from dir to the nearest folder holding mix.exs,
// without leaving stopAt (the git work-tree top).
func FindProjectRoot(dir, stopAt string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	start := d
	for {
		if _, err := os.Stat(filepath.Join(d, "mix.exs")); err == nil {
			return d, nil
		}
		if d == stopAt || filepath.Dir(d) == d {
			break
		}
		d = filepath.Dir(d)
	}
	// Started at the top of a repository whose Elixir project sits in a
	// subfolder (git runs hooks there): one project one or two levels down
	// is the project.
	if start == stopAt {
		found, err := projectsBelow(start)
		if err == nil && len(found) == 1 {
			return found[0], nil
		}
		if len(found) > 1 {
			return "", &Error{
				What: fmt.Sprintf("no mix.exs in %s, and several Elixir projects below it: %s.", start, strings.Join(found, ", ")),
				Next: "Run regen inside the project you mean.",
			}
		}
	}
	return "", &Error{
		What: fmt.Sprintf("no mix.exs in %s or any folder above it inside the git work tree %s.", dir, stopAt),
		Next: "Run regen inside an Elixir project (the folder with mix.exs, or below it).",
	}
}

// projectsBelow finds folders one, else two, levels below top that hold a
// mix.exs (never inside deps, _build, node_modules or hidden folders).
func projectsBelow(top string) ([]string, error) {
	skip := func(name string) bool {
		return strings.HasPrefix(name, ".") || name == "deps" || name == "_build" || name == "node_modules"
	}
	level1, err := os.ReadDir(top)
	if err != nil {
		return nil, err
	}
	var found, deeper []string
	for _, e := range level1 {
		if !e.IsDir() || skip(e.Name()) {
			continue
		}
		dir := filepath.Join(top, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "mix.exs")); err == nil {
			found = append(found, dir)
			continue
		}
		level2, _ := os.ReadDir(dir)
		for _, e2 := range level2 {
			if e2.IsDir() && !skip(e2.Name()) {
				if _, err := os.Stat(filepath.Join(dir, e2.Name(), "mix.exs")); err == nil {
					deeper = append(deeper, filepath.Join(dir, e2.Name()))
				}
			}
		}
	}
	if len(found) > 0 {
		return found, nil
	}
	return deeper, nil
}

// LoadConfig detects the project's layout under root and applies the
// optional config file (explicit path, or root/.regen.toml) and REGEN_MIX.
func LoadConfig(root, explicitFile string, getenv func(string) string) (*Config, error) {
	cfg := &Config{Root: root, Keep: 3, OneVM: true, KeepData: true}
	if err := detect(cfg); err != nil {
		return nil, err
	}
	file := explicitFile
	if file == "" {
		if _, err := os.Stat(filepath.Join(root, FileName)); err == nil {
			file = filepath.Join(root, FileName)
		}
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, &Error{What: fmt.Sprintf("cannot read the config file: %v.", err), Next: "Check the path given to --config."}
		}
		if err := ApplyFile(cfg, string(data)); err != nil {
			return nil, &Error{What: fmt.Sprintf("%s: %v", file, err), Next: "Fix the config file; README.md lists its keys."}
		}
		cfg.File = file
	}
	switch getenv("REGEN_ONE_VM") {
	case "0", "false":
		cfg.OneVM = false
	case "1", "true":
		cfg.OneVM = true
	}
	if m := getenv("REGEN_MIX"); m != "" {
		argv, err := migrator.SplitCommandLine(m)
		if err != nil {
			return nil, &Error{What: fmt.Sprintf("REGEN_MIX=%q: %v.", m, err), Next: "Fix the quoting in REGEN_MIX."}
		}
		cfg.Mix, cfg.MixFrom = argv, "REGEN_MIX"
	}
	p, ok := presets[cfg.Preset]
	if !ok {
		return nil, &Error{
			What: fmt.Sprintf("preset %q is not supported by this version (supported: %s).", cfg.Preset, strings.Join(presetNames(), ", ")),
			Next: "Set preset in .regen.toml, or use a project on a supported stack.",
		}
	}
	// The preset's command templates, where .regen.toml set none.
	for _, d := range []struct {
		set    *[]string
		preset []string
	}{
		{&cfg.Rollback, p.rollback}, {&cfg.Codegen, p.codegen}, {&cfg.Migrate, p.migrate},
		{&cfg.RebuildMigrate, p.rebuild}, {&cfg.TenantRollback, p.tenantRollback},
		{&cfg.TenantMigrate, p.tenantMigrate}, {&cfg.Remigrate, p.remigr},
	} {
		if *d.set == nil {
			*d.set = d.preset
		}
	}
	if len(cfg.Repos) == 0 {
		if cfg.Umbrella {
			return nil, &Error{What: "no app of this umbrella has a priv/*/migrations folder.", Next: "Run regen in an app folder, or add [[repos]] tables to .regen.toml."}
		}
		return nil, &Error{What: "no repos are configured.", Next: "Add a [[repos]] table to .regen.toml."}
	}
	for i := range cfg.Repos {
		r := &cfg.Repos[i]
		if r.Adapter == "" {
			r.Adapter = p.adapter
		}
		if r.Adapter == "" && IsPostgresURL(r.Database) {
			r.Adapter = "postgres"
		}
		for _, p := range []*string{&r.Migrations, &r.Snapshots, &r.TenantMigrations} {
			clean, err := CleanRelative(*p)
			if err != nil {
				return nil, &Error{What: fmt.Sprintf("repo %q: %v", r.Name, err), Next: "Use folders inside the project."}
			}
			*p = clean
		}
		if IsPostgresURL(r.Database) {
			r.Adapter = "postgres"
		} else if r.Database != "" && !filepath.IsAbs(r.Database) {
			r.Database = filepath.Join(root, filepath.FromSlash(r.Database))
		}
	}
	// DATABASE_URL names the database of the one PostgreSQL repo that has
	// none configured.
	if url := getenv("DATABASE_URL"); url != "" {
		var open []*RepoConfig
		for i := range cfg.Repos {
			if cfg.Repos[i].Database == "" && cfg.Repos[i].Adapter != "sqlite" {
				open = append(open, &cfg.Repos[i])
			}
		}
		if len(open) == 1 && IsPostgresURL(url) {
			open[0].Database, open[0].DatabaseFrom, open[0].Adapter = url, "DATABASE_URL", "postgres"
		}
	}
	return cfg, nil
}

// IsPostgresURL: a postgres:// URL or a key=value connection string.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") ||
		strings.Contains(s, "dbname=") || strings.Contains(s, "host=")
}

// CleanRelative keeps configured folders inside the project: regen never
// deletes outside them, so they must not escape it.
func CleanRelative(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	if filepath.IsAbs(p) {
		return "", fmt.Errorf("folder %q must be relative to the project root", p)
	}
	c := filepath.ToSlash(filepath.Clean(filepath.FromSlash(p)))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("folder %q is outside the project", p)
	}
	if c == "." {
		return "", fmt.Errorf("folder %q is the project root itself; name the migrations folder", p)
	}
	return c, nil
}

var depPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{\s*:(ash_sqlite|ash_postgres|ecto_sql)\b`) })

// detect fills the zero-config defaults from mix.exs and the priv/ layout.
var appsPathPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`apps_path:\s*"([^"]+)"`) })

func detect(cfg *Config) error {
	mixExs, err := os.ReadFile(filepath.Join(cfg.Root, "mix.exs"))
	if err != nil {
		return &Error{What: fmt.Sprintf("cannot read mix.exs: %v.", err), Next: "Run regen in an Elixir project."}
	}
	cfg.Mix, cfg.MixFrom = []string{"mix"}, "default"
	deps := map[string]bool{}
	if m := appsPathPattern().FindStringSubmatch(string(mixExs)); m != nil {
		// An umbrella: every app under apps_path with migrations is part of
		// the project; each app's repos are named <app>/<repo>.
		appsPath, err := CleanRelative(m[1])
		if err != nil {
			return &Error{What: "mix.exs apps_path: " + err.Error(), Next: "Configure the repos in .regen.toml."}
		}
		cfg.Umbrella = true
		apps, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(filepath.Join(cfg.Root, filepath.FromSlash(appsPath))), "*", "mix.exs"))
		sort.Strings(apps)
		for _, appMix := range apps {
			appDir := filepath.Dir(appMix)
			app := appsPath + "/" + filepath.Base(appDir)
			if data, err := os.ReadFile(appMix); err == nil {
				for _, d := range depPattern().FindAllStringSubmatch(string(data), -1) {
					deps[d[1]] = true
				}
			}
			cfg.Repos = append(cfg.Repos, detectRepos(cfg.Root, app)...)
		}
	} else {
		cfg.Repos = detectRepos(cfg.Root, "")
	}
	for _, d := range depPattern().FindAllStringSubmatch(string(mixExs), -1) {
		deps[d[1]] = true
	}
	switch {
	case deps["ash_sqlite"]:
		cfg.Preset = "ash_sqlite"
	case deps["ash_postgres"]:
		cfg.Preset = "ash_postgres"
	case deps["ecto_sql"]:
		cfg.Preset = "ecto"
	}
	if len(cfg.Repos) == 0 && !cfg.Umbrella {
		// A project that has not generated anything yet: Ash's default layout.
		cfg.Repos = []RepoConfig{{Name: "repo", Migrations: "priv/repo/migrations", Snapshots: "priv/resource_snapshots/repo"}}
	}
	return nil
}

// detectRepos finds priv/*/migrations under the app folder ("" = the project).
func detectRepos(root, app string) []RepoConfig {
	prefix := ""
	if app != "" {
		prefix = app + "/"
	}
	matches, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(filepath.Join(root, filepath.FromSlash(prefix), "priv")), "*", "migrations"))
	sort.Strings(matches)
	var out []RepoConfig
	for _, m := range matches {
		if fi, err := os.Lstat(m); err != nil || !fi.IsDir() {
			continue
		}
		name := filepath.Base(filepath.Dir(m))
		if name == "resource_snapshots" {
			continue
		}
		rc := RepoConfig{
			Name:       name,
			App:        app,
			Migrations: prefix + "priv/" + name + "/migrations",
			Snapshots:  prefix + "priv/resource_snapshots/" + name,
		}
		if app != "" {
			rc.Name = path.Base(app) + "/" + name
		}
		if fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(prefix), "priv", name, "tenant_migrations")); err == nil && fi.IsDir() {
			rc.TenantMigrations = prefix + "priv/" + name + "/tenant_migrations"
		}
		out = append(out, rc)
	}
	return out
}

// One table of the config file's keys: each row parses, validates and
// sets its key, and the "known keys" lists of the error messages are built
// from the rows. A key added here is parsed, validated and documented.
type key struct {
	name string
	set  func(cfg *Config, v any) error
}

type repoKey struct {
	name string
	set  func(r *RepoConfig, v any) error
}

var plainName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// topKeys are the keys outside any table.
var topKeys = []key{
	{"preset", func(cfg *Config, v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("preset must be a string")
		}
		cfg.Preset = s
		return nil
	}},
	{"mix", func(cfg *Config, v any) error {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return fmt.Errorf("mix must be a non-empty string")
		}
		argv, err := migrator.SplitCommandLine(s)
		if err != nil {
			return fmt.Errorf("mix: %v", err)
		}
		cfg.Mix, cfg.MixFrom = argv, FileName
		return nil
	}},
	{"keep_backups", func(cfg *Config, v any) error {
		n, ok := v.(int64)
		if !ok || n < 1 || n > 100 {
			return fmt.Errorf("keep_backups must be an integer from 1 to 100")
		}
		cfg.Keep = int(n)
		return nil
	}},
	{"rollback_strategy", func(cfg *Config, v any) error {
		s, ok := v.(string)
		if !ok || !ValidStrategy(s) {
			return fmt.Errorf("rollback_strategy must be \"auto\", \"down\" or \"rebuild\"")
		}
		cfg.RollbackStrategy = s
		return nil
	}},
	{"one_vm", func(cfg *Config, v any) error {
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("one_vm must be true or false")
		}
		cfg.OneVM = b
		return nil
	}},
	{"keep_data", func(cfg *Config, v any) error { // issue 12: the keep_data step
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("keep_data must be true or false")
		}
		cfg.KeepData = b
		return nil
	}},
}

// commandKey is one [commands] template: the field it sets and the
// placeholders it must pass.
type commandKey struct {
	name  string
	field func(cfg *Config) *[]string
	needs []string // placeholders the template must contain
	why   string   // appended to the "must pass" message
}

var commandKeys = []commandKey{
	{"rollback", func(c *Config) *[]string { return &c.Rollback }, []string{"{dir}"}, " (the folder holding exactly the migrations to roll back)"},
	{"codegen", func(c *Config) *[]string { return &c.Codegen }, []string{"{name}"}, ""},
	{"migrate", func(c *Config) *[]string { return &c.Migrate }, nil, ""},
	{"rebuild_migrate", func(c *Config) *[]string { return &c.RebuildMigrate }, []string{"{dir}"}, " (the folder holding exactly the migrations to apply)"},
	{"check", func(c *Config) *[]string { return &c.Check }, nil, ""},
	{"tenant_rollback", func(c *Config) *[]string { return &c.TenantRollback }, []string{"{dir}", "{prefix}"}, ""},
	{"tenant_migrate", func(c *Config) *[]string { return &c.TenantMigrate }, nil, ""},
	{"remigrate", func(c *Config) *[]string { return &c.Remigrate }, []string{"{dir}"}, ""},
}

func stringKey(set func(r *RepoConfig, s string) error) func(r *RepoConfig, v any) error {
	return func(r *RepoConfig, v any) error {
		s, ok := v.(string)
		if !ok {
			return errMustBeString
		}
		return set(r, s)
	}
}

var errMustBeString = errors.New("must be a string")

var repoKeys = []repoKey{
	{"name", stringKey(func(r *RepoConfig, s string) error { r.Name = s; return nil })},
	{"module", stringKey(func(r *RepoConfig, s string) error { r.Module = s; return nil })},
	{"migrations", stringKey(func(r *RepoConfig, s string) error { r.Migrations = s; return nil })},
	{"snapshots", stringKey(func(r *RepoConfig, s string) error { r.Snapshots = s; return nil })},
	{"database", stringKey(func(r *RepoConfig, s string) error { r.Database, r.DatabaseFrom = s, FileName; return nil })},
	{"migration_source", stringKey(func(r *RepoConfig, s string) error {
		if !plainName().MatchString(s) {
			return fmt.Errorf("migration_source %q is not a plain table name", s)
		}
		r.MigrationSource = s
		return nil
	})},
	{"tenant_migrations", stringKey(func(r *RepoConfig, s string) error { r.TenantMigrations = s; return nil })},
	{"tenants", func(r *RepoConfig, v any) error {
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("tenants must be a list of schema names")
		}
		for _, x := range list {
			s, ok := x.(string)
			if !ok || !plainName().MatchString(s) {
				return fmt.Errorf("tenant %v is not a plain schema name", x)
			}
			r.Tenants = append(r.Tenants, s)
		}
		return nil
	}},
}

func topKeyNames() string {
	var n []string
	for _, k := range topKeys {
		n = append(n, k.name)
	}
	return strings.Join(n, ", ")
}

func commandKeyNames() string {
	var n []string
	for _, k := range commandKeys {
		n = append(n, k.name)
	}
	return strings.Join(n, ", ")
}

func repoKeyNames() string {
	var n []string
	for _, k := range repoKeys {
		n = append(n, k.name)
	}
	return strings.Join(n, ", ")
}

// ApplyFile applies the text of a .regen.toml to cfg.
func ApplyFile(cfg *Config, src string) error {
	doc, err := parseTOML(src)
	if err != nil {
		return err
	}
	for k := range doc.root {
		if !slices.ContainsFunc(topKeys, func(x key) bool { return x.name == k }) {
			return fmt.Errorf("line %d: unknown key %q (known: %s, [[repos]], [commands])", doc.lines["."+k], k, topKeyNames())
		}
	}
	for name := range doc.tables {
		if name != "commands" {
			return fmt.Errorf("unknown table [%s] (known: [commands], [[repos]])", name)
		}
	}
	for name := range doc.arrays {
		if name != "repos" {
			return fmt.Errorf("unknown array of tables [[%s]] (known: [[repos]])", name)
		}
	}
	for _, k := range topKeys {
		if v, ok := doc.root[k.name]; ok {
			if err := k.set(cfg, v); err != nil {
				return err
			}
		}
	}
	if cmds, ok := doc.tables["commands"]; ok {
		if err := applyCommands(cfg, cmds); err != nil {
			return err
		}
	}
	if repos, ok := doc.arrays["repos"]; ok {
		if err := applyRepos(cfg, repos); err != nil {
			return err
		}
	}
	return nil
}

func applyCommands(cfg *Config, cmds map[string]any) error {
	for k, v := range cmds {
		i := slices.IndexFunc(commandKeys, func(x commandKey) bool { return x.name == k })
		if i < 0 {
			return fmt.Errorf("[commands]: unknown key %q (known: %s)", k, commandKeyNames())
		}
		ck := commandKeys[i]
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("[commands] %s must be a string", k)
		}
		argv, err := migrator.SplitCommandLine(s)
		if err != nil || len(argv) == 0 {
			return fmt.Errorf("[commands] %s: cannot split %q", k, s)
		}
		for _, need := range ck.needs {
			if !containsArg(argv, need) {
				return fmt.Errorf("[commands] %s must pass %s%s", k, strings.Join(ck.needs, " and "), ck.why)
			}
		}
		*ck.field(cfg) = argv
	}
	return nil
}

func applyRepos(cfg *Config, repos []map[string]any) error {
	cfg.Repos = nil
	seen := map[string]bool{}
	for i, t := range repos {
		r := RepoConfig{}
		for k, v := range t {
			j := slices.IndexFunc(repoKeys, func(x repoKey) bool { return x.name == k })
			if j < 0 {
				return fmt.Errorf("[[repos]] #%d: unknown key %q (known: %s)", i+1, k, repoKeyNames())
			}
			if err := repoKeys[j].set(&r, v); err != nil {
				if err == errMustBeString {
					return fmt.Errorf("[[repos]] #%d: %s must be a string", i+1, k)
				}
				return fmt.Errorf("[[repos]] #%d: %v", i+1, err)
			}
		}
		// Defaults of a [[repos]] table: Ash's layout under the repo's name.
		if r.Name == "" {
			r.Name = "repo"
		}
		if seen[r.Name] {
			return fmt.Errorf("[[repos]]: two repos are named %q", r.Name)
		}
		seen[r.Name] = true
		if r.Migrations == "" {
			r.Migrations = "priv/" + r.Name + "/migrations"
		}
		if r.Snapshots == "" {
			r.Snapshots = "priv/resource_snapshots/" + r.Name
		}
		cfg.Repos = append(cfg.Repos, r)
	}
	if len(cfg.Repos) == 0 {
		return errors.New("[[repos]] is empty")
	}
	return nil
}

func containsArg(argv []string, placeholder string) bool {
	for _, a := range argv {
		if strings.Contains(a, placeholder) {
			return true
		}
	}
	return false
}

// Expand fills a command template. Each template argument stays one
// argument: user-supplied text is never re-split or given to a shell.
func Expand(template, mix []string, vars map[string]string) []string {
	var out []string
	for i, a := range template {
		if a == "{mix}" {
			out = append(out, mix...)
			continue
		}
		// `-r {repo}` with the repo module unknown: let mix pick the repo.
		if a == "-r" && i+1 < len(template) && template[i+1] == "{repo}" && vars["repo"] == "" {
			continue
		}
		if a == "{repo}" && vars["repo"] == "" && i > 0 && template[i-1] == "-r" {
			continue
		}
		for k, v := range vars {
			a = strings.ReplaceAll(a, "{"+k+"}", v)
		}
		out = append(out, a)
	}
	return out
}

// CheckMix finds the mix command before anything changes: a missing one is
// an input error, not a failed step to compensate.
func CheckMix(cfg *Config) error {
	name := cfg.Mix[0]
	if strings.Contains(name, "/") && !filepath.IsAbs(name) {
		name = filepath.Join(cfg.Root, name)
	}
	if _, err := exec.LookPath(name); err != nil {
		return &Error{
			What: fmt.Sprintf("the mix command %q (from %s) cannot be run: %v.", cfg.Mix[0], cfg.MixFrom, err),
			Next: "Install Elixir, or set the command with REGEN_MIX or `mix = \"...\"` in .regen.toml (e.g. \"docker compose exec app mix\").",
		}
	}
	return nil
}
