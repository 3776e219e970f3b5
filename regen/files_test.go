package regen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file identified by the index's blob hash (never read) that changes
// during a run is seen as changed, and the compensation puts the index's
// bytes back after checking them against that hash.
func TestBlobIdentifiedFilesAreCheckedAndRestored(t *testing.T) {
	root := t.TempDir()
	rel := "priv/repo/migrations/20250101000000_a.exs"
	abs := filepath.Join(root, filepath.FromSlash(rel))
	os.MkdirAll(filepath.Dir(abs), 0o755)
	original := []byte("defmodule A do\nend\n")
	os.WriteFile(abs, original, 0o644)

	h := &fileHasher{}
	h.trustIndex(map[string]string{abs: gitBlobHash(original)})
	want, err := h.inventory(root, []string{"priv/repo/migrations"})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Files) != 1 || want.Files[0].Blob != gitBlobHash(original) || want.Files[0].SHA256 != "" {
		t.Fatalf("want a blob identity, got %+v", want.Files)
	}
	want.Files[0].Index = true

	// Unchanged: a full (sha256) inventory agrees with the blob identity.
	full, _ := inventory(root, want.Folders)
	if d := diffSets(root, want, full); len(d) != 0 {
		t.Fatalf("unchanged file reported: %v", d)
	}
	// Changed, even with the same size.
	os.WriteFile(abs, []byte("defmodule B do\nend\n"), 0o644)
	full, _ = inventory(root, want.Folders)
	if d := diffSets(root, want, full); len(d) != 1 {
		t.Fatalf("changed file not reported: %v", d)
	}
	// The index's bytes come back, checked against the blob hash.
	fromIndex := func(string) ([]byte, os.FileMode, error) { return original, 0o644, nil }
	if problems := restoreFiles(root, want, t.TempDir(), t.TempDir(), fromIndex); len(problems) != 0 {
		t.Fatal(problems)
	}
	if data, _ := os.ReadFile(abs); string(data) != string(original) {
		t.Fatalf("not restored: %q", data)
	}
	// An index that no longer holds those bytes is refused, not written.
	os.WriteFile(abs, []byte("changed again"), 0o644)
	wrongIndex := func(string) ([]byte, os.FileMode, error) { return []byte("something else"), 0o644, nil }
	if problems := restoreFiles(root, want, t.TempDir(), t.TempDir(), wrongIndex); len(problems) != 1 {
		t.Fatalf("want one problem, got %v", problems)
	}
	if data, _ := os.ReadFile(abs); string(data) != "changed again" {
		t.Fatal("a file was overwritten with unverified bytes")
	}
	// The hasher's later inventories in the run see the change by stat.
	later, _ := h.inventory(root, want.Folders)
	if later.Files[0].Blob != "" || later.Files[0].SHA256 == "" {
		t.Fatalf("a changed file kept its blob identity: %+v", later.Files[0])
	}
}

// Folders that nest (or are named unclean) inventory each entry once, under
// the path filepath.Rel gives it.
func TestInventoryOfNestedAndUncleanFolders(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"priv/repo/migrations/1_a.exs", "priv/repo/migrations/sub/2_b.exs", "priv/snap/x.json"} {
		p := filepath.Join(root, filepath.FromSlash(f))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(f), 0o644)
	}
	want := []string{"priv/repo/migrations/1_a.exs", "priv/repo/migrations/sub/2_b.exs", "priv/snap/x.json"}
	for _, folders := range [][]string{
		{"priv/repo/migrations", "priv/snap"},
		{"priv/repo/migrations", "priv/repo/migrations/sub", "priv/snap"},
		{"priv/repo/migrations/sub", "priv", "priv/snap"},
		{"./priv/repo/migrations", "priv/snap/"},
	} {
		set, err := (&fileHasher{}).inventory(root, folders)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range set.Files {
			if f.SHA256 == "" || f.Size == 0 {
				t.Fatalf("%v: %s has no hash or size", folders, f.Path)
			}
			got = append(got, f.Path)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("folders %v: inventory %v, want %v", folders, got, want)
		}
	}
}
