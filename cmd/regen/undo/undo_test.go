package undo_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	"github.com/regen-tool/regen/cmd/regen/undo"
	"github.com/regen-tool/regen/regen/regentest"
)

func TestUndoFlagsToOptions(t *testing.T) {
	env := cmdtest.New(t, t.TempDir(), nil)
	cfg := "c.toml"
	var c cmdtest.Captured[undo.Options]
	if code := env.Exec(undo.NewCmdUndo(env.F, c.RunF, &cfg), "--force", "--verbose"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if c.N != 1 || !c.Opts.Force || !c.Opts.Verbose || *c.Opts.ConfigFile != "c.toml" || len(env.Opened) != 0 {
		t.Fatalf("options %+v, engines %d", c.Opts, len(env.Opened))
	}
}

// The real engine on a real project: undo puts back what the stand-in's
// run replaced, and says so on stderr.
func TestUndoOnARealProject(t *testing.T) {
	p := regentest.NewProject(t)
	env := cmdtest.New(t, p.Root, p.Getenv)
	cfg := ""
	if code := env.Exec(undo.NewCmdUndo(env.F, nil, &cfg)); code != 2 || !strings.Contains(env.ErrOut.String(), "no regen run to undo") {
		t.Fatalf("nothing to undo: exit %d\n%s", code, env.ErrOut)
	}
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true", "attribute :views, :integer, public?: true"}, nil))
	before := p.Capture()
	if out, code := p.Regen("add_views", "-m"); code != 0 {
		t.Fatalf("regen add_views -m: exit %d\n%s", code, out)
	}
	env.ErrOut.Reset()
	if code := env.Exec(undo.NewCmdUndo(env.F, nil, &cfg)); code != 0 {
		t.Fatalf("undo: exit %d\n%s", code, env.ErrOut)
	}
	if !strings.Contains(env.ErrOut.String(), "undone: run ") || env.Out.Len() != 0 {
		t.Fatalf("stdout %q\nstderr:\n%s", env.Out, env.ErrOut)
	}
	if d := before.Diff(p.Capture()); d != "" {
		t.Fatalf("undo did not put the state back:\n%s", d)
	}
}

func TestUndoReadsConfig(t *testing.T) {
	p := regentest.NewProject(t)
	env := cmdtest.New(t, p.Root, p.Getenv)
	cfg := filepath.Join(p.Root, "nosuch.toml")
	// Nothing to undo: the engine has the file, and needs no config to say so.
	if code := env.Exec(undo.NewCmdUndo(env.F, nil, &cfg)); code != 2 || env.ConfigFile(t) != cfg || !strings.Contains(env.ErrOut.String(), "no regen run to undo") {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
}
