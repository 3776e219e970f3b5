package check_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/cmd/regen/check"
	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	"github.com/regen-tool/regen/regen/regentest"
)

// How the flags become Options: --codegen's default follows --staged,
// --no-codegen means never, and contradictions are usage errors.
func TestCheckFlagsToOptions(t *testing.T) {
	for _, c := range []struct {
		args    []string
		codegen string
		code    int
	}{
		{nil, "always", 0},
		{[]string{"--staged"}, "auto", 0},
		{[]string{"--no-codegen"}, "never", 0},
		{[]string{"--staged", "--codegen", "always"}, "always", 0},
		{[]string{"--no-codegen", "--codegen", "never"}, "never", 0},
		{[]string{"--no-codegen", "--codegen", "auto"}, "", 2},
		{[]string{"--format", "xml"}, "", 2},
		{[]string{"--nosuch"}, "", 2},
	} {
		env := cmdtest.New(t, t.TempDir(), nil)
		cfg := "c.toml"
		var cap cmdtest.Captured[check.Options]
		code := env.Exec(check.NewCmdCheck(env.F, cap.RunF, &cfg), c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d\n%s", c.args, code, c.code, env.ErrOut)
			continue
		}
		if c.code != 0 {
			if cap.N != 0 {
				t.Errorf("%v: ran despite the usage error", c.args)
			}
			continue
		}
		if cap.N != 1 || cap.Opts.Codegen != c.codegen || *cap.Opts.ConfigFile != "c.toml" || len(env.Opened) != 0 {
			t.Errorf("%v: options %+v", c.args, cap.Opts)
		}
	}
	env := cmdtest.New(t, t.TempDir(), nil)
	var cap cmdtest.Captured[check.Options]
	env.Exec(check.NewCmdCheck(env.F, cap.RunF, nil), "--base", "main", "--format", "github", "--unsafe", "--roundtrip", "--timeout", "1m", "--codegen-paths", "lib/**,config/*")
	o := cap.Opts
	if o.Base != "main" || o.Format != "github" || !o.Unsafe || !o.Roundtrip || o.Timeout != time.Minute || strings.Join(o.CodegenPaths, " ") != "lib/** config/*" {
		t.Fatalf("options %+v", o)
	}
}

// The real engine: a clean project has no findings (exit 0, the report on
// stdout); an untracked misnamed migration is a finding (exit 1).
func TestCheckOnARealProject(t *testing.T) {
	p := regentest.NewProject(t)
	env := cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(check.NewCmdCheck(env.F, nil, nil), "--codegen", "never", "--format", "json"); code != 0 || !json.Valid(env.Out.Bytes()) {
		t.Fatalf("clean: exit %d\nstdout:\n%s\nstderr:\n%s", code, env.Out, env.ErrOut)
	}
	p.Write("priv/repo/migrations/2030010100000_add_x.exs", "")
	env = cmdtest.New(t, p.Root, p.Getenv)
	if code := env.Exec(check.NewCmdCheck(env.F, nil, nil), "--no-codegen"); code != 1 || !strings.Contains(env.Out.String(), "[migration-name]") {
		t.Fatalf("findings: exit %d\nstdout:\n%s\nstderr:\n%s", code, env.Out, env.ErrOut)
	}
}

func TestCheckReadsConfig(t *testing.T) {
	p := regentest.NewProject(t)
	env := cmdtest.New(t, p.Root, p.Getenv)
	cfg := filepath.Join(p.Root, "nosuch.toml")
	if code := env.Exec(check.NewCmdCheck(env.F, nil, &cfg), "--no-codegen"); code != 2 || env.ConfigFile(t) != cfg || !strings.Contains(env.ErrOut.String(), "nosuch.toml") {
		t.Fatalf("exit %d\n%s", code, env.ErrOut)
	}
}
