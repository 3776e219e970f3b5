package regen

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The inventory taken while the last steps run is the one taken at the
// commit, and verify's names from it are listFiles': symlinks and files in
// subfolders included, nothing followed.
func TestAfterInventoryIsTheCommitsInventory(t *testing.T) {
	root := t.TempDir()
	mig := filepath.Join(root, "priv", "repo", "migrations")
	os.MkdirAll(filepath.Join(mig, "sub"), 0o755)
	os.WriteFile(filepath.Join(mig, "20250101000000_a.exs"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(mig, "sub", "20250101000001_b.exs"), []byte("b"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(mig, "20250101000002_c.exs"))
	folders := []string{"priv/repo/migrations"}
	e := &Engine{hashes: &fileHasher{}}
	tx := &txn{e: e, root: root, j: &Journal{Root: root, Files: FileSet{Folders: folders}}}
	tx.startAfterInventory([]Step{{Name: stepKeepData, KeepsFiles: true}, {Name: stepVerify, KeepsFiles: true}})
	if tx.after == nil {
		t.Fatal("no background inventory with only database steps left")
	}
	names, err := tx.migrationNames("priv/repo/migrations")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := listFiles(root, folders)
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("names %v, listFiles %v", names, want)
	}
	got, err := tx.afterInventory(root, folders)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := inventory(root, folders)
	if d := diffSets(root, now, got); len(d) != 0 || len(got.Files) != 3 {
		t.Fatalf("background inventory differs from one taken now: %v (%d files)", d, len(got.Files))
	}
}

// Not while a step left may change files, nor when a SQLite database is
// inside an inventoried folder (keep_data writes it).
func TestAfterInventoryWaitsForFiles(t *testing.T) {
	root := t.TempDir()
	folders := []string{"priv/repo/migrations"}
	e := &Engine{hashes: &fileHasher{}}
	tx := &txn{e: e, root: root, j: &Journal{Root: root, Files: FileSet{Folders: folders}}}
	tx.startAfterInventory([]Step{{Name: stepMigrate}, {Name: stepVerify, KeepsFiles: true}})
	if tx.after != nil {
		t.Fatal("started with migrate still to run")
	}
	for db, inside := range map[string]bool{
		filepath.Join(root, "blog_dev.db"):                              false,
		filepath.Join(root, "priv", "repo", "migrations", "dev.db"):     true,
		"priv/repo/migrations/nested/dev.db":                            true,
		filepath.Join(root, "priv", "repo", "migrations_other", "x.db"): false,
	} {
		tx.j.Repos = []RepoRecord{{Kind: KindSQLite, Database: db}}
		if got := tx.databaseInFolders(); got != inside {
			t.Errorf("database %s: in the folders %v, want %v", db, got, inside)
		}
	}
	tx.j.Repos = []RepoRecord{{Kind: KindSQLite, Database: filepath.Join(root, "priv", "repo", "migrations", "dev.db")}}
	tx.startAfterInventory(nil)
	if tx.after != nil {
		t.Fatal("started with the database inside a folder keep_data writes")
	}
}
