package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Ash's generators diff each table against one snapshot: among the names
// <14 digits>.json (plus <14 digits>_dev.json with --dev) the greatest, so
// the newest timestamp, whatever order the migrations ran in and whatever
// else lies in the folder.

func TestLatestSnapshotIsTheNewestTimestampedName(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{
		"20261121234825.json",
		"20261122000124.json",
		"20261122000132_dev.json",
		"notes.json",                // not a timestamp: sorts after the digits
		"zz_20261122000124.json",    // neither
		"2026112200013.json",        // 13 digits
		"202611220001999.json",      // 15 digits
		"20261122000199.json.bak",   // not .json
		"20261122000198_old.json",   // a suffix Ash does not know
		"20261122000197_dev.json.x", // not .json
	} {
		write(t, dir, n, "{}")
	}
	if err := os.Mkdir(filepath.Join(dir, "20261122000300.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		skipDev bool
		want    string
	}{{true, "20261122000124.json"}, {false, "20261122000132_dev.json"}} {
		got, err := latestSnapshotFile(dir, c.skipDev)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(got) != c.want {
			t.Errorf("skipDev=%v: latest %q, want %q", c.skipDev, filepath.Base(got), c.want)
		}
	}
	if got, err := latestSnapshotFile(filepath.Join(dir, "missing"), true); got != "" || err != nil {
		t.Errorf("no folder: %q, %v", got, err)
	}
	// Only non-snapshot names: none (codegen then creates the table).
	only := t.TempDir()
	write(t, only, "notes.json", "{}")
	if got, _ := latestSnapshotFile(only, true); got != "" {
		t.Errorf("a folder without snapshots gave %q", got)
	}
}

// The real AshSqlite posts folder (baseline, feature, --dev): the feature's
// snapshot without --dev, the dev one with it.
func TestLatestSnapshotOfTheRealFixtureFolder(t *testing.T) {
	dir := filepath.Join(fixturesDir(t), "ash_sqlite", "priv", "resource_snapshots", "repo", "posts")
	for skipDev, want := range map[bool]string{true: "20261122000124.json", false: "20261122000132_dev.json"} {
		got, err := latestSnapshotFile(dir, skipDev)
		if err != nil || filepath.Base(got) != want {
			t.Errorf("skipDev=%v: %q, %v; want %s", skipDev, got, err, want)
		}
	}
}

// After `git merge main` into a branch: the branch's posts snapshot (with
// its column) is older than main's (without it), so the check fails and the
// next codegen adds the branch's column again, as Ash does
// (ash-project/ash_postgres#102). Built here without git: main's codegen
// runs while the branch's snapshot is out of the folder, as on main.
func TestCheckFailsAfterMergingMain(t *testing.T) {
	fx := fixturesDir(t)
	post := readFile(t, filepath.Join(fx, "ash_sqlite", "post.ex"))
	post = strings.Replace(post, "    attribute :subtitle, :string, public?: true\n", "", 1)
	post = strings.Replace(post, "    attribute :views, :integer, public?: true, default: 0\n", "", 1)
	postWith := func(attrs ...string) string {
		var b strings.Builder
		for _, a := range attrs {
			b.WriteString("    attribute :" + a + ", :string, public?: true\n")
		}
		return strings.Replace(post, "    create_timestamp :inserted_at", b.String()+"    create_timestamp :inserted_at", 1)
	}
	dir := newProject(t, map[string]string{"post.ex": post, "comment.ex": readFile(t, filepath.Join(fx, "ash_sqlite", "comment.ex"))})
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "initial"))
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))

	// The branch: posts.summary, generated and applied.
	write(t, dir, "lib/app_sqlite/blog/post.ex", postWith("summary"))
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "add_summary"))
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	postsDir := filepath.Join(dir, "priv/resource_snapshots/repo/posts")
	branchSnap, _ := latestSnapshotFile(postsDir, true)

	// Main, later: posts.rating, generated against main's snapshots.
	aside := filepath.Join(t.TempDir(), "branch.json")
	if err := os.Rename(branchSnap, aside); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "lib/app_sqlite/blog/post.ex", postWith("rating"))
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "add_rating"))
	mainSnap, _ := latestSnapshotFile(postsDir, true)

	// The merge: both snapshots, both columns in the resource.
	if err := os.Rename(aside, branchSnap); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "lib/app_sqlite/blog/post.ex", postWith("summary", "rating"))
	if filepath.Base(mainSnap) <= filepath.Base(branchSnap) {
		t.Fatalf("main's snapshot %s is not newer than the branch's %s: the case proves nothing", mainSnap, branchSnap)
	}
	if got, _ := latestSnapshotFile(postsDir, true); got != mainSnap {
		t.Fatalf("latest posts snapshot %s, want main's %s", got, mainSnap)
	}
	r := mixsim(t, dir, nil, "ash.codegen", "--check")
	if r.code != 1 || !strings.Contains(r.stderr, "Pending Code Generation Detected") {
		t.Fatalf("check on the merged state: exit %d, want 1 (Ash diffs against main's snapshot)\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = mustOK(t, mixsim(t, dir, nil, "ash.codegen", "--dry-run"))
	if !strings.Contains(r.stdout, "add :summary, :text") || strings.Contains(r.stdout, "add :rating") {
		t.Errorf("the pending migration should add the branch's column again (and only it):\n%s", r.stdout)
	}
	// Taken as it comes, the re-added column fails against the database.
	mustOK(t, mixsim(t, dir, nil, "ash.migrate"))
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "after_merge"))
	if r := mixsim(t, dir, nil, "ash.migrate"); r.code == 0 || !strings.Contains(r.stdout+r.stderr, "summary") {
		t.Errorf("migrating the re-added column: exit %d, want a duplicate-column failure\n%s%s", r.code, r.stdout, r.stderr)
	}
}
