package sync_test

import (
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	synccmd "github.com/regen-tool/regen/cmd/regen/sync"
	"github.com/regen-tool/regen/regen/regentest"
)

func TestSyncFlagsToOptions(t *testing.T) {
	env := cmdtest.New(t, t.TempDir(), nil)
	cfg := "c.toml"
	var c cmdtest.Captured[synccmd.Options]
	code := env.Exec(synccmd.NewCmdSync(env.F, c.RunF, &cfg), "--dry-run", "--skip-missing", "--rollback", "rebuild", "--no-keep-data", "--terminate-connections", "--verbose", "--timeout", "2m")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
	o := c.Opts
	if c.N != 1 || !o.DryRun || !o.SkipMissing || o.Rollback != "rebuild" || !o.NoKeepData || !o.Terminate || !o.Verbose || o.Timeout != 2*time.Minute || *o.ConfigFile != "c.toml" || len(env.Opened) != 0 {
		t.Fatalf("options %+v, engines %d", o, len(env.Opened))
	}
	if code := env.Exec(synccmd.NewCmdSync(env.F, c.RunF, &cfg), "extra"); code != 2 {
		t.Fatalf("an argument: exit %d, want 2", code)
	}
}

// The real engine on a real project, through the command's streams: a
// phantom left by a branch switch is named in the dry run and rolled back
// by the sync; everything goes to stderr.
func TestSyncOnARealProject(t *testing.T) {
	p := regentest.NewProject(t)
	main := p.Applied()
	p.Git("checkout", "-q", "-b", "feature")
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true", "attribute :views, :integer, public?: true"}, nil))
	p.Mix("ash.codegen", "add_views")
	p.Mix("ash.migrate")
	p.Git("add", "-A")
	p.Git("commit", "-q", "-m", "views")
	p.Git("checkout", "-q", "main")
	env := cmdtest.New(t, p.Root, p.Getenv)
	cfg := ""
	if code := env.Exec(synccmd.NewCmdSync(env.F, nil, &cfg), "--dry-run"); code != 0 || !strings.Contains(env.ErrOut.String(), "A sync would roll back") || !strings.Contains(env.ErrOut.String(), "branch feature @ ") {
		t.Fatalf("dry run: exit %d\n%s", code, env.ErrOut)
	}
	env.ErrOut.Reset()
	if code := env.Exec(synccmd.NewCmdSync(env.F, nil, &cfg)); code != 0 || !strings.Contains(env.ErrOut.String(), "done: rolled back ") || env.Out.Len() != 0 {
		t.Fatalf("sync: exit %d\nstdout %q\nstderr:\n%s", code, env.Out, env.ErrOut)
	}
	if got := p.Applied(); len(got) != len(main) {
		t.Fatalf("applied %v, want %v", got, main)
	}
}
