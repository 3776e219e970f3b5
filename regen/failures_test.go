package regen_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/cmd/regen/render"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// Every failure after the backup is compensated: files byte for byte (every
// file under priv/ and lib/), untracked files still untracked,
// schema_migrations identical, every row of every table identical, and the
// database file itself byte-identical.
func TestFailuresAreCompensated(t *testing.T) {
	eachKind(t, testFailuresAreCompensated)
}

func testFailuresAreCompensated(t *testing.T, kind string) {
	// The rollback task of each preset: Ecto's (AshSqlite's ignores -r,
	// AshPostgres's is broken for tenants upstream).
	rollback := map[string]string{regentest.SQLite: "ecto.rollback", regentest.Postgres: "ecto.rollback"}[kind]
	// A lying rollback leaves the column in place: SQLite and PostgreSQL say so differently.
	cases := []struct {
		name     string
		env      map[string]string
		edit     func(t *testing.T, p *regentest.Project)
		step     string
		mentions string
	}{
		{name: "rollback exits non-zero before doing anything", env: map[string]string{"MIXSIM_FAIL": rollback}, step: "rollback", mentions: "exited with status 1"},
		{name: "rollback does its work, then exits non-zero", env: map[string]string{"MIXSIM_FAIL": rollback + ":after"}, step: "rollback", mentions: "exited with status 1"},
		{name: "rollback claims success but changes nothing", env: map[string]string{"MIXSIM_LIE": rollback}, step: "rollback", mentions: "verification after the rollback"},
		// The first mix VM compiles (as `mix ecto.rollback` itself would):
		// the rollback step meets the error.
		{name: "the project does not compile", edit: func(t *testing.T, p *regentest.Project) {
			os.WriteFile(filepath.Join(p.Root, "lib/blog/post.ex"), []byte(postFor(p, "attribute :views, :integer")+"\n# mixsim: compile_error\n"), 0o644)
		}, step: "rollback", mentions: "CompileError"},
		{name: "codegen exits non-zero after writing", env: map[string]string{"MIXSIM_FAIL": "ash.codegen:after"}, step: "codegen", mentions: "exited with status 1"},
		{name: "migrate exits non-zero before doing anything", env: map[string]string{"MIXSIM_FAIL": "ash.migrate"}, step: "migrate", mentions: "exited with status 1"},
		{name: "migrate applies, then exits non-zero", env: map[string]string{"MIXSIM_FAIL": "ash.migrate:after"}, step: "migrate", mentions: "exited with status 1"},
		{name: "migrate claims success but applies nothing", env: map[string]string{"MIXSIM_LIE": "ash.migrate"}, step: "verify", mentions: "expected applied but not"},
		{name: "injected failure after remove", env: map[string]string{"REGEN_TEST_FAULT": "fail:after:remove"}, step: "remove", mentions: "injected"},
	}
	// In one VM (the driver, vmdriver.go) the steps stay apart, each
	// verified before the next: the same step fails with the same cause.
	for _, mode := range []string{"separate", "one-vm"} {
		for _, c := range cases {
			t.Run(mode+"/"+c.name, func(t *testing.T) {
				p := featureOf(t, kind)
				p.Env = append(p.Env, "REGEN_ONE_VM="+map[string]string{"separate": "0", "one-vm": "1"}[mode])
				for k, v := range c.env {
					t.Setenv(k, v)
					p.Env = append(p.Env, k+"="+v)
				}
				if c.edit != nil {
					c.edit(t, p)
				}
				before := p.Capture()
				_, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true, Rollback: "down"}) // down only: auto would rebuild (rebuild_test.go)
				var restored *regen.RestoredError
				if !errors.As(err, &restored) {
					t.Fatalf("want a restored error, got %v\n%s", err, out)
				}
				if restored.Step != c.step || !strings.Contains(err.Error(), c.mentions) {
					t.Fatalf("error should name step %s and mention %q: %v", c.step, c.mentions, err)
				}
				mustSame(t, before, p.Capture())
				if j, _ := mustEngine(t, p).OpenJournal(); j != nil {
					t.Fatalf("journal left open: %+v", j.Step)
				}
			})
		}
	}
}

func mustEngine(t *testing.T, p *regentest.Project) *regen.Engine {
	t.Helper()
	e, _ := engine(t, p)
	return e
}

func TestTimeoutStopsTheChildAndRestores(t *testing.T) {
	p := feature(t)
	t.Setenv("MIXSIM_SLEEP", "ash.codegen:30")
	before := p.Capture()
	_, out := engine(t, p)
	eng, err := regen.Open(regen.Options{Dir: p.Root, Getenv: p.Getenv, Reporter: &render.Reporter{W: out}, ChildOut: out, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = eng.Regenerate(context.Background(), regen.RunOptions{Name: "add_views", Migrate: true, Command: "regen add_views -m"})
	var restored *regen.RestoredError
	if !errors.As(err, &restored) || !strings.Contains(err.Error(), "did not finish within") {
		t.Fatalf("want a timeout, got %v\n%s", err, out)
	}
	if time.Since(start) > 25*time.Second {
		t.Fatal("the child was not stopped")
	}
	mustSame(t, before, p.Capture())
}

func TestUndoPutsBackTheExactPreRunState(t *testing.T) {
	eachKind(t, testUndoPutsBack)
}

func testUndoPutsBack(t *testing.T, kind string) {
	p := featureOf(t, kind)
	before := p.Capture()
	if _, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true}); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if d := before.Diff(p.Capture()); d == "" {
		t.Fatal("the run changed nothing; the test proves nothing")
	}
	e, out := engine(t, p)
	res, err := e.Undo(context.Background(), "regen undo", false)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Run == nil {
		t.Fatal("no run reported")
	}
	mustSame(t, before, p.Capture())
	// Nothing left to undo.
	if _, err := e.Undo(context.Background(), "regen undo", false); err == nil || !strings.Contains(err.Error(), "no regen run to undo") {
		t.Fatalf("second undo: %v", err)
	}
}

func TestUndoRefusesWhenThingsChangedSinceTheRun(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	if _, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true}); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// The developer keeps working: a new migration by hand.
	p.Write("priv/repo/migrations/29990101000000_by_hand.exs", "defmodule Blog.Repo.Migrations.ByHand do\n  use Ecto.Migration\n\n  def up do\n  end\n\n  def down do\n  end\nend\n")
	after := p.Capture()
	e, _ := engine(t, p)
	_, err := e.Undo(context.Background(), "regen undo", false)
	var conflict *regen.ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "by_hand") {
		t.Fatalf("want a refusal naming the new file, got %v", err)
	}
	mustSame(t, after, p.Capture())
	if _, err := e.Undo(context.Background(), "regen undo --force", true); err != nil {
		t.Fatal(err)
	}
	mustSame(t, before, p.Capture())
}
