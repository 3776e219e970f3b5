package root_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	"github.com/regen-tool/regen/cmd/regen/root"
	"github.com/regen-tool/regen/regen/regentest"
)

func TestRootFlagsToOptions(t *testing.T) {
	env := cmdtest.New(t, t.TempDir(), nil)
	var c cmdtest.Captured[root.Options]
	code := env.Exec(root.NewCmdRoot(env.F, c.RunF), "add_tags", "-m", "--dry-run", "--force", "--yes", "--rollback", "down",
		"--base", "main", "--timings", "--verbose", "--terminate-connections", "--timeout", "90s", "--config", "c.toml")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
	o := c.Opts
	if c.N != 1 || o.Name != "add_tags" || !o.Migrate || !o.DryRun || !o.Force || !o.Yes || o.Rollback != "down" || o.Base != "main" ||
		!o.Timings || !o.Verbose || !o.Terminate || o.Timeout != 90*time.Second || o.ConfigFile != "c.toml" {
		t.Fatalf("options %+v", o)
	}
	if len(env.Opened) != 0 {
		t.Fatal("runF must replace the run")
	}
}

func TestRootUsageErrorsNeverRun(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{nil, "missing NAME"},
		{[]string{"a", "b"}, "one NAME only"},
		{[]string{"stauts"}, "`regen stauts --yes`"},
		{[]string{"x", "--nosuch"}, "unknown flag"},
		{[]string{"x", "--timeout", "soon"}, "invalid argument"},
	} {
		env := cmdtest.New(t, t.TempDir(), nil)
		var cap cmdtest.Captured[root.Options]
		cmd := root.NewCmdRoot(env.F, cap.RunF)
		code := env.Exec(cmd, c.args...)
		if code != 2 || cap.N != 0 || !strings.Contains(env.ErrOut.String(), c.says) {
			t.Errorf("%v: exit %d, runs %d, stderr lacks %q:\n%s", c.args, code, cap.N, c.says, env.ErrOut)
		}
	}
}

// The regenerate command on a real project, through its run function:
// the dry run changes nothing and says so on stderr; the real run
// regenerates under the name and migrates.
func TestRootOnARealProject(t *testing.T) {
	p := regentest.NewProject(t)
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true", "attribute :views, :integer, public?: true"}, nil))
	p.Mix("ash.codegen", "wip")
	p.Mix("ash.migrate")
	before := p.Capture()

	env := cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(root.NewCmdRoot(env.F, nil), "add_views", "-m", "--dry-run"); code != 0 {
		t.Fatalf("--dry-run: exit %d\n%s", code, env.ErrOut)
	}
	if !strings.Contains(env.ErrOut.String(), "dry run: nothing was changed. Then: codegen add_views, migrate.") || env.Out.Len() != 0 {
		t.Fatalf("stdout %q\nstderr:\n%s", env.Out, env.ErrOut)
	}
	if d := before.Diff(p.Capture()); d != "" {
		t.Fatalf("the dry run changed:\n%s", d)
	}

	env = cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(root.NewCmdRoot(env.F, nil), "add_views", "-m"); code != 0 {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
	if !strings.Contains(env.ErrOut.String(), "\ndone: ") || !strings.Contains(env.ErrOut.String(), "`regen undo` puts back") || env.Out.Len() != 0 {
		t.Fatalf("stdout %q\nstderr:\n%s", env.Out, env.ErrOut)
	}
	var named bool
	for _, m := range p.Migrations() {
		if strings.HasSuffix(m, "_add_views.exs") {
			named = true
		}
		if strings.HasSuffix(m, "_wip.exs") {
			t.Errorf("the untracked migration %s is still there", m)
		}
	}
	if !named {
		t.Fatalf("no add_views migration: %v", p.Migrations())
	}
}

func TestRootReadsConfig(t *testing.T) {
	p := regentest.NewProject(t)
	env := cmdtest.New(t, p.Root, p.Getenv)
	cfg := filepath.Join(p.Root, "nosuch.toml")
	if code := env.Exec(root.NewCmdRoot(env.F, nil), "add_x", "--dry-run", "--config", cfg); code != 2 || env.ConfigFile(t) != cfg || !strings.Contains(env.ErrOut.String(), "nosuch.toml") {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
}

// The module-name rule (snapshots.MigrationModuleSuffix, the one rule the
// plan and check share): a name whose module a tracked migration has is
// refused before anything changes.
func TestRootRefusesANameATrackedMigrationHas(t *testing.T) {
	p := regentest.NewProject(t)
	before := p.Capture()
	env := cmdtest.New(t, p.Root, p.Getenv)
	code := env.Exec(root.NewCmdRoot(env.F, nil), "initial_blog", "-m")
	if code != 2 || !strings.Contains(env.ErrOut.String(), "module …Migrations.InitialBlog") {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
	if d := before.Diff(p.Capture()); d != "" {
		t.Fatalf("changed:\n%s", d)
	}
}
