package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// The plan says beforehand what would make a run fail in codegen or
// migrate; the run (and --dry-run) then refuse before changing anything.

// planFeature is the feature of featureOf plus a second untracked, applied
// migration (add_views), so that one of them can be broken.
func planFeature(t *testing.T, kind string) *regentest.Project {
	t.Helper()
	p := featureOf(t, kind)
	p.Mix("ash.codegen", "add_views")
	p.Mix("ash.migrate")
	return p
}

func glob1(t *testing.T, root, pattern string) string {
	t.Helper()
	ms, _ := filepath.Glob(filepath.Join(root, pattern))
	if len(ms) != 1 {
		t.Fatalf("%s: %v", pattern, ms)
	}
	return ms[0]
}

func mustContain(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Fatalf("%s should say %q:\n%s", what, w, out)
		}
	}
}

// refusesBeforeAnyChange: status names the problem (exit 0) and ends with
// what to do; --dry-run and the run refuse with it, exit 2, nothing changed.
func refusesBeforeAnyChange(t *testing.T, p *regentest.Project, runArgs []string, wants ...string) {
	t.Helper()
	before := p.Capture()
	st, code := p.Regen("status")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, st)
	}
	mustContain(t, "status", st, append([]string{"WOULD FAIL", "refuses before changing anything", "next: fix what a run would fail on"}, wants...)...)
	mustSame(t, before, p.Capture())
	runRefuses(t, p, runArgs, wants...)
}

// runRefuses: --dry-run and the run refuse, naming the problem, exit 2,
// before the transaction starts; nothing changed.
func runRefuses(t *testing.T, p *regentest.Project, runArgs []string, wants ...string) {
	t.Helper()
	before := p.Capture()
	dry, code := p.Regen(append(append([]string{}, runArgs...), "--dry-run")...)
	if code != 2 {
		t.Fatalf("--dry-run: exit %d, want 2\n%s", code, dry)
	}
	mustContain(t, "--dry-run", dry, append([]string{"Nothing was changed."}, wants...)...)
	mustSame(t, before, p.Capture())
	out, code := p.Regen(runArgs...)
	if code != 2 {
		t.Fatalf("run: exit %d, want 2\n%s", code, out)
	}
	mustContain(t, "the run", out, append([]string{"the run would fail in codegen or migrate", "Nothing was changed."}, wants...)...)
	if strings.Contains(out, "▸ backup") {
		t.Fatalf("the run started its transaction:\n%s", out)
	}
	mustSame(t, before, p.Capture())
}

func TestReliabilityPlanOrphanedVersion(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			p := planFeature(t, kind)
			f := glob1(t, p.Root, "priv/repo/migrations/*_add_subtitle.exs")
			v := strings.SplitN(filepath.Base(f), "_", 2)[0]
			os.Remove(f) // deleted by hand, still applied
			refusesBeforeAnyChange(t, p, []string{"again", "-m"},
				"version "+v+" is applied but its migration file is gone",
				"DELETE FROM schema_migrations WHERE version = "+v+";")
		})
	}
}

func TestReliabilityPlanSymlinkedMigration(t *testing.T) {
	outside := t.TempDir()
	for _, c := range []struct{ name, want string }{
		{"applied", "It is applied: the run could not roll it back"},
		{"not_applied", "It is not applied: migrate would apply it"},
		{"dangling", "its target does not exist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := featureOf(t, regentest.SQLite)
			p.Mix("ash.codegen", "add_views")
			if c.name != "not_applied" {
				p.Mix("ash.migrate")
			}
			f := glob1(t, p.Root, "priv/repo/migrations/*_add_views.exs")
			target := filepath.Join(outside, c.name+"-"+filepath.Base(f))
			if err := os.Rename(f, target); err != nil {
				t.Fatal(err)
			}
			if c.name == "dangling" {
				os.Remove(target)
			}
			if err := os.Symlink(target, f); err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(p.Root, f)
			wants := []string{rel + " is a symlink to " + target, "regen never follows symlinks", c.want}
			if c.name == "dangling" {
				wants = append(wants, "`rm "+rel+"`")
			} else {
				wants = append(wants, "`rm "+rel+" && cp "+target+" "+rel+"`")
			}
			refusesBeforeAnyChange(t, p, []string{"again", "-m"}, wants...)
		})
	}
}

func TestReliabilityPlanSparseCheckoutWithoutSnapshots(t *testing.T) {
	p := feature(t)
	p.Git("sparse-checkout", "set", "--no-cone", "/*", "!/priv/resource_snapshots/")
	if _, err := os.Stat(filepath.Join(p.Root, "priv/resource_snapshots/repo/comments")); !os.IsNotExist(err) {
		t.Fatalf("the sparse checkout kept the snapshots: %v", err)
	}
	refusesBeforeAnyChange(t, p, []string{"add_subtitle_and_views", "-m"},
		"2 tracked file(s) under priv/resource_snapshots/repo are not in the work tree", "the sparse checkout leaves them out",
		"`git sparse-checkout add priv/resource_snapshots/repo`")
	// The fix named works: with the folder back, the run goes through.
	p.Git("sparse-checkout", "add", "/priv/resource_snapshots/")
	if out, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
		t.Fatalf("after the fix: exit %d\n%s", code, out)
	}
}

func TestReliabilityPlanSkipWorktreeSnapshots(t *testing.T) {
	p := feature(t)
	files := strings.Fields(p.Git("ls-files", "priv/resource_snapshots"))
	p.Git(append([]string{"update-index", "--skip-worktree", "--"}, files...)...)
	for _, f := range files {
		if err := os.Remove(filepath.Join(p.Root, f)); err != nil {
			t.Fatal(err)
		}
	}
	refusesBeforeAnyChange(t, p, []string{"add_subtitle_and_views", "-m"},
		"2 tracked file(s) under priv/resource_snapshots/repo are not in the work tree", "marked skip-worktree",
		"`git ls-files -z -- priv/resource_snapshots/repo | xargs -0 git update-index --no-skip-worktree --` and then `git checkout -- priv/resource_snapshots/repo`")
	// The fix named works (a test may use a shell; regen never does).
	fix := exec.Command("sh", "-c", "git ls-files -z -- priv/resource_snapshots/repo | xargs -0 git update-index --no-skip-worktree -- && git checkout -- priv/resource_snapshots/repo")
	fix.Dir, fix.Env = p.Root, append(os.Environ(), p.GitEnv()...)
	if out, err := fix.CombinedOutput(); err != nil {
		t.Fatalf("the fix: %v\n%s", err, out)
	}
	if out, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
		t.Fatalf("after the fix: exit %d\n%s", code, out)
	}
}

func TestReliabilityPlanMalformedSnapshot(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			p := featureOf(t, kind)
			f := glob1(t, p.Root, "priv/resource_snapshots/repo/comments/*.json")
			p.Write(filepath.ToSlash(mustRel(t, p.Root, f)), "{\"attributes\": [")
			p.Git("commit", "-qam", "a bad merge")
			refusesBeforeAnyChange(t, p, []string{"add_subtitle_and_views", "-m"},
				mustRel(t, p.Root, f)+" is the newest snapshot of table comments", "is not valid JSON", "git checkout COMMIT -- ")
		})
	}
}

// A tracked snapshot garbled only in the work tree is no problem: the run
// puts the index's content back before codegen.
func TestReliabilityPlanMalformedSnapshotTheRunRestores(t *testing.T) {
	p := feature(t)
	f := glob1(t, p.Root, "priv/resource_snapshots/repo/comments/*.json")
	p.Write(mustRel(t, p.Root, f), "{garbled")
	st, code := p.Regen("status")
	if code != 0 || strings.Contains(st, "WOULD FAIL") || !strings.Contains(st, "will restore") {
		t.Fatalf("status: exit %d\n%s", code, st)
	}
	if out, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
}

func TestReliabilityPlanSymlinkedSnapshot(t *testing.T) {
	p := feature(t)
	src := glob1(t, p.Root, "priv/resource_snapshots/repo/comments/*.json")
	target := filepath.Join(t.TempDir(), "snap.json")
	data, _ := os.ReadFile(src)
	os.WriteFile(target, data, 0o644)
	link := filepath.Join(filepath.Dir(src), "29991231235959.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	refusesBeforeAnyChange(t, p, []string{"add_subtitle_and_views", "-m"},
		"priv/resource_snapshots/repo/comments/29991231235959.json is the newest snapshot of table comments", "a symlink to "+target)
}

func TestReliabilityPlanUnreadableMigration(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file; the permission case needs another user")
	}
	p := planFeature(t, regentest.SQLite)
	f := glob1(t, p.Root, "priv/repo/migrations/*_add_views.exs")
	fi, _ := os.Stat(f)
	before := p.Capture() // Capture reads every file: taken while readable
	os.Chmod(f, 0)
	t.Cleanup(func() { os.Chmod(f, fi.Mode().Perm()) })
	wants := []string{"cannot be read", "`chmod u+r " + mustRel(t, p.Root, f) + "`"}
	st, code := p.Regen("status")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, st)
	}
	mustContain(t, "status", st, append([]string{"WOULD FAIL"}, wants...)...)
	for _, args := range [][]string{{"again", "-m", "--dry-run"}, {"again", "-m"}} {
		out, code := p.Regen(args...)
		if code != 2 || strings.Contains(out, "▸ backup") {
			t.Fatalf("regen %v: exit %d, want 2 before any change\n%s", args, code, out)
		}
		mustContain(t, "the run", out, append([]string{"Nothing was changed."}, wants...)...)
	}
	os.Chmod(f, fi.Mode().Perm())
	mustSame(t, before, p.Capture())
}

// A tracked migration deleted from the work tree: Ecto does not see it. The
// plan says so with the command that brings it back; the run needs it only
// when it rolls it back (--force) or rebuilds, and then refuses.
func TestReliabilityPlanDeletedTrackedMigration(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			p := teammateFeature(t, kind)
			f := glob1(t, p.Root, "priv/repo/migrations/*_add_tags.exs")
			rel := mustRel(t, p.Root, f)
			os.Remove(f)
			before := p.Capture()
			st, code := p.Regen("status")
			if code != 0 {
				t.Fatalf("status: exit %d\n%s", code, st)
			}
			mustContain(t, "status", st, rel+" is tracked but deleted from the work tree", "fix: `git checkout -- "+rel+"`")
			runRefuses(t, p, []string{"add_subtitle_and_views", "-m", "--force", "--yes"},
				"rolls it back and applies it again (--force), which needs the file", "`git checkout -- "+rel+"`")
			mustSame(t, before, p.Capture())
		})
	}
}

// An applied version with no file, older than the tracked history: the run
// leaves it (Ecto skips it), but a rebuild cannot recreate it.
func TestReliabilityPlanOrphanBlocksOnlyARebuild(t *testing.T) {
	p := feature(t)
	p.SQL(`INSERT INTO schema_migrations (version, inserted_at) VALUES (20200101000000, '2020-01-01T00:00:00')`)
	st, code := p.Regen("status")
	if code != 0 || strings.Contains(st, "WOULD FAIL") {
		t.Fatalf("status: exit %d\n%s", code, st)
	}
	mustContain(t, "status", st, "version 20200101000000 is applied and has no migration file", "the run leaves it applied")
	runRefuses(t, p, []string{"add_subtitle_and_views", "-m", "--rollback", "rebuild"},
		"this run rebuilds the database from the tracked migrations, and cannot recreate this version's schema", "--rollback down")
}

// The folders must be folders: refused at load, before anything.
func TestReliabilityPlanFolderIsAFile(t *testing.T) {
	for _, folder := range []string{"priv/repo/migrations", "priv/resource_snapshots"} {
		t.Run(filepath.Base(folder), func(t *testing.T) {
			p := feature(t)
			abs := filepath.Join(p.Root, folder)
			os.RemoveAll(abs)
			os.WriteFile(abs, []byte("oops\n"), 0o644)
			before := p.Capture()
			for _, args := range [][]string{{"status"}, {"add_subtitle_and_views", "-m", "--dry-run"}, {"add_subtitle_and_views", "-m"}} {
				out, code := p.Regen(args...)
				if code != 2 || !strings.Contains(out, "is not a folder") || !strings.Contains(out, "Nothing was changed.") {
					t.Fatalf("regen %v: exit %d\n%s", args, code, out)
				}
			}
			mustSame(t, before, p.Capture())
		})
	}
}

func mustRel(t *testing.T, root, f string) string {
	t.Helper()
	rel, err := filepath.Rel(root, f)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}

// teammateFeature: an untracked, applied add_subtitle, then a teammate's
// tracked migration add_tags (a table with three rows) applied after it,
// and the views change pending. Without --force the run is blocked.
func teammateFeature(t *testing.T, kind string) *regentest.Project {
	t.Helper()
	p := regentest.NewProjectOf(t, kind)
	postFor := func(extra ...string) string {
		return p.Resource("Post", "posts", append(append([]string{}, baseAttrs...), extra...), nil)
	}
	p.Write("lib/blog/post.ex", postFor("attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	untracked := p.Untracked("priv")
	p.Write("lib/blog/tag.ex", p.Resource("Tag", "tags", []string{"attribute :label, :string, allow_nil?: false, public?: true"}, nil))
	p.Mix("ash.codegen", "add_tags")
	p.Mix("ash.migrate")
	p.Git("add", "lib/blog/tag.ex", glob1Rel(t, p.Root, "priv/repo/migrations/*_add_tags.exs"), "priv/resource_snapshots/repo/tags")
	p.Git("commit", "-q", "-m", "teammate: tags")
	if got := p.Untracked("priv"); fmt.Sprint(got) != fmt.Sprint(untracked) {
		t.Fatalf("the teammate's commit took feature files: %v vs %v", got, untracked)
	}
	p.SQL(`INSERT INTO tags (id, label) VALUES ('00000000-0000-0000-0000-0000000000a1', 'go'), ('00000000-0000-0000-0000-0000000000a2', 'sql'), ('00000000-0000-0000-0000-0000000000a3', 'ash')`)
	p.Write("lib/blog/post.ex", postFor("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	return p
}

func glob1Rel(t *testing.T, root, pattern string) string {
	t.Helper()
	return mustRel(t, root, glob1(t, root, pattern))
}

// --force rolls a teammate's tracked migration back and applies it again:
// the dry run names its table and how many rows it has now, and the run
// then does what it said.
func TestReliabilityForceDryRunNamesDroppedRows(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			p := teammateFeature(t, kind)
			mig := glob1Rel(t, p.Root, "priv/repo/migrations/*_add_tags.exs")
			before := p.Capture()
			if st, _ := p.Regen("status"); !strings.Contains(st, "next: roll back the tracked migrations by hand, or `regen <name> -m --force`") || !strings.Contains(st, "table tags (3 row(s) now)") {
				t.Fatalf("status should name --force as the way on:\n%s", st)
			}
			out, code := p.Regen("add_subtitle_and_views", "-m", "--force", "--dry-run")
			if code != 0 {
				t.Fatalf("--dry-run: exit %d\n%s", code, out)
			}
			mustContain(t, "--force --dry-run", out, "--force drops", "table tags (3 row(s) now): created by the tracked "+mig+"; rolled back, it is re-created empty and keep_data puts its rows back from the backup (not with --no-keep-data)")
			mustSame(t, before, p.Capture())
			js, err := p.RegenCmd("status", "--json").Output()
			if err != nil {
				t.Fatal(err)
			}
			var st struct {
				Plan struct {
					Repos []struct {
						BlockedBy []json.RawMessage `json:"blocked_by"`
					} `json:"repos"`
				} `json:"plan"`
			}
			if err := json.Unmarshal(js, &st); err != nil || len(st.Plan.Repos[0].BlockedBy) != 1 {
				t.Fatalf("status --json: %v %s", err, js)
			}
			out, code = p.Regen("add_subtitle_and_views", "-m", "--force", "--yes")
			if code != 0 {
				t.Fatalf("--force: exit %d\n%s", code, out)
			}
			// Both keep them (issue 12's keep_data step; the plan says so
			// under "keep data"): SQLite from the backup, PostgreSQL from
			// the template copy.
			if n := p.Count("tags"); n != 3 {
				t.Fatalf("tags has %d rows after --force, want the 3 from before", n)
			}
		})
	}
}

// 10,000 untracked snapshot files: status, the run and undo print a
// screenful each and count the rest (--verbose lists all); status --json
// lists every one; undo gives everything back.
func TestReliabilityListingsAreSummarised(t *testing.T) {
	const n = 10000
	p := feature(t)
	dir := filepath.Join(p.Root, "priv", "resource_snapshots", "repo", "posts")
	data, err := os.ReadFile(glob1(t, p.Root, "priv/resource_snapshots/repo/comments/*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("2001%010d.json", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := p.Capture()
	summary := "… and 9,982 more (use --verbose to list all)" // 10,002 files to remove, 20 shown
	out, code := p.Regen("status")
	if code != 0 || strings.Count(out, "\n") > 120 || !strings.Contains(out, summary) || !strings.Contains(out, "next: `regen <name> -m`") {
		t.Fatalf("status: exit %d, %d lines\n%s", code, strings.Count(out, "\n"), out)
	}
	js, err := p.RegenCmd("status", "--json").Output()
	var st struct {
		Plan struct {
			Repos []struct {
				Remove []string `json:"remove"`
			} `json:"repos"`
		} `json:"plan"`
	}
	if err != nil || json.Unmarshal(js, &st) != nil || len(st.Plan.Repos[0].Remove) != n+2 {
		t.Fatalf("status --json: %v, %d files", err, len(st.Plan.Repos))
	}
	out, code = p.Regen("add_subtitle_and_views", "-m")
	if code != 0 || strings.Count(out, "\n") > 200 || !strings.Contains(out, summary) {
		t.Fatalf("run: exit %d, %d lines\n%s", code, strings.Count(out, "\n"), out)
	}
	out, code = p.Regen("undo")
	if code != 0 || strings.Count(out, "\n") > 100 || !strings.Contains(out, "more (use --verbose to list all)") {
		t.Fatalf("undo: exit %d, %d lines\n%s", code, strings.Count(out, "\n"), out)
	}
	mustSame(t, before, p.Capture())
}

// A merge left a snapshot with conflict markers: codegen would fail on it.
func TestReliabilityPlanMergeConflictInSnapshot(t *testing.T) {
	p := feature(t)
	snap := glob1Rel(t, p.Root, "priv/resource_snapshots/repo/comments/*.json")
	orig, _ := os.ReadFile(filepath.Join(p.Root, snap))
	p.Git("checkout", "-q", "-b", "other")
	p.Write(snap, strings.Replace(string(orig), "{", "{\"other\": 1, ", 1))
	p.Git("commit", "-qam", "other")
	p.Git("checkout", "-q", "main")
	p.Write(snap, strings.Replace(string(orig), "{", "{\"mine\": 1, ", 1))
	p.Git("commit", "-qam", "mine")
	merge := exec.Command("git", "merge", "-q", "other")
	merge.Dir, merge.Env = p.Root, append(os.Environ(), p.GitEnv()...)
	if out, err := merge.CombinedOutput(); err == nil {
		t.Fatalf("the merge should conflict:\n%s", out)
	}
	refusesBeforeAnyChange(t, p, []string{"add_subtitle_and_views", "-m"},
		snap+" has an unresolved merge conflict", "`git checkout --theirs -- "+snap+"`")
}

// Two tracked migrations with one version: Ecto refuses to migrate, so a
// run with -m refuses first; without -m the run does not migrate and goes.
func TestReliabilityPlanDuplicateVersion(t *testing.T) {
	p := feature(t)
	first := glob1Rel(t, p.Root, "priv/repo/migrations/*_initial_blog.exs")
	v := strings.SplitN(filepath.Base(first), "_", 2)[0]
	data, _ := os.ReadFile(filepath.Join(p.Root, first))
	dup := "priv/repo/migrations/" + v + "_initial_blog_copy.exs"
	p.Write(dup, strings.Replace(string(data), "InitialBlog", "InitialBlogCopy", 1))
	p.Git("add", dup)
	p.Git("commit", "-qm", "a bad cherry-pick")
	st, code := p.Regen("status")
	if code != 0 || strings.Contains(st, "WOULD FAIL") {
		t.Fatalf("status: exit %d\n%s", code, st)
	}
	mustContain(t, "status", st, "have the same version "+v, "a run with -m would fail at migrate")
	runRefuses(t, p, []string{"add_subtitle_and_views", "-m"}, "have the same version "+v, "`git mv "+dup)
	if out, code := p.Regen("add_subtitle_and_views"); code != 0 {
		t.Fatalf("without -m: exit %d\n%s", code, out)
	}
}

// The snapshot codegen wrote with an untracked migration was committed
// without it: after the rollback codegen would find no changes, and the
// run would end "done" with the change and its data gone.
func TestReliabilityPlanSnapshotCommittedWithoutItsMigration(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			p := featureOf(t, kind)
			mig := glob1Rel(t, p.Root, "priv/repo/migrations/*_add_subtitle.exs")
			snaps := p.Untracked("priv/resource_snapshots")
			p.Git(append([]string{"add", "--"}, snaps...)...)
			p.Git("commit", "-qm", "snapshots only")
			refusesBeforeAnyChange(t, p, []string{"add_subtitle_and_views", "-m"},
				mig+" is untracked, but the snapshot(s) codegen wrote with it are committed", "`git rm --cached "+snaps[0])
			// The fix named works: the run regenerates the change and keeps the data.
			p.Git(append([]string{"rm", "-q", "--cached", "--"}, snaps...)...)
			if out, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
				t.Fatalf("after the fix: exit %d\n%s", code, out)
			}
			if n := p.Count("posts"); n != 1 {
				t.Fatalf("posts: %d rows", n)
			}
		})
	}
}

// --rollback rebuild on PostgreSQL would fail at the rollback step: the
// plan says so and the run refuses first.
func TestReliabilityPlanRebuildOnPostgres(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	runRefuses(t, p, []string{"add_subtitle_and_views", "-m", "--rollback", "rebuild"},
		"the rebuild strategy works on SQLite only", "`--rollback down`")
}
