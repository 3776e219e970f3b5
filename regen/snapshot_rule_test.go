package regen_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/check"
	"github.com/regen-tool/regen/regen/regentest"
)

// snapshotRulePaths is the table of issue 10 case 15: paths under the
// snapshot folder, and whether they are Ash's layout (ASH_FACTS.md:
// <table>/<ts>.json, <ts>_dev.json, extensions.json at the top, tenants/
// <table>/<ts>.json, AshPostgres's <schema>.<table>/) or not.
var snapshotRulePaths = []struct {
	rel string // under priv/resource_snapshots/repo/
	ash bool
}{
	{"posts/20990101000001.json", true},
	{"posts/20990101000002_dev.json", true},
	{"tags/20990101000003.json", true},
	{"extensions.json", true},
	{"tenants/notes/20990101000004.json", true},
	{"audit.events/20990101000005.json", true},
	{"20990101000006.json", false},                    // no table folder
	{"posts/old/20990101000007.json", false},          // one level too deep
	{"archive/2024/posts/20990101000008.json", false}, // any depth
	{"tenants/notes/old/20990101000009.json", false},  // too deep under tenants/
	{"tenants/20990101000010.json", true},             // a table named "tenants"
	{"posts/extensions.json", false},                  // extensions.json only at the top
	{"tenants/extensions.json", false},
	{"posts/20990101000011.json.bak", false},
	{"posts/2099010100001.json", false}, // 13 digits
	{"posts/notes.md", false},
	{".DS_Store", false},
	{".audit/20990101000012.json", false}, // a folder "" before the dot: not <schema>.<table>
}

// The plan (what `regen NAME` removes) and `regen check` (what it counts as
// a generated file, reported when untracked) apply the same rule to every
// path of the table, and a run leaves every non-Ash file where it was.
func TestSnapshotRuleIsTheSameForThePlanAndTheCheck(t *testing.T) {
	p := regentest.NewProject(t)
	sample := p.FirstSnapshot("posts")
	content, err := os.ReadFile(filepath.Join(p.Root, sample))
	if err != nil {
		t.Fatal(err)
	}
	const folder = "priv/resource_snapshots/repo/"
	for _, c := range snapshotRulePaths {
		p.Write(folder+c.rel, string(content))
	}
	e, _ := engine(t, p)
	st, err := e.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rp := st.Plan.Repos[0]
	removed, stray := set(rp.Remove), set(rp.Stray)
	rep := staticCheck(t, p)
	checked := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Rule == check.RuleUntracked {
			checked[f.File] = true
		}
	}
	for _, c := range snapshotRulePaths {
		rel := folder + c.rel
		if removed[rel] != c.ash || stray[rel] == c.ash {
			t.Errorf("%s: the plan removes it: %v, stray: %v; Ash's layout: %v", rel, removed[rel], stray[rel], c.ash)
		}
		if checked[rel] != c.ash {
			t.Errorf("%s: the check reports it untracked: %v; Ash's layout: %v", rel, checked[rel], c.ash)
		}
		if removed[rel] != checked[rel] {
			t.Errorf("%s: the plan (remove %v) and the check (untracked %v) disagree", rel, removed[rel], checked[rel])
		}
	}

	// The run itself: nothing outside Ash's layout is removed.
	if _, err, out := run(t, p, regen.RunOptions{Name: "add_nothing"}); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	for _, c := range snapshotRulePaths {
		if c.rel == ".audit/20990101000012.json" {
			continue // codegen (as Ash does) deletes the folder of a table no resource has
		}
		_, err := os.Stat(filepath.Join(p.Root, folder+c.rel))
		if !c.ash && err != nil {
			t.Errorf("%s is not Ash's layout, yet the run removed it", c.rel)
		}
	}
}

// Tracked files under the folder that differ from the index: the run puts
// back (to the index) exactly the generated ones, the check reports exactly
// those as unstaged; a tracked note there is the user's and left alone.
func TestSnapshotRuleForEditedTrackedFiles(t *testing.T) {
	p := regentest.NewProject(t)
	const folder = "priv/resource_snapshots/repo/"
	for _, c := range snapshotRulePaths {
		p.Write(folder+c.rel, "{}\n")
	}
	p.CommitAll("tracked files under the snapshot folder")
	for _, c := range snapshotRulePaths {
		p.Write(folder+c.rel, "{\"edited\": true}\n")
	}
	e, _ := engine(t, p)
	st, err := e.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	restored := set(st.Plan.Repos[0].RestoreTracked)
	rep := staticCheck(t, p)
	unstaged := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Rule == check.RuleUnstaged {
			unstaged[f.File] = true
		}
	}
	for _, c := range snapshotRulePaths {
		rel := folder + c.rel
		if restored[rel] != c.ash || unstaged[rel] != c.ash {
			t.Errorf("%s: the plan restores it: %v, the check reports it unstaged: %v; Ash's layout: %v", rel, restored[rel], unstaged[rel], c.ash)
		}
	}
}

func set(list []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range list {
		m[s] = true
	}
	return m
}

// staticCheck runs `regen check --no-codegen` in-process.
func staticCheck(t *testing.T, p *regentest.Project) *check.Report {
	t.Helper()
	e, err := regen.Open(regen.Options{Dir: p.Root, Getenv: p.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := check.Run(context.Background(), e, check.Options{Codegen: check.CodegenNever})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return rep
}
