package project

import (
	"strings"
	"testing"
)

func FuzzConfigFile(f *testing.F) {
	f.Add(`preset = "ash_sqlite"
mix = "mix"
[[repos]]
name = "repo"
migrations = "priv/repo/migrations"
snapshots = "priv/resource_snapshots/repo"
database = "my_app_dev.db"
`)
	f.Add("[commands]\nrollback = \"{mix} ash_sqlite.rollback --migrations-path {dir} --all\"\n")
	f.Add("keep_backups = 3\none_vm = false\nrollback_strategy = 'rebuild'\n")
	f.Add("a = [1, 2,\n 3]\n")
	f.Add("x = \"\\u00e9\\\"\" # comment\n")
	f.Add("[[repos]]\nmigrations = \"../../etc\"\n")
	f.Fuzz(func(t *testing.T, src string) {
		cfg := &Config{Root: "/project", Keep: 3}
		if err := ApplyFile(cfg, src); err != nil {
			return
		}
		for _, r := range cfg.Repos {
			for _, folder := range []string{r.Migrations, r.Snapshots} {
				if c, err := CleanRelative(folder); err == nil && (strings.HasPrefix(c, "../") || c == "..") {
					t.Fatalf("a folder outside the project passed: %q", folder)
				}
			}
		}
		if cfg.RollbackStrategy != "" && !ValidStrategy(cfg.RollbackStrategy) {
			t.Fatalf("bad strategy loaded: %q", cfg.RollbackStrategy)
		}
	})
}

func TestConfigFileAsWrittenInTheIssue(t *testing.T) {
	cfg := &Config{Root: "/project", Keep: 3}
	err := ApplyFile(cfg, `preset = "ash_sqlite"                 # ash_sqlite | ash_postgres | ecto
mix = "mix"                           # the mix command line; REGEN_MIX overrides it
[[repos]]
name = "repo"
migrations = "priv/repo/migrations"
snapshots = "priv/resource_snapshots/repo"
database = "my_app_dev.db"            # SQLite path relative to the project root
`)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Preset != "ash_sqlite" || len(cfg.Mix) != 1 || cfg.Mix[0] != "mix" || len(cfg.Repos) != 1 {
		t.Fatalf("%+v", cfg)
	}
	r := cfg.Repos[0]
	if r.Name != "repo" || r.Migrations != "priv/repo/migrations" || r.Snapshots != "priv/resource_snapshots/repo" || r.Database != "my_app_dev.db" {
		t.Fatalf("%+v", r)
	}
}

func TestConfigErrorsNameTheLine(t *testing.T) {
	for src, want := range map[string]string{
		"preset = ash_sqlite\n": "strings need quotes",
		"\n\nfoo = 1\n":         "line 3",
		"[repos]\n":             "unknown table",
		"[[repos]]\nname = \"a\"\n[[repos]]\nname = \"a\"\n": "two repos are named",
		"rollback_strategy = \"up\"\n":                       "auto",
		"x = \"unterminated\n":                               "unterminated",
		"[commands]\ncodegen = \"mix ash.codegen\"\n":        "{name}",
	} {
		cfg := &Config{Root: "/p", Keep: 3}
		err := ApplyFile(cfg, src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want an error mentioning %q, got %v", src, want, err)
		}
	}
}

func TestConfigCommandTemplates(t *testing.T) {
	cfg := &Config{Root: "/p", Keep: 3}
	err := ApplyFile(cfg, `[commands]
check = "{mix} ash.codegen --check --domains Blog"
tenant_rollback = "{mix} ecto.rollback --prefix {prefix} --migrations-path {dir} --all"
remigrate = "docker compose exec app mix ecto.migrate --migrations-path {dir}"
`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Check, " ") != "{mix} ash.codegen --check --domains Blog" || len(cfg.TenantRollback) != 7 || cfg.Remigrate[0] != "docker" {
		t.Fatalf("%q %q %q", cfg.Check, cfg.TenantRollback, cfg.Remigrate)
	}
	if err := ApplyFile(&Config{}, "[commands]\ntenant_rollback = \"{mix} ecto.rollback --migrations-path {dir}\"\n"); err == nil || !strings.Contains(err.Error(), "{prefix}") {
		t.Fatalf("a tenant rollback without {prefix} must be refused: %v", err)
	}
}
