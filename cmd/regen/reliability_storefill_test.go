package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// `regen undo` and `regen recover` fill regen's store as a run's commit
// does: the migration files they put back (or a finished run leaves
// applied) are in the store when they end, so a never-committed one
// deleted right after (no regen command in between) is still found there.
// Before, only the next status copied them, and a file deleted first was
// "nowhere: cannot be rolled back".

// onlyMigration is the project-relative path of the one migration whose
// name contains slug.
func onlyMigration(t *testing.T, p *regentest.Project, slug string) string {
	t.Helper()
	var found []string
	for _, m := range p.Migrations() {
		if strings.Contains(m, slug) {
			found = append(found, "priv/repo/migrations/"+m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("migrations %v: want one %s", p.Migrations(), slug)
	}
	return found[0]
}

// deletedIsInStore deletes mig (applied, never committed) and wants
// status to find its file, with its bytes, in regen's store.
func deletedIsInStore(t *testing.T, p *regentest.Project, mig string) {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(p.Root, mig))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(p.Root, mig)); err != nil {
		t.Fatal(err)
	}
	st, text := phantomStatus(t, p)
	ph := onePhantom(t, st, mig)
	if ph.Where.Source != "store" || !strings.Contains(text, "regen's store") || !storedFiles(t, p)[string(content)] {
		t.Fatalf("%s found at %+v, want regen's store with its content:\n%s", mig, ph.Where, text)
	}
}

// undo brings back the dev migration the run had rolled back and removed
// (never committed; the run's commit had dropped its store record).
func TestReliabilityUndoFillsTheStore(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			p := featureOf(t, kind)
			if out, code := p.Regen("add_subtitle_and_views", "-m", "--yes"); code != 0 {
				t.Fatalf("run: exit %d\n%s", code, out)
			}
			if out, code := p.Regen("undo"); code != 0 {
				t.Fatalf("undo: exit %d\n%s", code, out)
			}
			deletedIsInStore(t, p, onlyMigration(t, p, "_add_subtitle.exs"))
		})
	}
}

// recover finishes a run killed in its commit (verified, not yet
// remembered): the run's new migration is in the store.
func TestReliabilityRecoverFinishingARunFillsTheStore(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			p := featureOf(t, kind)
			cmd := p.RegenCmd("add_subtitle_and_views", "-m", "--yes")
			cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:before:commit")
			if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
				t.Fatalf("want SIGKILL, got %v\n%s", err, out)
			}
			if out, code := p.Regen("recover"); code != 0 || !strings.Contains(out, "finished") {
				t.Fatalf("recover: exit %d\n%s", code, out)
			}
			deletedIsInStore(t, p, onlyMigration(t, p, "_add_subtitle_and_views.exs"))
		})
	}
}

// recover finishes an undo killed in its commit (everything restored and
// verified): the migration the undo brought back is in the store.
func TestReliabilityRecoverFinishingAnUndoFillsTheStore(t *testing.T) {
	p := featureOf(t, regentest.SQLite)
	if out, code := p.Regen("add_subtitle_and_views", "-m", "--yes"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	cmd := p.RegenCmd("undo")
	cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:before:commit")
	if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
		t.Fatalf("want SIGKILL, got %v\n%s", err, out)
	}
	if out, code := p.Regen("recover"); code != 0 || !strings.Contains(out, "finished") {
		t.Fatalf("recover: exit %d\n%s", code, out)
	}
	deletedIsInStore(t, p, onlyMigration(t, p, "_add_subtitle.exs"))
}

// A store that cannot be written (a symlink where it belongs) never fails
// undo or recover, and nothing is written where the link points.
func TestReliabilityUndoRecoverStoreUnusableNeverFail(t *testing.T) {
	p := featureOf(t, regentest.SQLite)
	if out, code := p.Regen("add_subtitle_and_views", "-m", "--yes"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	store := filepath.Join(p.Root, ".git", "regen", "store")
	if err := os.RemoveAll(store); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.Symlink(outside, store); err != nil {
		t.Fatal(err)
	}
	if out, code := p.Regen("undo"); code != 0 || strings.Contains(out, "regen's store") {
		t.Fatalf("undo with an unusable store: exit %d (want 0, no store message)\n%s", code, out)
	}
	if _, err := os.Lstat(filepath.Join(p.Root, onlyMigration(t, p, "_add_subtitle.exs"))); err != nil {
		t.Fatalf("undo did not bring the migration back: %v", err)
	}
	// A run killed in its commit, finished by recover.
	cmd := p.RegenCmd("add_subtitle_and_views", "-m", "--yes")
	cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:before:commit")
	if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
		t.Fatalf("want SIGKILL, got %v\n%s", err, out)
	}
	if out, code := p.Regen("recover"); code != 0 || !strings.Contains(out, "finished") {
		t.Fatalf("recover with an unusable store: exit %d\n%s", code, out)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written through the symlink: %v", entries)
	}
}

// Tenant migrations too: the run's commit copies the tenant migration it
// applied (never committed) into the store, and undo the one it brings
// back; deleted right after, each is a tenant phantom found in the store.
func TestReliabilityStoreFilledWithTenantMigrations(t *testing.T) {
	p := regentest.NewProjectOf(t, regentest.Postgres)
	repo, _ := os.ReadFile(filepath.Join(p.Root, "lib/blog/repo.ex"))
	p.Write("lib/blog/repo.ex", strings.Replace(string(repo), "  def installed_extensions do",
		"  def all_tenants, do: [\"org_a\", \"org_b\"]\n\n  def installed_extensions do", 1))
	for _, s := range []string{"org_a", "org_b"} {
		p.SQL(`CREATE SCHEMA ` + s)
	}
	p.Write("priv/repo/tenant_migrations/.gitkeep", "")
	commitAll(p, "tenants")
	// A dev tenant migration, applied in both tenants, never committed.
	p.Write("lib/blog/note.ex", tenantNote(p))
	p.Mix("ash.codegen", "add_notes")
	p.Mix("ash.migrate", "--tenants")
	dev := ""
	tenantMigration := func() string {
		t.Helper()
		entries, _ := os.ReadDir(filepath.Join(p.Root, "priv/repo/tenant_migrations"))
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".exs") {
				return "priv/repo/tenant_migrations/" + e.Name()
			}
		}
		t.Fatal("no tenant migration")
		return ""
	}
	deletedTenantIsInStore := func(mig string) {
		t.Helper()
		content, err := os.ReadFile(filepath.Join(p.Root, mig))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(p.Root, mig)); err != nil {
			t.Fatal(err)
		}
		st, text := phantomStatus(t, p)
		tps := st.Plan.Repos[0].TenantPhantoms
		if len(tps) != 1 || tps[0].File != filepath.Base(mig) || tps[0].Where.Source != "store" || !storedFiles(t, p)[string(content)] {
			t.Fatalf("tenant phantoms %+v, want %s in regen's store with its content:\n%s", tps, filepath.Base(mig), text)
		}
		// Back, as it was.
		if err := os.WriteFile(filepath.Join(p.Root, mig), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dev = tenantMigration()
	// Regenerated (the dev one rolled back in each tenant, a new one
	// applied): the commit remembers the new one.
	p.Write("lib/blog/note.ex", tenantNote(p, "attribute :title, :string, public?: true"))
	if out, code := p.Regen("add_notes_and_title", "-m", "--yes"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	mig := tenantMigration()
	if mig == dev {
		t.Fatalf("the run did not regenerate the tenant migration %s", dev)
	}
	deletedTenantIsInStore(mig)
	// Undone: the dev one comes back, and is remembered again.
	if out, code := p.Regen("undo"); code != 0 {
		t.Fatalf("undo: exit %d\n%s", code, out)
	}
	mig = dev
	if got := tenantMigration(); got != mig {
		t.Fatalf("after undo the tenant migration is %s, want %s", got, mig)
	}
	deletedTenantIsInStore(mig)
}
