package regentest

import (
	"os"
	"path/filepath"
)

// Helpers shared by the tests of `regen check` (regen/check, its text
// renderer in cmd/regen/render) and the engine's tests that compare the
// plan with the check.

// MigrationSource is a minimal migration module for hand-written files.
func MigrationSource(module, up, down string) string {
	return "defmodule Blog.Repo.Migrations." + module + " do\n  use Ecto.Migration\n\n  def up do\n" + up + "  end\n\n  def down do\n" + down + "  end\nend\n"
}

// CommitAll stages everything and commits it.
func (p *Project) CommitAll(msg string) {
	p.T.Helper()
	p.Git("add", "-A")
	p.Git("commit", "-q", "-m", msg)
}

// FirstSnapshot returns the project path of a table's only baseline snapshot.
func (p *Project) FirstSnapshot(table string) string {
	p.T.Helper()
	dir := filepath.Join(p.Root, "priv/resource_snapshots/repo", table)
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		p.T.Fatalf("no snapshot for %s: %v", table, err)
	}
	return "priv/resource_snapshots/repo/" + table + "/" + entries[0].Name()
}
