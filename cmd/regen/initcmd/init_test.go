package initcmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/initcmd"
	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	"github.com/regen-tool/regen/regen/regentest"
)

func TestInitFlagsToOptions(t *testing.T) {
	env := cmdtest.New(t, t.TempDir(), nil)
	cfg := "c.toml"
	var c cmdtest.Captured[initcmd.Options]
	if code := env.Exec(initcmd.NewCmdInit(env.F, c.RunF, &cfg), "--force", "--stdout"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if c.N != 1 || !c.Opts.Force || !c.Opts.Stdout || *c.Opts.ConfigFile != "c.toml" || len(env.Opened) != 0 {
		t.Fatalf("options %+v", c.Opts)
	}
}

func TestInitOnARealProject(t *testing.T) {
	p := regentest.NewProject(t)
	cfg := ""
	env := cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(initcmd.NewCmdInit(env.F, nil, &cfg), "--stdout"); code != 0 || !strings.Contains(env.Out.String(), `preset = "ash_sqlite"`) {
		t.Fatalf("--stdout: exit %d\nstdout:\n%s\nstderr:\n%s", code, env.Out, env.ErrOut)
	}
	if _, err := os.Stat(filepath.Join(p.Root, ".regen.toml")); err == nil {
		t.Fatal("--stdout wrote the file")
	}
	written := filepath.Join(p.Root, ".regen.toml")
	env = cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(initcmd.NewCmdInit(env.F, nil, &cfg)); code != 0 || !strings.Contains(env.ErrOut.String(), "wrote "+written) {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
	env = cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(initcmd.NewCmdInit(env.F, nil, &cfg)); code != 2 || !strings.Contains(env.ErrOut.String(), "already exists") {
		t.Fatalf("second init: exit %d\n%s", code, env.ErrOut)
	}
	env = cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(initcmd.NewCmdInit(env.F, nil, &cfg), "--force"); code != 0 {
		t.Fatalf("--force: exit %d\n%s", code, env.ErrOut)
	}
}

// init ignored --config before: it always wrote .regen.toml. Now it writes
// the named file, and reads it when it is there already.
func TestInitWritesTheConfigFileNamed(t *testing.T) {
	p := regentest.NewProject(t)
	cfg := "ci/regen.toml"
	if err := os.MkdirAll(filepath.Join(p.Root, "ci"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(initcmd.NewCmdInit(env.F, nil, &cfg)); code != 0 {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
	want := filepath.Join(p.Root, "ci", "regen.toml")
	data, err := os.ReadFile(want)
	if err != nil || !strings.Contains(string(data), "preset") || !strings.Contains(env.ErrOut.String(), "wrote "+want) {
		t.Fatalf("%s: %v\n%s", want, err, env.ErrOut)
	}
	if _, err := os.Stat(filepath.Join(p.Root, ".regen.toml")); err == nil {
		t.Fatal("wrote .regen.toml instead of the --config file")
	}
	env = cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(initcmd.NewCmdInit(env.F, nil, &cfg), "--force"); code != 0 || env.ConfigFile(t) != want {
		t.Fatalf("an existing --config file is read: exit %d, config %q\n%s", code, env.ConfigFile(t), env.ErrOut)
	}
}
