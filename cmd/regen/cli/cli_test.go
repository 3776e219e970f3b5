package cli_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/cmd/regen/cli"
	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	"github.com/regen-tool/regen/cmd/regen/iostreams"
	"github.com/regen-tool/regen/regen/regentest"
)

// The command layer run in-process with iostreams.Test buffers: what goes
// to stdout, what to stderr, and the exit code.

type result struct {
	code        int
	out, errOut string
}

func runIn(t *testing.T, dir string, getenv func(string) string, args ...string) result {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	f := &cmdutil.Factory{IOStreams: ios, Getenv: getenv, Dir: func() (string, error) { return dir, nil }, Now: time.Now}
	code := cli.Run(context.Background(), f, args)
	return result{code, out.String(), errOut.String()}
}

func noRepo(t *testing.T, args ...string) result { return runIn(t, t.TempDir(), nil, args...) }

func TestEmptyNameSaysItIsEmpty(t *testing.T) {
	r := noRepo(t, "")
	if r.code != 2 || !strings.Contains(r.errOut, "the migration name is empty") || strings.Contains(r.errOut, "--yes") || r.out != "" {
		t.Fatalf("regen \"\": %+v", r)
	}
}

func TestFlagLikeNameAfterDoubleDash(t *testing.T) {
	r := noRepo(t, "--", "-m")
	if r.code != 2 || !strings.Contains(r.errOut, `"-m" looks like a flag`) || !strings.Contains(r.errOut, "cannot start with -") ||
		strings.Contains(r.errOut, "there is none") || r.out != "" {
		t.Fatalf("regen -- -m: %+v", r)
	}
}

// A name that looks like a subcommand still asks for --yes, spelled right.
func TestSubcommandLikeNameSuggestsYes(t *testing.T) {
	r := noRepo(t, "stauts")
	if r.code != 2 || !strings.Contains(r.errOut, "`regen stauts --yes`") {
		t.Fatalf("regen stauts: %+v", r)
	}
}

func TestVersionFlagAndCommandAgree(t *testing.T) {
	v := noRepo(t, "version")
	if v.code != 0 || !strings.HasPrefix(v.out, "regen ") || v.errOut != "" {
		t.Fatalf("regen version: %+v", v)
	}
	for _, args := range [][]string{{"-v"}, {"--version"}} {
		if r := noRepo(t, args...); r.code != 0 || r.out != v.out {
			t.Errorf("regen %v printed %q, regen version %q", args, r.out, v.out)
		}
	}
}

func TestCompletionUnknownShellIsAUsageError(t *testing.T) {
	for _, args := range [][]string{{"completion", "tcsh"}, {"completion"}, {"completion", "bash", "zsh"}} {
		r := noRepo(t, args...)
		if r.code != 2 || r.out != "" {
			t.Errorf("regen %v: exit %d, stdout %q", args, r.code, r.out)
		}
		for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
			if !strings.Contains(r.errOut, sh) {
				t.Errorf("regen %v: the error should name the supported shell %s:\n%s", args, sh, r.errOut)
			}
		}
	}
	if r := noRepo(t, "completion", "tcsh"); !strings.Contains(r.errOut, `"tcsh"`) {
		t.Errorf("the error should name the shell asked for:\n%s", r.errOut)
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := noRepo(t, "completion", sh); r.code != 0 || !strings.Contains(r.out, "regen") || r.errOut != "" {
			t.Errorf("regen completion %s: exit %d, stderr %q, %d bytes on stdout", sh, r.code, r.errOut, len(r.out))
		}
	}
}

// --config is persistent: every command that opens the engine opens it
// with that file, given before or after the subcommand (recover and init
// dropped it before); version, completion and hook accept it and open none.
func TestConfigFlagReachesEveryCommand(t *testing.T) {
	p := regentest.NewProject(t)
	cfg := filepath.Join(p.Root, "other.toml")
	engine := [][]string{
		{"add_x", "--dry-run"}, {"status"}, {"undo"}, {"check", "--no-codegen"}, {"recover"}, {"recover", "--discard-journal"},
	}
	for _, args := range engine {
		for _, full := range [][]string{append(append([]string{}, args...), "--config", cfg), append([]string{"--config", cfg}, args...)} {
			env := cmdtest.New(t, p.Root, p.Getenv)
			cli.Run(context.Background(), env.F, full)
			if len(env.Opened) == 0 || env.ConfigFile(t) != cfg {
				t.Errorf("regen %v: the engine did not get --config (opened %d)\n%s", full, len(env.Opened), env.ErrOut)
			}
		}
	}
	for _, args := range [][]string{{"version"}, {"completion", "bash"}, {"hook", "--help"}} {
		env := cmdtest.New(t, p.Root, p.Getenv)
		if code := cli.Run(context.Background(), env.F, append(args, "--config", cfg)); code != 0 || len(env.Opened) != 0 {
			t.Errorf("regen %v --config: exit %d, engines %d\n%s", args, code, len(env.Opened), env.ErrOut)
		}
	}
	// A config that exists is read: its mistake is reported, with its name.
	// (init writes the --config file: one that does not exist yet is not
	// read, initcmd's tests show it is the one written.)
	p.Write("other.toml", "migartions = \"x\"\n")
	for _, args := range [][]string{{"add_x", "--dry-run"}, {"status"}, {"check", "--no-codegen"}, {"init", "--stdout"}} {
		env := cmdtest.New(t, p.Root, p.Getenv)
		if code := cli.Run(context.Background(), env.F, append(args, "--config", cfg)); code != 2 || !strings.Contains(env.ErrOut.String(), "other.toml") {
			t.Errorf("regen %v --config other.toml: exit %d\n%s", args, code, env.ErrOut)
		}
	}
}

// --config still reaches the engine, before or after the subcommand.
func TestConfigFlagIsRead(t *testing.T) {
	p := regentest.NewProject(t)
	for _, args := range [][]string{{"status", "--config", "nosuch.toml"}, {"--config", "nosuch.toml", "status"}} {
		r := runIn(t, p.Root, p.Getenv, args...)
		if r.code != 2 || !strings.Contains(r.errOut, "nosuch.toml") {
			t.Errorf("regen %v: %+v", args, r)
		}
	}
}

// README, "Flags of `regen NAME`": "`regen status --json` prints the plan as
// JSON on stdout; everything for people goes to stderr, one line per step
// with its duration, the mix tasks' output streamed through indented", and
// the results a command is asked for (status, check's report, version,
// completion, init --stdout, help) go to stdout.
func TestREADMEWhereOutputGoes(t *testing.T) {
	p := regentest.NewProject(t)
	p.Write("lib/blog/post.ex", regentest.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true", "attribute :views, :integer, public?: true"}, nil))
	run := func(args ...string) result { return runIn(t, p.Root, p.Getenv, args...) }

	stdoutOnly := func(r result, what string, args ...string) {
		t.Helper()
		if r.code != 0 || !strings.Contains(r.out, what) || strings.Contains(r.errOut, what) {
			t.Errorf("regen %v: exit %d; stdout (not stderr) should hold %q:\nstdout:\n%s\nstderr:\n%s", args, r.code, what, r.out, r.errOut)
		}
	}
	stderrOnly := func(r result, code int, args []string, what ...string) {
		t.Helper()
		if r.code != code || r.out != "" {
			t.Errorf("regen %v: exit %d (want %d); stdout should be empty:\n%s", args, r.code, code, r.out)
		}
		for _, w := range what {
			if !strings.Contains(r.errOut, w) {
				t.Errorf("regen %v: stderr lacks %q:\n%s", args, w, r.errOut)
			}
		}
	}

	stdoutOnly(run("status"), "preset", "status")
	js := run("status", "--json")
	var plan map[string]any
	if err := json.Unmarshal([]byte(js.out), &plan); err != nil || js.code != 0 {
		t.Errorf("status --json: %v, stderr %q", err, js.errOut)
	}
	stderrOnly(run("add_views", "--dry-run"), 0, []string{"add_views", "--dry-run"}, "dry run: nothing was changed")
	// A real run: one line per step with its duration, mix's output indented.
	stderrOnly(run("add_views", "-m"), 0, []string{"add_views", "-m"}, "✓ backup", "✓ codegen", "    │ ", "done: ")
	stderrOnly(run("undo"), 0, []string{"undo"}, "undone: ")
	stderrOnly(run("recover"), 0, []string{"recover"}, "nothing to recover")
	stderrOnly(run("undo"), 2, []string{"undo (nothing to undo)"}, "regen: ", "no regen run to undo")
	stdoutOnly(run("init", "--stdout"), "preset", "init", "--stdout")
	stdoutOnly(run("version"), "regen ", "version")
	stdoutOnly(run("completion", "bash"), "bash completion", "completion", "bash")
	stdoutOnly(run("--help"), "Usage:", "--help")
	chk := run("check", "--codegen", "never", "--format", "json")
	if chk.code != 0 || !json.Valid([]byte(chk.out)) || !strings.Contains(chk.errOut, "regen check: ") {
		t.Errorf("check: the report on stdout, its notes on stderr: exit %d\nstdout:\n%s\nstderr:\n%s", chk.code, chk.out, chk.errOut)
	}
}
