package check_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/check"
	"github.com/regen-tool/regen/regen/regentest"
)

// The check tests build real projects (git, SQLite, the stand-in) and run
// check.Run in-process; cmd/regen tests the binary's exit codes.

func checkEngine(t *testing.T, p *regentest.Project) *regen.Engine {
	t.Helper()
	e, err := regen.Open(regen.Options{Dir: p.Root, Getenv: p.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func runCheck(t *testing.T, p *regentest.Project, opts check.Options) *check.Report {
	t.Helper()
	rep, err := check.Run(context.Background(), checkEngine(t, p), opts)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return rep
}

func rulesOf(rep *check.Report) []string {
	out := []string{}
	for _, f := range rep.Findings {
		out = append(out, f.Rule)
	}
	sort.Strings(out)
	return out
}

func dump(rep *check.Report) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "  %s %s:%d %s | %s\n", f.Rule, f.File, f.Line, f.Message, f.Fix)
	}
	return b.String()
}

func postWith(extra ...string) string {
	return regentest.Resource("Post", "posts", append([]string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true"}, extra...), nil)
}

func commentWith(extra ...string) string {
	return regentest.Resource("Comment", "comments", append([]string{"attribute :body, :string, allow_nil?: false, public?: true"}, extra...), []string{"belongs_to :post, Blog.Post, allow_nil?: false"})
}

func readProject(t *testing.T, p *regentest.Project, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(p.Root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// branches builds two lines of work from the baseline: first on `first`
// (generated earlier), then on `second`, and leaves `feature` checked out.
// Each side changes one resource and generates a migration.
func branches(t *testing.T, featureFirst bool, featureChange, mainChange func(p *regentest.Project)) *regentest.Project {
	t.Helper()
	p := regentest.NewProject(t)
	p.Git("branch", "feature")
	side := func(branch string, change func(*regentest.Project), name string) {
		p.Git("checkout", "-q", branch)
		change(p)
		p.Mix("ash.codegen", name)
		p.CommitAll(branch + " work")
	}
	if featureFirst {
		side("feature", featureChange, "feature_work")
		side("main", mainChange, "main_work")
	} else {
		side("main", mainChange, "main_work")
		side("feature", featureChange, "feature_work")
	}
	p.Git("checkout", "-q", "feature")
	return p
}

func changePosts(p *regentest.Project) {
	p.Write("lib/blog/post.ex", postWith("attribute :subtitle, :string, public?: true"))
}
func changePostsOther(p *regentest.Project) {
	p.Write("lib/blog/post.ex", postWith("attribute :views, :integer, public?: true"))
}
func changeComments(p *regentest.Project) {
	p.Write("lib/blog/comment.ex", commentWith("attribute :score, :integer, public?: true"))
}

// TestCheckStaticMatrix: for each static rule, a repository that trips it
// (exactly that rule) and one that does not (no findings).
func TestCheckStaticMatrix(t *testing.T) {
	mig := "priv/repo/migrations/"
	cases := []struct {
		rule  string
		trip  bool
		opts  check.Options
		setup func(t *testing.T, p *regentest.Project)
	}{
		{check.RuleMigrationName, true, check.Options{}, func(t *testing.T, p *regentest.Project) {
			p.Write(mig+"2030010100000_add_x.exs", regentest.MigrationSource("AddX", "", "")) // 13 digits
			p.CommitAll("x")
		}},
		{check.RuleMigrationName, false, check.Options{}, func(t *testing.T, p *regentest.Project) {
			p.Write(mig+"20300101000000_add_x.exs", regentest.MigrationSource("AddX", "", ""))
			p.Write(mig+"README.md", "notes, not a migration\n")
			p.CommitAll("x")
		}},
		{check.RuleDuplicateVersion, true, check.Options{}, func(t *testing.T, p *regentest.Project) {
			p.Write(mig+"20300101000000_add_x.exs", regentest.MigrationSource("AddX", "", ""))
			p.Write(mig+"20300101000000_add_y.exs", regentest.MigrationSource("AddY", "", ""))
			p.CommitAll("x")
		}},
		{check.RuleDuplicateVersion, false, check.Options{}, func(t *testing.T, p *regentest.Project) {
			p.Write(mig+"20300101000000_add_x.exs", regentest.MigrationSource("AddX", "", ""))
			p.Write(mig+"20300101000001_add_y.exs", regentest.MigrationSource("AddY", "", ""))
			p.CommitAll("x")
		}},
		{check.RuleDuplicateModule, true, check.Options{}, func(t *testing.T, p *regentest.Project) {
			p.Write(mig+"20300101000000_add_x.exs", regentest.MigrationSource("AddX", "", ""))
			p.Write(mig+"20300102000000_add_x.exs", regentest.MigrationSource("AddX", "", ""))
			p.CommitAll("x")
		}},
		{check.RuleDuplicateModule, false, check.Options{}, func(t *testing.T, p *regentest.Project) {
			p.Write(mig+"20300101000000_add_x.exs", regentest.MigrationSource("AddX", "", ""))
			p.Write(mig+"20300102000000_add_x2.exs", regentest.MigrationSource("AddX2", "", ""))
			p.CommitAll("x")
		}},
		{check.RuleDevFile, true, check.Options{}, func(t *testing.T, p *regentest.Project) {
			changePosts(p)
			p.Mix("ash.codegen", "--dev")
			p.CommitAll("dev")
		}},
		{check.RuleDevFile, false, check.Options{}, func(t *testing.T, p *regentest.Project) {
			changePosts(p)
			p.Mix("ash.codegen", "add_subtitle")
			p.CommitAll("named")
		}},
		{check.RuleSnapshotParse, true, check.Options{}, func(t *testing.T, p *regentest.Project) {
			p.Write("priv/resource_snapshots/repo/posts/20300101000000.json", `{"table": "posts", "attributes": [`)
			p.CommitAll("broken")
		}},
		{check.RuleSnapshotParse, false, check.Options{}, func(t *testing.T, p *regentest.Project) {
			src := p.FirstSnapshot("posts")
			p.Write("priv/resource_snapshots/repo/posts/20300101000000.json", readProject(t, p, src))
			p.CommitAll("copy")
		}},
		{check.RuleSnapshotFolder, true, check.Options{}, func(t *testing.T, p *regentest.Project) {
			src := p.FirstSnapshot("posts")
			p.Write("priv/resource_snapshots/repo/comments/20300101000000.json", readProject(t, p, src))
			p.CommitAll("misplaced")
		}},
		{check.RuleSnapshotFolder, false, check.Options{}, func(t *testing.T, p *regentest.Project) {
			src := p.FirstSnapshot("comments")
			p.Write("priv/resource_snapshots/repo/comments/20300101000000.json", readProject(t, p, src))
			p.CommitAll("in place")
		}},
		{check.RuleUntracked, true, check.Options{}, func(t *testing.T, p *regentest.Project) {
			changePosts(p)
			p.Mix("ash.codegen", "add_subtitle")
			p.Git("add", "lib", "priv/repo") // the snapshot is left out
		}},
		{check.RuleUntracked, false, check.Options{}, func(t *testing.T, p *regentest.Project) {
			changePosts(p)
			p.Mix("ash.codegen", "add_subtitle")
			p.Git("add", "-A")
			p.Write("priv/repo/migrations/notes.txt", "not generated: never a finding\n")
		}},
		{check.RuleUnstaged, true, check.Options{}, func(t *testing.T, p *regentest.Project) {
			src := p.FirstSnapshot("posts")
			p.Write(src, strings.Replace(readProject(t, p, src), `"posts"`, `"posts" `, 1))
		}},
		{check.RuleUnstaged, false, check.Options{}, func(t *testing.T, p *regentest.Project) {
			src := p.FirstSnapshot("posts")
			p.Write(src, strings.Replace(readProject(t, p, src), `"posts"`, `"posts" `, 1))
			p.Git("add", src)
		}},
		{check.RuleNotStaged, true, check.Options{Staged: true}, func(t *testing.T, p *regentest.Project) {
			changePosts(p)
			p.Mix("ash.codegen", "add_subtitle")
			p.Git("add", "lib", "priv/repo")
		}},
		{check.RuleNotStaged, false, check.Options{Staged: true}, func(t *testing.T, p *regentest.Project) {
			changePosts(p)
			p.Mix("ash.codegen", "add_subtitle")
			p.Git("add", "-A")
		}},
		{check.RuleMergeOrder, true, check.Options{Base: "main"}, func(t *testing.T, p *regentest.Project) {
			*p = *branches(t, true, changePosts, changeComments)
		}},
		{check.RuleMergeOrder, false, check.Options{Base: "main"}, func(t *testing.T, p *regentest.Project) {
			*p = *branches(t, false, changePosts, changeComments)
		}},
		{check.RuleSnapshotConflict, true, check.Options{Base: "main"}, func(t *testing.T, p *regentest.Project) {
			*p = *branches(t, false, changePosts, changePostsOther)
		}},
		{check.RuleSnapshotConflict, false, check.Options{Base: "main"}, func(t *testing.T, p *regentest.Project) {
			*p = *branches(t, false, changePosts, changeComments)
		}},
	}
	for _, c := range cases {
		name := c.rule + "/clean"
		if c.trip {
			name = c.rule + "/trips"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var p *regentest.Project
			if c.opts.Base != "" {
				p = &regentest.Project{} // branches() builds its own
			} else {
				p = regentest.NewProject(t)
			}
			c.setup(t, p)
			c.opts.Codegen = check.CodegenNever
			rep := runCheck(t, p, c.opts)
			want := []string{}
			if c.trip {
				want = []string{c.rule}
			}
			got := rulesOf(rep)
			if c.trip && c.rule == check.RuleDevFile {
				// --dev writes a migration and a snapshot: both are findings.
				got = uniq(got)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("rules = %v, want %v\n%s", got, want, dump(rep))
			}
			for _, f := range rep.Findings {
				if f.Fix == "" || f.Message == "" || f.File == "" || f.Severity != check.SeverityError {
					t.Errorf("incomplete finding %+v", f)
				}
			}
		})
	}
}

func uniq(s []string) []string {
	out := []string{}
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// TestCheckMigrationNameSuggestions: misnamed files get the well-formed
// name in the fix.
func TestCheckMigrationNameSuggestions(t *testing.T) {
	p := regentest.NewProject(t)
	mig := "priv/repo/migrations/"
	p.Write(mig+"20300101000000_AddTags.exs", "")
	p.Write(mig+"20300101000001_add-views.exs", "")
	p.Write(mig+"203001010000_add_score.exs", "")
	p.Write(mig+"20300101000003_add_x.ex", "")
	p.Write(mig+".formatter.exs", "[import_deps: [:ecto_sql], inputs: [\"*.exs\"]]\n")
	p.CommitAll("misnamed")
	rep := runCheck(t, p, check.Options{Codegen: check.CodegenNever})
	wants := map[string]string{
		"20300101000000_AddTags.exs":   "20300101000000_add_tags.exs",
		"20300101000001_add-views.exs": "20300101000001_add_views.exs",
		"203001010000_add_score.exs":   "20300101000000_add_score.exs",
		"20300101000003_add_x.ex":      "20300101000003_add_x.exs",
	}
	if len(rep.Findings) != len(wants) {
		t.Fatalf("want %d findings:\n%s", len(wants), dump(rep))
	}
	for _, f := range rep.Findings {
		want := wants[filepath.Base(f.File)]
		if f.Rule != check.RuleMigrationName || want == "" || !strings.Contains(f.Fix, mig+want) {
			t.Errorf("%s: fix %q should suggest %s", f.File, f.Fix, want)
		}
	}
}

// TestCheckBaseAcceptance: two branches each add a snapshot of posts and a
// migration; the feature's migration is older than main's (interleaved).
// `regen check --base main` on the feature reports both, with the fix.
func TestCheckBaseAcceptance(t *testing.T) {
	p := regentest.NewProject(t)
	p.Git("checkout", "-q", "-b", "feature")
	changePosts(p)
	p.Mix("ash.codegen", "add_subtitle")
	p.CommitAll("feature: subtitle")
	p.Git("checkout", "-q", "main")
	changePostsOther(p)
	p.Mix("ash.codegen", "add_views")
	p.CommitAll("main: views")
	p.Git("checkout", "-q", "feature")

	rep := runCheck(t, p, check.Options{Base: "main", Codegen: check.CodegenNever})
	if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleMergeOrder, check.RuleSnapshotConflict}) {
		t.Fatalf("rules = %v\n%s", got, dump(rep))
	}
	for _, f := range rep.Findings {
		switch f.Rule {
		case check.RuleMergeOrder:
			if !strings.HasSuffix(f.File, "_add_subtitle.exs") || !strings.Contains(f.Message, "_add_views.exs") ||
				!strings.Contains(f.Fix, "regen add_subtitle --base main") {
				t.Errorf("merge-order finding: %+v", f)
			}
		case check.RuleSnapshotConflict:
			if !strings.HasPrefix(f.File, "priv/resource_snapshots/repo/posts/") || !strings.Contains(f.Message, "table posts") ||
				!strings.Contains(f.Message, "subtitle") || !strings.Contains(f.Fix, "regen NAME --base main") || !strings.Contains(f.Fix, "keep main's snapshots") {
				t.Errorf("snapshot-conflict finding: %+v", f)
			}
		}
	}

	// The same through the binary: exit 1, both in the output.
	out, code := p.Regen("check", "--base", "main", "--no-codegen")
	if code != 1 || !strings.Contains(out, "[merge-order]") || !strings.Contains(out, "[snapshot-conflict]") || !strings.Contains(out, "fix: ") {
		t.Fatalf("regen check --base main: exit %d\n%s", code, out)
	}

	// An unknown base cannot run: exit 2, saying why.
	out, code = p.Regen("check", "--base", "nope", "--no-codegen")
	if code != 2 || !strings.Contains(out, "--base nope") {
		t.Fatalf("unknown base: exit %d\n%s", code, out)
	}
}

// TestCheckSnapshotConflictIgnoresHash: two sides that added the same table
// state (only the opaque hash differs) do not conflict.
func TestCheckSnapshotConflictIgnoresHash(t *testing.T) {
	p := regentest.NewProject(t)
	src := readProject(t, p, p.FirstSnapshot("posts"))
	p.Git("checkout", "-q", "-b", "feature")
	p.Write("priv/resource_snapshots/repo/posts/20300101000001.json", strings.Replace(src, `"hash": "`, `"hash": "X`, 1))
	p.CommitAll("feature")
	p.Git("checkout", "-q", "main")
	p.Write("priv/resource_snapshots/repo/posts/20300101000002.json", src)
	p.CommitAll("main")
	p.Git("checkout", "-q", "feature")
	rep := runCheck(t, p, check.Options{Base: "main", Codegen: check.CodegenNever})
	if len(rep.Findings) != 0 {
		t.Fatalf("equal table states should not conflict:\n%s", dump(rep))
	}
}

// TestCheckCodegen: drift and compile errors through the stand-in.
func TestCheckCodegen(t *testing.T) {
	t.Run("in sync", func(t *testing.T) {
		p := regentest.NewProject(t)
		if rep := runCheck(t, p, check.Options{}); len(rep.Findings) != 0 {
			t.Fatalf("want no findings:\n%s", dump(rep))
		}
	})
	t.Run("drift", func(t *testing.T) {
		p := regentest.NewProject(t)
		changePosts(p)
		rep := runCheck(t, p, check.Options{})
		if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleCodegenDrift}) {
			t.Fatalf("rules = %v\n%s", got, dump(rep))
		}
		if !strings.Contains(rep.Findings[0].Message, "Pending Code Generation Detected for 2 files") {
			t.Errorf("the finding should quote Ash: %s", rep.Findings[0].Message)
		}
	})
	t.Run("compile error", func(t *testing.T) {
		p := regentest.NewProject(t)
		changePosts(p)
		p.Write("lib/blog/broken.ex", "defmodule Blog.Broken do\n  # mixsim: compile_error\nend\n")
		rep := runCheck(t, p, check.Options{})
		if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleCompile}) {
			t.Fatalf("a compile error is reported as such, not as drift: %v\n%s", got, dump(rep))
		}
		f := rep.Findings[0]
		if f.File != "lib/blog/broken.ex" || f.Line != 2 || !strings.Contains(f.Message, "does not compile") {
			t.Errorf("compile finding: %+v", f)
		}
	})
	t.Run("hook mode runs it only for relevant staged changes", func(t *testing.T) {
		p := regentest.NewProject(t)
		log := filepath.Join(t.TempDir(), "mix.log")
		p.Env = append(p.Env, "MIXSIM_LOG="+log)
		p.Write("README.md", "docs\n")
		p.Git("add", "README.md")
		rep := runCheck(t, p, check.Options{Staged: true, Codegen: check.CodegenAuto})
		if _, err := os.Stat(log); !errors.Is(err, os.ErrNotExist) || len(rep.Notes) == 0 {
			t.Fatalf("codegen ran for a README change (notes %q)", rep.Notes)
		}
		changePosts(p)
		p.Git("add", "lib")
		rep = runCheck(t, p, check.Options{Staged: true, Codegen: check.CodegenAuto})
		if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleCodegenDrift}) {
			t.Fatalf("staged resource change: rules = %v\n%s", got, dump(rep))
		}
		rep = runCheck(t, p, check.Options{Staged: true, Codegen: check.CodegenAuto, CodegenPaths: []string{"lib/other/**/*.ex"}})
		if len(rep.Findings) != 0 {
			t.Fatalf("configured paths exclude lib/blog: %s", dump(rep))
		}
	})
}

// TestCheckRoundtrip: a new table with a foreign key gets AshSqlite's
// raising down: a finding naming it; the dev database comes back byte for
// byte. A plain new column round-trips cleanly.
func TestCheckRoundtrip(t *testing.T) {
	t.Run("raising down", func(t *testing.T) {
		p := regentest.NewProject(t)
		p.Write("lib/blog/tag.ex", regentest.Resource("Tag", "tags", []string{"attribute :label, :string, allow_nil?: false, public?: true"}, []string{"belongs_to :post, Blog.Post, allow_nil?: false"}))
		p.Mix("ash.codegen", "add_tags")
		p.SQL(`INSERT INTO posts (id, title, body) VALUES ('p1', 'Hello', 'b')`)
		before := p.Capture()
		rep := runCheck(t, p, check.Options{Roundtrip: true})
		after := p.Capture()
		if d := before.Diff(after); d != "" {
			t.Fatalf("the round trip changed the project:\n%s", d)
		}
		var found *check.Finding
		for i, f := range rep.Findings {
			if f.Rule == check.RuleRoundtrip {
				found = &rep.Findings[i]
			}
		}
		if found == nil || !strings.HasSuffix(found.File, "_add_tags.exs") || !strings.Contains(found.Message, "rolling it back fails") {
			t.Fatalf("want a roundtrip finding on the add_tags migration:\n%s", dump(rep))
		}
	})
	t.Run("applied already, clean", func(t *testing.T) {
		p := regentest.NewProject(t)
		changePosts(p)
		p.Mix("ash.codegen", "add_subtitle")
		p.Mix("ash.migrate")
		before := p.Capture()
		rep := runCheck(t, p, check.Options{Roundtrip: true})
		if d := before.Diff(p.Capture()); d != "" {
			t.Fatalf("the round trip changed the project:\n%s", d)
		}
		for _, f := range rep.Findings {
			if f.Rule == check.RuleRoundtrip {
				t.Fatalf("unexpected roundtrip finding:\n%s", dump(rep))
			}
		}
	})
}

// TestCheckUnsafeIntegration: --unsafe looks at new migrations only, and
// `# regen:allow` silences a finding.
func TestCheckUnsafeIntegration(t *testing.T) {
	p := regentest.NewProject(t)
	mig := "priv/repo/migrations/"
	old := regentest.MigrationSource("OldDrop", "    alter table(:posts) do\n      remove :body\n    end\n", "")
	p.Write(mig+"20300101000000_old_drop.exs", old)
	p.CommitAll("tracked: not new")
	p.Write(mig+"20300102000000_new_drop.exs", regentest.MigrationSource("NewDrop", "    alter table(:posts) do\n      remove :title\n      # regen:allow drop-column\n      remove :body\n    end\n", ""))
	p.Git("add", "-A")
	rep := runCheck(t, p, check.Options{Unsafe: true, Codegen: check.CodegenNever})
	if got := rulesOf(rep); !reflect.DeepEqual(got, []string{check.RuleDropColumn}) {
		t.Fatalf("rules = %v\n%s", got, dump(rep))
	}
	f := rep.Findings[0]
	if f.File != mig+"20300102000000_new_drop.exs" || f.Line != 6 || !strings.Contains(f.Message, "title") || !strings.Contains(f.Fix, "# regen:allow drop-column") {
		t.Errorf("finding: %+v", f)
	}
}
