package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Where mixsim models Mix itself rather than Ash (a task runs at most once
// per VM, `mix do` parsing, exit codes, `mix run FILE` scripts with
// Mix.Task.run/rerun/reenable), the same tiny project with recording tasks
// runs through the real Mix and through mixsim: the calls and the exit
// status must be the same. Needs `mix` (Debian's elixir); skipped without
// it, failed under CI=true.

// requireMix returns the real mix, or skips (fails under CI).
func requireMix(t *testing.T) string {
	t.Helper()
	mix, err := exec.LookPath("mix")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mix is not on PATH (CI=true): install Debian's elixir: %v", err)
		}
		t.Skipf("mix is not on PATH (apt-get install elixir): %v", err)
	}
	return mix
}

var recorderFiles = map[string]string{
	"mix.exs": `defmodule Rec.MixProject do
  use Mix.Project

  def project, do: [app: :rec, version: "0.1.0", deps: []]
end
`,
	"lib/mix/tasks/t.ex": `defmodule Mix.Tasks.T do
  use Mix.Task

  def run(args) do
    File.write!("calls.log", "t " <> Enum.join(args, " ") <> "\n", [:append])
    if "--fail" in args, do: Mix.raise("t failed")
  end
end
`,
	"lib/mix/tasks/u.ex": `defmodule Mix.Tasks.U do
  use Mix.Task

  def run(args) do
    File.write!("calls.log", "u " <> Enum.join(args, " ") <> "\n", [:append])
    Mix.Task.run("t", ["from-u" | args])
  end
end
`,
	"lib/mix/tasks/w.ex": `defmodule Mix.Tasks.W do
  use Mix.Task

  def run(args) do
    Mix.Task.reenable("t")
    Mix.Task.run("t", ["from-w" | args])
  end
end
`,
}

type mixCase struct {
	name   string
	script string // written to drv.exs when set
	args   []string
	want   string // calls.log, to keep the comparison honest
	code   int
}

var mixCases = []mixCase{
	{name: "do repeats a task: it runs once", args: []string{"do", "t", "a", "+", "t", "b"}, want: "t a\n"},
	{name: "a task run by another task also runs once", args: []string{"do", "t", "a", "+", "u", "b"}, want: "t a\nu b\n"},
	{name: "a task that reenables first runs it again", args: []string{"do", "t", "a", "+", "w", "b"}, want: "t a\nt from-w b\n"},
	{name: "comma-separated do", args: []string{"do", "t", "a,", "u", "b"}, want: "t a\nu b\n"},
	{name: "do stops at the first failure", args: []string{"do", "t", "--fail", "+", "u", "x"}, want: "t --fail\n", code: 1},
	{name: "an unknown task fails before the rest", args: []string{"do", "nosuch", "+", "t"}, want: "", code: 1},
	{name: "one task", args: []string{"t", "x", "y"}, want: "t x y\n"},
	{name: "script: rerun runs again, reenable lets a nested run through",
		script: "Mix.Task.rerun(\"t\", [\"one\"])\nMix.Task.rerun(\"t\", [\"two\"])\nMix.Task.run(\"t\", [\"three\"])\nMix.Task.rerun(\"u\", [\"four\"])\nMix.Task.reenable(\"no.such.task\")\nMix.Task.reenable(\"t\")\nMix.Task.rerun(\"u\", [\"five\"])\n",
		args:   []string{"run", "--no-start", "drv.exs"}, want: "t one\nt two\nu four\nu five\nt from-u five\n"},
	{name: "script: a failing task ends it with status 1",
		script: "Mix.Task.rerun(\"t\", [\"--fail\"])\nMix.Task.rerun(\"t\", [\"after\"])\n",
		args:   []string{"run", "--no-start", "--no-compile", "drv.exs"}, want: "t --fail\n", code: 1},
}

func newRecorder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range recorderFiles {
		write(t, dir, rel, content)
	}
	return dir
}

func realMix(t *testing.T, mix, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(mix, args...)
	cmd.Dir = dir
	home := filepath.Join(dir, ".home")
	cmd.Env = append(os.Environ(), "HOME="+home, "MIX_HOME="+filepath.Join(home, "mix"), "MIX_ENV=dev")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

func TestMixModelMatchesRealMix(t *testing.T) {
	mix := requireMix(t)
	real, sim := newRecorder(t), newRecorder(t)
	if out, code := realMix(t, mix, real, "compile"); code != 0 {
		t.Fatalf("real mix compile: exit %d\n%s", code, out)
	}
	if out, code := realMix(t, mix, real, "--version"); code == 0 {
		t.Logf("real Mix: %s", strings.TrimSpace(out))
	}
	for _, c := range mixCases {
		t.Run(c.name, func(t *testing.T) {
			for _, dir := range []string{real, sim} {
				os.Remove(filepath.Join(dir, "calls.log"))
				if c.script != "" {
					write(t, dir, "drv.exs", c.script)
				}
			}
			out, code := realMix(t, mix, real, c.args...)
			calls, _ := os.ReadFile(filepath.Join(real, "calls.log"))
			r := mixsim(t, sim, map[string]string{"MIX_ENV": "dev"}, c.args...)
			simCalls, _ := os.ReadFile(filepath.Join(sim, "calls.log"))
			if string(calls) != string(simCalls) || code != r.code {
				t.Fatalf("real mix: exit %d, calls %q\nmixsim:   exit %d, calls %q\nreal output:\n%s\nmixsim stderr:\n%s", code, calls, r.code, simCalls, out, r.stderr)
			}
			if string(calls) != c.want || code != c.code {
				t.Fatalf("both: exit %d, calls %q; the case expects exit %d, calls %q", code, calls, c.code, c.want)
			}
		})
	}
}
