package regen

import (
	"context"
	"fmt"
	"github.com/regen-tool/regen/regen/project"
	"os"
	"path/filepath"
	"strings"
)

// InitConfig renders a .regen.toml from what regen detects (and, for the
// databases, what the project's config says). A PostgreSQL password is
// left out: put it in DATABASE_URL, PGPASSWORD or ~/.pgpass.
func (e *Engine) InitConfig(ctx context.Context) (path, text string, err error) {
	proj, err := e.loadProject(ctx)
	if err != nil {
		return "", "", err
	}
	cfg := proj.cfg
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `regen init` from what it detected; every key is optional.\n")
	fmt.Fprintf(&b, "preset = %q\n", cfg.Preset)
	if cfg.MixFrom != "REGEN_MIX" {
		fmt.Fprintf(&b, "mix = %q\n", strings.Join(cfg.Mix, " "))
	} else {
		fmt.Fprintf(&b, "mix = \"mix\"  # REGEN_MIX is set in this shell and overrides it\n")
	}
	for _, r := range cfg.Repos {
		fmt.Fprintf(&b, "\n[[repos]]\nname = %q\n", r.Name)
		if r.Module != "" {
			fmt.Fprintf(&b, "module = %q\n", r.Module)
		}
		fmt.Fprintf(&b, "migrations = %q\n", r.Migrations)
		if r.Snapshots != "" {
			fmt.Fprintf(&b, "snapshots = %q\n", r.Snapshots)
		}
		if r.TenantMigrations != "" {
			fmt.Fprintf(&b, "tenant_migrations = %q\n", r.TenantMigrations)
		}
		db := r.Database
		if r.Adapter == "postgres" {
			db = withoutPassword(db)
		} else if rel, err := filepath.Rel(cfg.Root, db); err == nil && !strings.HasPrefix(rel, "..") {
			db = filepath.ToSlash(rel)
		}
		fmt.Fprintf(&b, "database = %q\n", db)
		if r.MigrationSource != "" && r.MigrationSource != "schema_migrations" {
			fmt.Fprintf(&b, "migration_source = %q\n", r.MigrationSource)
		}
	}
	if err := project.CheckTOML(b.String()); err != nil {
		return "", "", fmt.Errorf("internal: the generated config does not parse: %w", err)
	}
	return filepath.Join(cfg.Root, project.FileName), b.String(), nil
}

// WriteNewFile creates path with data, refusing to replace an existing file
// unless force; the write is atomic.
func WriteNewFile(path string, data []byte, force bool) error {
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return &InputError{What: path + " already exists.", Next: "Edit it, or run `regen init --force` to replace it."}
		}
	}
	return writeFileAtomic(path, data, 0o644)
}
