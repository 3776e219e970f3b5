package regen_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// branch: on a feature branch, one migration committed (and applied), then
// another generated and applied but not committed, then the resource changes
// once more.
func branch(t *testing.T) *regentest.Project {
	t.Helper()
	p := regentest.NewProject(t)
	p.Git("checkout", "-q", "-b", "feature")
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle")
	p.Mix("ash.migrate")
	p.Git("add", "-A")
	p.Git("commit", "-qm", "wip: subtitle")
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true"))
	p.Mix("ash.codegen", "add_views")
	p.Mix("ash.migrate")
	p.SQL(`INSERT INTO posts (id, title, subtitle, views) VALUES ('p1', 'kept', 's', 3)`)
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true", "attribute :slug, :string, public?: true"))
	return p
}

func TestBaseRegeneratesWhatTheBranchCommittedToo(t *testing.T) {
	p := branch(t)
	res, err, out := run(t, p, regen.RunOptions{Name: "post_details", Migrate: true, Base: "main"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rp := res.Plan.Repos[0]
	if len(rp.Rollback) != 2 || !rp.Rollback[0].Committed || rp.Rollback[1].Committed {
		t.Fatalf("rollback set: %+v", rp.Rollback)
	}
	ms := strings.Join(p.Migrations(), " ")
	if strings.Contains(ms, "_add_subtitle.exs") || strings.Contains(ms, "_add_views.exs") || !strings.Contains(ms, "_post_details.exs") {
		t.Fatalf("migrations: %s", ms)
	}
	if got := len(applied(t, p)); got != 2 {
		t.Fatalf("applied: %d versions, want the baseline and the new one", got)
	}
	status := p.Git("status", "--porcelain", "--", "priv")
	if !strings.Contains(status, " D priv/repo/migrations/") {
		t.Fatalf("the committed migration should show as deleted for the user to amend:\n%s", status)
	}
}

func TestBaseFailureRestoresCommittedFilesToo(t *testing.T) {
	p := branch(t)
	t.Setenv("MIXSIM_FAIL", "ash.codegen")
	before := p.Capture()
	_, err, out := run(t, p, regen.RunOptions{Name: "post_details", Migrate: true, Base: "main"})
	var restored *regen.RestoredError
	if !errors.As(err, &restored) {
		t.Fatalf("want restored, got %v\n%s", err, out)
	}
	mustSame(t, before, p.Capture())
	if status := p.Git("status", "--porcelain", "--", "priv/repo/migrations"); strings.Contains(status, " D ") {
		t.Fatalf("a committed migration is still missing:\n%s", status)
	}
}

func TestBaseUnknownRefIsAnInputError(t *testing.T) {
	p := branch(t)
	before := p.Capture()
	_, err, _ := run(t, p, regen.RunOptions{Name: "post_details", Base: "no-such-branch"})
	var ie *regen.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "no-such-branch") {
		t.Fatalf("got %v", err)
	}
	mustSame(t, before, p.Capture())
}
