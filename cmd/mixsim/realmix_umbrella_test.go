package main

import (
	"os"
	"path/filepath"
	"testing"
)

// At an umbrella's root a recursive task runs in each app's folder, and at
// most once per VM like any task: `mix do t a + t b` runs `t a` in every
// app and never `t b` (which is why regen runs each root command as one
// task driver per app, in the app's folder). The same umbrella with a
// recording task runs through the real Mix and through mixsim.

const recUmbrellaRoot = `defmodule RecUmbrella.MixProject do
  use Mix.Project

  def project, do: [apps_path: "apps", version: "0.1.0", deps: []]
end
`

func recUmbrellaApp(app string) string {
	return `defmodule App` + app + `.MixProject do
  use Mix.Project

  def project do
    [app: :` + app + `, version: "0.1.0", build_path: "../../_build", config_path: "../../config/config.exs",
     deps_path: "../../deps", lockfile: "../../mix.lock", deps: []]
  end
end
`
}

const recUmbrellaTask = `defmodule Mix.Tasks.T do
  use Mix.Task
  @recursive true

  def run(args) do
    File.write!("calls.log", "t " <> Enum.join(args, " ") <> "\n", [:append])
  end
end
`

func newRecUmbrella(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, "mix.exs", recUmbrellaRoot)
	write(t, dir, "config/config.exs", "import Config\n")
	for _, app := range []string{"a", "b"} {
		write(t, dir, "apps/"+app+"/mix.exs", recUmbrellaApp(app))
		write(t, dir, "apps/"+app+"/lib/mix/tasks/t.ex", recUmbrellaTask)
	}
	return dir
}

func TestMixModelMatchesRealMixAtAnUmbrellaRoot(t *testing.T) {
	mix := requireMix(t)
	real, sim := newRecUmbrella(t), newRecUmbrella(t)
	if out, code := realMix(t, mix, real, "compile"); code != 0 {
		t.Fatalf("real mix compile: exit %d\n%s", code, out)
	}
	for _, c := range []mixCase{
		{name: "a recursive task runs in every app", args: []string{"t", "x"}, want: "t x\n"},
		{name: "do repeats a recursive task: it runs once", args: []string{"do", "t", "a", "+", "t", "b"}, want: "t a\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, dir := range []string{real, sim} {
				for _, app := range []string{"a", "b"} {
					os.Remove(filepath.Join(dir, "apps", app, "calls.log"))
				}
			}
			out, code := realMix(t, mix, real, c.args...)
			r := mixsim(t, sim, map[string]string{"MIX_ENV": "dev"}, c.args...)
			for _, app := range []string{"a", "b"} {
				calls, _ := os.ReadFile(filepath.Join(real, "apps", app, "calls.log"))
				simCalls, _ := os.ReadFile(filepath.Join(sim, "apps", app, "calls.log"))
				if string(calls) != string(simCalls) || code != r.code {
					t.Fatalf("app %s: real mix: exit %d, calls %q\nmixsim:   exit %d, calls %q\nreal output:\n%s\nmixsim stderr:\n%s", app, code, calls, r.code, simCalls, out, r.stderr)
				}
				if string(calls) != c.want || code != c.code {
					t.Fatalf("app %s, both: exit %d, calls %q; the case expects exit %d, calls %q", app, code, calls, c.code, c.want)
				}
			}
		})
	}
}
