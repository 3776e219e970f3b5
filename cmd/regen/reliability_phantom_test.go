package main

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// Issue 13, phantoms: an applied version whose file left the work tree (a
// branch switch, a stash, a deletion) is listed by `regen status` with
// where its file is; regen's store covers the files git never had; an
// applied migration edited since is reported by status and check.

// statusPhantom is the part of `regen status --json` these tests read.
type statusPhantom struct {
	Version int64    `json:"version"`
	File    string   `json:"file"`
	Tenants []string `json:"tenants"`
	Where   struct {
		Source string `json:"source"`
		Ref    string `json:"ref"`
		Commit string `json:"commit"`
	} `json:"where"`
}

type statusJSON struct {
	Plan struct {
		Repos []struct {
			Orphans        []int64         `json:"orphans"`
			Phantoms       []statusPhantom `json:"phantoms"`
			TenantPhantoms []statusPhantom `json:"tenant_phantoms"`
			Edited         []struct {
				Version int64  `json:"version"`
				Path    string `json:"path"`
			} `json:"edited_after_applied"`
		} `json:"repos"`
		StoreProblem string `json:"store_problem"`
	} `json:"plan"`
}

func phantomStatus(t *testing.T, p *regentest.Project) (statusJSON, string) {
	t.Helper()
	out, err := p.RegenCmd("status", "--json").Output()
	if err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	var st statusJSON
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if len(st.Plan.Repos) != 1 {
		t.Fatalf("want one repo:\n%s", out)
	}
	if st.Plan.StoreProblem != "" {
		t.Fatalf("store problem: %s", st.Plan.StoreProblem)
	}
	text, code := p.Regen("status")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, text)
	}
	return st, text
}

// featureMigration generates and applies add_subtitle on the current
// branch and returns its path (project-relative).
func featureMigration(t *testing.T, p *regentest.Project) string {
	t.Helper()
	before := map[string]bool{}
	for _, m := range p.Migrations() {
		before[m] = true
	}
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", append(append([]string{}, baseAttrs...), "attribute :subtitle, :string, public?: true"), nil))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	for _, m := range p.Migrations() {
		if !before[m] {
			return "priv/repo/migrations/" + m
		}
	}
	t.Fatal("codegen wrote no migration")
	return ""
}

func onePhantom(t *testing.T, st statusJSON, file string) statusPhantom {
	t.Helper()
	ps := st.Plan.Repos[0].Phantoms
	if len(ps) != 1 || ps[0].File != path.Base(file) {
		t.Fatalf("phantoms %+v, want one: %s", ps, path.Base(file))
	}
	return ps[0]
}

func commitAll(p *regentest.Project, msg string) string {
	p.Git("add", "-A")
	p.Git("commit", "-qm", msg)
	return strings.TrimSpace(p.Git("rev-parse", "HEAD"))
}

// The checkout story, both databases: on main after the switch, status
// names the phantom and the branch that holds its file.
func TestReliabilityPhantomFromBranch(t *testing.T) {
	for _, kind := range []string{regentest.SQLite, regentest.Postgres} {
		t.Run(kind, func(t *testing.T) {
			p := regentest.NewProjectOf(t, kind)
			p.Git("checkout", "-qb", "feature")
			mig := featureMigration(t, p)
			tip := commitAll(p, "subtitle")
			p.Git("checkout", "-q", "main")
			if _, err := os.Lstat(filepath.Join(p.Root, mig)); err == nil {
				t.Fatalf("%s still in the work tree on main: the test proves nothing", mig)
			}
			st, text := phantomStatus(t, p)
			ph := onePhantom(t, st, mig)
			if ph.Where.Source != "git" || ph.Where.Ref != "branch feature" || ph.Where.Commit != tip {
				t.Fatalf("phantom found at %+v, want branch feature @ %s", ph.Where, tip)
			}
			if want := "branch feature @ " + tip[:7]; !strings.Contains(text, want) || !strings.Contains(text, path.Base(mig)) {
				t.Fatalf("status does not say %q for %s:\n%s", want, mig, text)
			}
			// Back on feature: no phantom.
			p.Git("checkout", "-q", "feature")
			if st, _ := phantomStatus(t, p); len(st.Plan.Repos[0].Phantoms) != 0 || len(st.Plan.Repos[0].Orphans) != 0 {
				t.Fatalf("phantoms on feature: %+v", st.Plan.Repos[0].Phantoms)
			}
		})
	}
}

// A tag holds the only commit with the file (its branch deleted, the
// reflog expired): the tag is named.
func TestReliabilityPhantomFromTag(t *testing.T) {
	p := regentest.NewProject(t)
	p.Git("checkout", "-qb", "feature")
	mig := featureMigration(t, p)
	tip := commitAll(p, "subtitle")
	p.Git("tag", "-a", "-m", "release", "v1")
	p.Git("checkout", "-q", "main")
	p.Git("branch", "-qD", "feature")
	p.Git("reflog", "expire", "--expire=all", "--all")
	ph := onePhantom(t, func() statusJSON { st, _ := phantomStatus(t, p); return st }(), mig)
	if ph.Where.Source != "git" || ph.Where.Ref != "tag v1" || ph.Where.Commit != tip {
		t.Fatalf("phantom found at %+v, want tag v1 @ %s", ph.Where, tip)
	}
}

// Work stashed with its new migration (untracked: `git stash -u`): the
// stash holds the file.
func TestReliabilityPhantomFromStash(t *testing.T) {
	p := regentest.NewProject(t)
	mig := featureMigration(t, p)
	p.Git("stash", "-u", "-q")
	st, text := phantomStatus(t, p)
	ph := onePhantom(t, st, mig)
	if ph.Where.Source != "git" || ph.Where.Ref != "stash" {
		t.Fatalf("phantom found at %+v, want the stash", ph.Where)
	}
	untracked := strings.TrimSpace(p.Git("rev-parse", "stash@{0}^3"))
	if ph.Where.Commit != untracked || !strings.Contains(text, "stash @ "+untracked[:7]) {
		t.Fatalf("phantom at %s, want the stash's untracked-files commit %s:\n%s", ph.Where.Commit, untracked, text)
	}
}

// Never committed, then deleted by hand: found in regen's store when regen
// had seen it applied, "nowhere" otherwise.
func TestReliabilityPhantomNeverCommittedStoreOrNowhere(t *testing.T) {
	for _, seen := range []bool{true, false} {
		name := "unseen"
		if seen {
			name = "seen"
		}
		t.Run(name, func(t *testing.T) {
			p := regentest.NewProject(t)
			mig := featureMigration(t, p)
			content, err := os.ReadFile(filepath.Join(p.Root, mig))
			if err != nil {
				t.Fatal(err)
			}
			if seen {
				if out, code := p.Regen("status"); code != 0 {
					t.Fatalf("status: exit %d\n%s", code, out)
				}
			}
			if err := os.Remove(filepath.Join(p.Root, mig)); err != nil {
				t.Fatal(err)
			}
			st, text := phantomStatus(t, p)
			var ph statusPhantom
			if seen {
				ph = onePhantom(t, st, mig)
			} else {
				ph = onePhantomNowhere(t, st)
			}
			switch {
			case seen && (ph.Where.Source != "store" || !strings.Contains(text, "regen's store")):
				t.Fatalf("seen phantom at %+v, want regen's store:\n%s", ph.Where, text)
			case !seen && (ph.Where.Source != "nowhere" || !strings.Contains(text, "nowhere: cannot be rolled back")):
				t.Fatalf("unseen phantom at %+v, want nowhere:\n%s", ph.Where, text)
			}
			if seen {
				// The store holds the applied bytes.
				stored := storedFiles(t, p)
				if !stored[string(content)] {
					t.Fatalf("the store does not hold %s's content", mig)
				}
			}
		})
	}
}

// onePhantomNowhere is the one phantom, whose file (not found) has no name.
func onePhantomNowhere(t *testing.T, st statusJSON) statusPhantom {
	t.Helper()
	if ps := st.Plan.Repos[0].Phantoms; len(ps) == 1 {
		return ps[0]
	}
	t.Fatalf("phantoms %+v, want one", st.Plan.Repos[0].Phantoms)
	return statusPhantom{}
}

// storedFiles reads every blob of regen's store.
func storedFiles(t *testing.T, p *regentest.Project) map[string]bool {
	t.Helper()
	dir := filepath.Join(p.Root, ".git", "regen", "store", "blobs")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("regen's store: %v", err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[string(data)] = true
	}
	return out
}

// Tenants: an applied tenant version whose tenant migration left with the
// branch is a tenant phantom, listed with its schemas and its branch.
func TestReliabilityPhantomTenants(t *testing.T) {
	p := regentest.NewProjectOf(t, regentest.Postgres)
	repo, _ := os.ReadFile(filepath.Join(p.Root, "lib/blog/repo.ex"))
	p.Write("lib/blog/repo.ex", strings.Replace(string(repo), "  def installed_extensions do",
		"  def all_tenants, do: [\"org_a\", \"org_b\"]\n\n  def installed_extensions do", 1))
	for _, s := range []string{"org_a", "org_b"} {
		p.SQL(`CREATE SCHEMA ` + s)
	}
	// main has the tenant folder (regen finds tenants by it), not the feature's migration.
	p.Write("priv/repo/tenant_migrations/.gitkeep", "")
	commitAll(p, "tenants")
	p.Git("checkout", "-qb", "feature")
	p.Write("lib/blog/note.ex", tenantNote(p))
	p.Mix("ash.codegen", "add_notes")
	p.Mix("ash.migrate", "--tenants")
	tip := commitAll(p, "notes")
	p.Git("checkout", "-q", "main")
	st, text := phantomStatus(t, p)
	tps := st.Plan.Repos[0].TenantPhantoms
	if len(tps) != 1 || tps[0].Where.Ref != "branch feature" || tps[0].Where.Commit != tip || strings.Join(tps[0].Tenants, ",") != "org_a,org_b" {
		t.Fatalf("tenant phantoms %+v, want one on branch feature @ %s in org_a, org_b", tps, tip)
	}
	if !strings.Contains(text, "tenant phantoms") || !strings.Contains(text, "branch feature @ "+tip[:7]) {
		t.Fatalf("status does not list the tenant phantom:\n%s", text)
	}
}

// Edited after applied, both databases: status lists the migration, check
// reports an edited-after-applied finding (exit 1, GitHub format too);
// with the edit undone both are quiet again.
func TestReliabilityEditedAfterApplied(t *testing.T) {
	for _, kind := range []string{regentest.SQLite, regentest.Postgres} {
		t.Run(kind, func(t *testing.T) {
			p := regentest.NewProjectOf(t, kind)
			mig := featureMigration(t, p)
			commitAll(p, "subtitle")
			if st, _ := phantomStatus(t, p); len(st.Plan.Repos[0].Edited) != 0 {
				t.Fatalf("edited before any edit: %+v", st.Plan.Repos[0].Edited)
			}
			orig, err := os.ReadFile(filepath.Join(p.Root, mig))
			if err != nil {
				t.Fatal(err)
			}
			edited := strings.Replace(string(orig), "add :subtitle", "add :sub_title", 1)
			if edited == string(orig) {
				t.Fatalf("no edit made in:\n%s", orig)
			}
			p.Write(mig, edited)
			commitAll(p, "edit an applied migration")
			st, text := phantomStatus(t, p)
			ed := st.Plan.Repos[0].Edited
			if len(ed) != 1 || ed[0].Path != mig {
				t.Fatalf("edited after applied %+v, want %s", ed, mig)
			}
			if !strings.Contains(text, "edited after applied") || !strings.Contains(text, mig) {
				t.Fatalf("status does not say it:\n%s", text)
			}
			out, code := p.Regen("check", "--codegen", "never", "--format", "json")
			if code != 1 || !strings.Contains(out, `"edited-after-applied"`) || !strings.Contains(out, mig) {
				t.Fatalf("check: exit %d, want 1 with an edited-after-applied finding for %s\n%s", code, mig, out)
			}
			out, code = p.Regen("check", "--codegen", "never", "--format", "github")
			if code != 1 || !strings.Contains(out, "edited-after-applied") || !strings.Contains(out, "file="+mig) {
				t.Fatalf("check --format github: exit %d\n%s", code, out)
			}
			p.Write(mig, string(orig))
			commitAll(p, "put it back")
			if st, _ := phantomStatus(t, p); len(st.Plan.Repos[0].Edited) != 0 {
				t.Fatalf("edited after putting it back: %+v", st.Plan.Repos[0].Edited)
			}
			if out, code := p.Regen("check", "--codegen", "never"); code != 0 {
				t.Fatalf("check after putting it back: exit %d\n%s", code, out)
			}
		})
	}
}

// An applied migration edited and then applied again (rolled back and
// migrated, or its row stamped anew) is what the database ran: not an
// edit after the fact. Both ways regen can tell: its own status between
// the rollback and the migrate (the version left the database), or a new
// inserted_at. Both databases (the stamp is read per adapter).
func TestReliabilityEditedAfterAppliedNotReportedWhenAppliedAgain(t *testing.T) {
	for _, kind := range []string{regentest.SQLite, regentest.Postgres} {
		t.Run(kind, func(t *testing.T) {
			p := regentest.NewProjectOf(t, kind)
			mig := featureMigration(t, p)
			commitAll(p, "subtitle")
			phantomStatus(t, p) // remembers what was applied
			orig, _ := os.ReadFile(filepath.Join(p.Root, mig))
			version := strings.SplitN(path.Base(mig), "_", 2)[0]

			// 1. A new inserted_at: applied again with the edited content.
			p.Write(mig, string(orig)+"# edited once\n")
			stamp := "2031-01-01 00:00:00"
			p.SQL(`UPDATE schema_migrations SET inserted_at = '` + stamp + `' WHERE version = ` + version)
			if st, _ := phantomStatus(t, p); len(st.Plan.Repos[0].Edited) != 0 {
				t.Fatalf("re-stamped version reported edited: %+v", st.Plan.Repos[0].Edited)
			}
			if out, _ := p.Regen("check", "--codegen", "never", "--format", "json"); strings.Contains(out, "edited-after-applied") || !strings.Contains(out, `"findings"`) {
				t.Fatalf("check after a re-application (the edit is unstaged, not edited after applied):\n%s", out)
			}
			// …and it is the edited content that is remembered now: a
			// further edit is reported.
			p.Write(mig, string(orig)+"# edited twice\n")
			if st, _ := phantomStatus(t, p); len(st.Plan.Repos[0].Edited) != 1 {
				t.Fatalf("an edit after the re-application is not reported: %+v", st.Plan.Repos[0].Edited)
			}

			// 2. Rolled back (status sees it gone), then migrated again.
			p.Mix("ecto.rollback", "-n", "1")
			phantomStatus(t, p)
			p.Mix("ash.migrate")
			if st, _ := phantomStatus(t, p); len(st.Plan.Repos[0].Edited) != 0 {
				t.Fatalf("a migration rolled back and migrated again is reported edited: %+v", st.Plan.Repos[0].Edited)
			}
		})
	}
}

// regen's store cannot be written (here a symlink where it belongs, which
// regen never writes through): status and a run still succeed, status
// says it once, and nothing is written where the link points.
func TestReliabilityPhantomStoreUnusableNeverFailsACommand(t *testing.T) {
	p := featureOf(t, regentest.SQLite)
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(p.Root, ".git", "regen"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(p.Root, ".git", "regen", "store")); err != nil {
		t.Fatal(err)
	}
	out, err := p.RegenCmd("status", "--json").Output()
	if err != nil {
		t.Fatalf("status --json with an unusable store: %v\n%s", err, out)
	}
	var st statusJSON
	if err := json.Unmarshal(out, &st); err != nil || !strings.Contains(st.Plan.StoreProblem, "symlink") {
		t.Fatalf("store_problem %q (%v), want the symlink named", st.Plan.StoreProblem, err)
	}
	text, code := p.Regen("status")
	if code != 0 || strings.Count(text, "regen's store could not be used") != 1 {
		t.Fatalf("status: exit %d, want the store problem said once:\n%s", code, text)
	}
	if out, code := p.Regen("add_subtitle_and_views", "-m", "--yes"); code != 0 {
		t.Fatalf("a run with an unusable store: exit %d\n%s", code, out)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written through the symlink: %v", entries)
	}
}

// What a run applies is in regen's store when the run ends: its new
// migration, never committed and deleted by hand right after, is found
// there (no regen command ran in between).
func TestReliabilityPhantomRunRemembersWhatItApplied(t *testing.T) {
	p := featureOf(t, regentest.SQLite)
	if out, code := p.Regen("add_subtitle_and_views", "-m", "--yes"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	var mig string
	for _, m := range p.Migrations() {
		if strings.Contains(m, "add_subtitle_and_views") {
			mig = "priv/repo/migrations/" + m
		}
	}
	if mig == "" {
		t.Fatalf("no regenerated migration: %v", p.Migrations())
	}
	content, _ := os.ReadFile(filepath.Join(p.Root, mig))
	if err := os.Remove(filepath.Join(p.Root, mig)); err != nil {
		t.Fatal(err)
	}
	st, text := phantomStatus(t, p)
	ph := onePhantom(t, st, mig)
	if ph.Where.Source != "store" || !strings.Contains(text, "regen's store") || !storedFiles(t, p)[string(content)] {
		t.Fatalf("the run's migration found at %+v, want regen's store with its content:\n%s", ph.Where, text)
	}
}
