package status_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	"github.com/regen-tool/regen/cmd/regen/status"
	"github.com/regen-tool/regen/regen/regentest"
)

func TestStatusFlagsToOptions(t *testing.T) {
	env := cmdtest.New(t, t.TempDir(), nil)
	cfg := "x.toml"
	var c cmdtest.Captured[status.Options]
	if code := env.Exec(status.NewCmdStatus(env.F, c.RunF, &cfg), "--json", "--verbose"); code != 0 {
		t.Fatalf("exit %d: %s", code, env.ErrOut)
	}
	if c.N != 1 || !c.Opts.JSON || !c.Opts.Verbose || *c.Opts.ConfigFile != "x.toml" {
		t.Fatalf("options %+v", c.Opts)
	}
	if len(env.Opened) != 0 {
		t.Fatal("runF must replace the run: an engine was opened")
	}
	if code := env.Exec(status.NewCmdStatus(env.F, c.RunF, &cfg), "extra"); code != 7 && code != 2 || c.N != 1 {
		t.Fatalf("an argument: exit %d, runs %d", code, c.N)
	}
}

func TestStatusOnARealProject(t *testing.T) {
	p := regentest.NewProject(t)
	env := cmdtest.New(t, p.Root, p.Getenv)
	cfg := ""
	if code := env.Exec(status.NewCmdStatus(env.F, nil, &cfg)); code != 0 {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
	if !strings.HasSuffix(env.Out.String(), "next: nothing to do: no untracked migrations or snapshots\n") || strings.Contains(env.ErrOut.String(), "next:") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", env.Out, env.ErrOut)
	}
	env.Out.Reset()
	if code := env.Exec(status.NewCmdStatus(env.F, nil, &cfg), "--json"); code != 0 || !json.Valid(env.Out.Bytes()) {
		t.Fatalf("--json: exit %d\n%s", code, env.Out)
	}
}

func TestStatusReadsConfig(t *testing.T) {
	p := regentest.NewProject(t)
	env := cmdtest.New(t, p.Root, p.Getenv)
	cfg := filepath.Join(p.Root, "nosuch.toml")
	code := env.Exec(status.NewCmdStatus(env.F, nil, &cfg))
	if code != 2 || env.ConfigFile(t) != cfg || !strings.Contains(env.ErrOut.String(), "nosuch.toml") || env.Out.Len() != 0 {
		t.Fatalf("exit %d, config %q\n%s", code, env.ConfigFile(t), env.ErrOut)
	}
}
