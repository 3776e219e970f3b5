package regen_test

import (
	"testing"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// merged: feature commits posts.subtitle (applied); main then commits
// posts.views; main is merged into feature and migrated, so main's version
// is applied after the branch's.
func merged(t *testing.T) *regentest.Project {
	t.Helper()
	p := regentest.NewProject(t)
	p.Git("checkout", "-q", "-b", "feature")
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	p.CommitAll("subtitle")
	p.Git("checkout", "-q", "main")
	p.Write("lib/blog/post.ex", post("attribute :views, :integer, public?: true"))
	p.Mix("ash.codegen", "add_views")
	p.CommitAll("views")
	p.Git("checkout", "-q", "feature")
	p.Git("merge", "-q", "--no-edit", "-s", "ours", "main") // the resource as the branch has it...
	p.Git("checkout", "main", "--", "priv")                 // ...and main's generated files beside the branch's
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	p.CommitAll("merge main")
	p.Mix("ash.migrate")
	return p
}

// With --base, the base's migrations applied after the branch's are listed
// as staying applied, not as blocking.
func TestBaseAfterMergeDoesNotBlock(t *testing.T) {
	p := merged(t)
	res, err, out := run(t, p, regen.RunOptions{Name: "post_subtitle", Migrate: true, Base: "main", DryRun: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rp := res.Plan.Repos[0]
	if res.Plan.Blocked != "" || len(rp.BlockedBy) != 0 || len(rp.BaseAfter) != 1 || rp.BaseAfter[0].Slug != "add_views" {
		t.Fatalf("blocked %q, blocked_by %+v, base_after %+v", res.Plan.Blocked, rp.BlockedBy, rp.BaseAfter)
	}
	if len(rp.Rollback) != 1 || rp.Rollback[0].Slug != "add_subtitle" {
		t.Fatalf("rollback %+v, want the branch's add_subtitle alone", rp.Rollback)
	}
}
