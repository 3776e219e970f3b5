package recover_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	recovercmd "github.com/regen-tool/regen/cmd/regen/recover"
	"github.com/regen-tool/regen/regen/regentest"
)

func TestRecoverFlagsToOptions(t *testing.T) {
	env := cmdtest.New(t, t.TempDir(), nil)
	cfg := "c.toml"
	var c cmdtest.Captured[recovercmd.Options]
	if code := env.Exec(recovercmd.NewCmdRecover(env.F, c.RunF, &cfg), "--discard-journal"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if c.N != 1 || !c.Opts.DiscardJournal || *c.Opts.ConfigFile != "c.toml" || len(env.Opened) != 0 {
		t.Fatalf("options %+v", c.Opts)
	}
}

func TestRecoverOnARealProject(t *testing.T) {
	p := regentest.NewProject(t)
	cfg := ""
	env := cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(recovercmd.NewCmdRecover(env.F, nil, &cfg)); code != 0 || !strings.Contains(env.ErrOut.String(), "nothing to recover: no interrupted run.") {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
	env = cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(recovercmd.NewCmdRecover(env.F, nil, &cfg), "--discard-journal"); code != 0 || !strings.Contains(env.ErrOut.String(), "nothing to discard") || env.Out.Len() != 0 {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
}

// recover ignored --config before: it opened the engine with "".
func TestRecoverReadsConfig(t *testing.T) {
	p := regentest.NewProject(t)
	env := cmdtest.New(t, p.Root, p.Getenv)
	cfg := filepath.Join(p.Root, "nosuch.toml")
	// Nothing to recover: the engine has the file, and needs no config to say so.
	if code := env.Exec(recovercmd.NewCmdRecover(env.F, nil, &cfg)); code != 0 || env.ConfigFile(t) != cfg || !strings.Contains(env.ErrOut.String(), "nothing to recover") {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
}
