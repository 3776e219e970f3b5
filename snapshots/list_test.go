package snapshots

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestListSQLiteFixture(t *testing.T) {
	files, stray, err := List(snapshotRoot(t, "ash_sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	if len(stray) != 0 {
		t.Errorf("stray = %v, want none", stray)
	}
	want := []File{
		{Path: "comments/20261121234824.json", Table: "comments", Timestamp: "20261121234824", Kind: KindSnapshot},
		{Path: "posts/20261121234825.json", Table: "posts", Timestamp: "20261121234825", Kind: KindSnapshot},
		{Path: "posts/20261122000124.json", Table: "posts", Timestamp: "20261122000124", Kind: KindSnapshot},
		{Path: "posts/20261122000132_dev.json", Table: "posts", Timestamp: "20261122000132", Dev: true, Kind: KindSnapshot},
		{Path: "tags/20261122000125.json", Table: "tags", Timestamp: "20261122000125", Kind: KindSnapshot},
	}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("List:\n got %+v\nwant %+v", files, want)
	}

	latest := Latest(files)
	if len(latest) != 3 {
		t.Fatalf("Latest has %d tables, want 3: %+v", len(latest), latest)
	}
	if got := latest["posts"]; got.Path != "posts/20261122000132_dev.json" || !got.Dev {
		t.Errorf("latest posts = %+v, want the _dev file", got)
	}
	if got := latest["tags"].Path; got != "tags/20261122000125.json" {
		t.Errorf("latest tags = %s", got)
	}
}

func TestListPostgresFixture(t *testing.T) {
	files, stray, err := List(snapshotRoot(t, "ash_postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if len(stray) != 0 {
		t.Errorf("stray = %v", stray)
	}
	var ext, snaps int
	for _, f := range files {
		switch f.Kind {
		case KindExtensions:
			ext++
			if f.Path != "extensions.json" || f.Table != "" || f.Key() != "extensions.json" {
				t.Errorf("extensions file = %+v", f)
			}
		case KindSnapshot:
			snaps++
		}
	}
	if ext != 1 || snaps != 2 {
		t.Errorf("got %d extensions files and %d snapshots, want 1 and 2: %+v", ext, snaps, files)
	}
	latest := Latest(files)
	if _, ok := latest["extensions.json"]; ok {
		t.Error("Latest must skip extensions.json")
	}
	if len(latest) != 2 || latest["posts"].Table != "posts" || latest["comments"].Table != "comments" {
		t.Errorf("Latest = %+v", latest)
	}
}

func TestListTenantFixture(t *testing.T) {
	files, stray, err := List(snapshotRoot(t, "ash_postgres_tenants"))
	if err != nil {
		t.Fatal(err)
	}
	want := []File{{Path: "tenants/notes/20261122000924.json", Table: "notes", Tenant: true, Timestamp: "20261122000924", Kind: KindSnapshot}}
	if !reflect.DeepEqual(files, want) || len(stray) != 0 {
		t.Errorf("List = %+v stray %v, want %+v", files, stray, want)
	}
	if got := Latest(files); got["tenants/notes"].Path != want[0].Path {
		t.Errorf("Latest = %+v, want key tenants/notes", got)
	}
}

func TestListMissingRoot(t *testing.T) {
	files, stray, err := List(filepath.Join(t.TempDir(), "nope"))
	if err != nil || files != nil || stray != nil {
		t.Errorf("List(missing) = %v, %v, %v; want empty and no error", files, stray, err)
	}
}

func TestListRootNotADirectory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "file")
	mustWrite(t, p, "x")
	if _, _, err := List(p); err == nil {
		t.Error("List on a regular file: want an error")
	}
}

func TestListLayoutsAndStrays(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{
		"posts/20261121234825.json",
		"posts/20261121234825_dev.json",
		"public.accounts/20261121234826.json",
		"tenants/notes/20261122000924.json",
		"tenants/org.notes/20261122000925.json",
		"extensions.json",
		// strays
		".DS_Store",
		"posts/.20261121234825.json.swp",
		"posts/20261121234825.json~",
		"posts/2026112123482.json", // 13 digits
		"posts/initial.json",       // pre-2.0 AshPostgres layout
		"posts.json",               // even older: one file per table
		"posts/deep/20261121234825.json",
		"tenants/20261121234825.json", // a table named "tenants", see below
		".json/20261121234825.json",   // empty schema before the dot
	} {
		mustWrite(t, filepath.Join(root, filepath.FromSlash(p)), "{}")
	}
	files, stray, err := List(root)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	if f := byPath["public.accounts/20261121234826.json"]; f.Schema != "public" || f.Table != "accounts" || f.Key() != "public.accounts" {
		t.Errorf("schema layout = %+v", f)
	}
	if f := byPath["tenants/org.notes/20261122000925.json"]; !f.Tenant || f.Schema != "org" || f.Table != "notes" {
		t.Errorf("tenant schema layout = %+v", f)
	}
	// A table really named "tenants" keeps working: its files sit directly
	// in the folder, tenant snapshots one level deeper.
	if f := byPath["tenants/20261121234825.json"]; f.Table != "tenants" || f.Tenant {
		t.Errorf("table named tenants = %+v", f)
	}
	wantStray := []string{
		".DS_Store",
		".json/20261121234825.json",
		"posts.json",
		"posts/.20261121234825.json.swp",
		"posts/2026112123482.json",
		"posts/20261121234825.json~",
		"posts/deep/20261121234825.json",
		"posts/initial.json",
	}
	if !reflect.DeepEqual(stray, wantStray) {
		t.Errorf("stray:\n got %q\nwant %q", stray, wantStray)
	}
	if len(files) != 7 {
		t.Errorf("got %d files, want 7: %+v", len(files), files)
	}
	// Same timestamp: '_' sorts after '.', so the dev file is the latest.
	if got := Latest(files)["posts"].Path; got != "posts/20261121234825_dev.json" {
		t.Errorf("Latest posts = %s", got)
	}
}

func TestListDoesNotFollowSymlinks(t *testing.T) {
	outside := t.TempDir()
	mustWrite(t, filepath.Join(outside, "20261121234825.json"), "{}")
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "posts", "20261121234825.json"), "{}")
	if err := os.Symlink(outside, filepath.Join(root, "linked")); err != nil {
		t.Skipf("cannot create symlinks here: %v", err)
	}
	if err := os.Symlink(filepath.Join(outside, "20261121234825.json"), filepath.Join(root, "posts", "20261121234826.json")); err != nil {
		t.Fatal(err)
	}
	files, stray, err := List(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != "posts/20261121234825.json" {
		t.Errorf("files = %+v, want only the real file", files)
	}
	want := []string{"linked", "posts/20261121234826.json"}
	if !reflect.DeepEqual(stray, want) {
		t.Errorf("stray = %q, want %q", stray, want)
	}

	// A symlinked root is refused rather than silently followed.
	linkRoot := filepath.Join(t.TempDir(), "root")
	if err := os.Symlink(root, linkRoot); err != nil {
		t.Fatal(err)
	}
	if _, _, err := List(linkRoot); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("List(symlinked root) err = %v", err)
	}
}

func TestListCopiedFixtureWithSymlinkedTable(t *testing.T) {
	src := snapshotRoot(t, "ash_sqlite")
	root := t.TempDir()
	// Copy the real fixture, then link a foreign table folder into it.
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mustWrite(t, filepath.Join(root, rel), string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(snapshotRoot(t, "ash_postgres"), "posts"), filepath.Join(root, "pg_posts")); err != nil {
		t.Skipf("cannot create symlinks here: %v", err)
	}
	files, stray, err := List(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 5 || !reflect.DeepEqual(stray, []string{"pg_posts"}) {
		t.Errorf("files %d stray %q; want 5 files and the link as a stray", len(files), stray)
	}
}

func TestKindString(t *testing.T) {
	if KindSnapshot.String() != "snapshot" || KindExtensions.String() != "extensions" || Kind(7).String() != "Kind(7)" {
		t.Error("Kind.String")
	}
}

func mustWrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInFolderIsAshsLayoutUnderTheFolder(t *testing.T) {
	const folder = "priv/resource_snapshots/repo"
	for rel, want := range map[string]bool{
		folder + "/posts/20990101000001.json":                     true,
		folder + "/posts/20990101000001_dev.json":                 true,
		folder + "/extensions.json":                               true,
		folder + "/tenants/notes/20990101000001.json":             true,
		folder + "/public.posts/20990101000001.json":              true,
		folder + "/posts/old/20990101000001.json":                 false,
		folder + "/20990101000001.json":                           false,
		folder + "/posts/extensions.json":                         false,
		folder + "x/posts/20990101000001.json":                    false, // a sibling folder sharing the prefix
		"priv/resource_snapshots/other/posts/20990101000001.json": false,
	} {
		f, ok := InFolder(rel, folder)
		if ok != want {
			t.Errorf("InFolder(%q) = %v, want %v", rel, ok, want)
		}
		if ok && folder+"/"+f.Path != rel {
			t.Errorf("InFolder(%q).Path = %q, want it relative to the folder", rel, f.Path)
		}
	}
}
