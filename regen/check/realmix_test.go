package check_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/check"
	"github.com/regen-tool/regen/regen/regentest"
)

// A Mix project for the real Elixir: no dependencies, an ash.codegen task
// that behaves like Ash's --check (drift: `** (Mix) Pending Code Generation
// Detected for N files`, exit 1) when a file named drift exists.
const realMixExs = `defmodule Rc.MixProject do
  use Mix.Project
  # The preset regen detects from the deps: {:ash_sqlite, "~> 0.2"} (not fetched here).
  def project, do: [app: :rc, version: "0.1.0", deps: []]
end
`

const realCodegenTask = `defmodule Mix.Tasks.Ash.Codegen do
  use Mix.Task

  def run(args) do
    IO.puts("Getting extensions in current project...")
    if "--check" in args and File.exists?("drift") do
      Mix.raise("Pending Code Generation Detected for 1 files")
    end
  end
end
`

// The one-start check under the real Mix (Debian's elixir): compile +
// marker + ash.codegen --check in one `mix do`; a clean project, drift
// and a compile error each reported as such. Skipped without mix, failed
// under CI=true.
func TestCheckOneStartOnRealMix(t *testing.T) {
	mix := regentest.RequireMix(t)
	root, _ := filepath.EvalSymlinks(t.TempDir())
	home := filepath.Join(root, ".home")
	t.Setenv("HOME", home)
	t.Setenv("MIX_HOME", filepath.Join(home, "mix"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for rel, content := range map[string]string{
		"mix.exs": realMixExs, "lib/mix/tasks/codegen.ex": realCodegenTask, "lib/rc.ex": "defmodule Rc do\nend\n",
		".regen.toml": "[[repos]]\nname = \"repo\"\ndatabase = \"rc_dev.db\"\n", ".gitignore": "/_build/\n/.home/\n",
	} {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := exec.Command("git", "init", "-q", "-b", "main")
	git.Dir = root
	if out, err := git.CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	// mix through a wrapper that counts its starts
	log := filepath.Join(t.TempDir(), "starts")
	counted := filepath.Join(t.TempDir(), "mix-counted")
	os.WriteFile(counted, []byte("#!/bin/sh\necho start >>'"+log+"'\nexec '"+mix+"' \"$@\"\n"), 0o755)
	starts := func() int {
		data, _ := os.ReadFile(log)
		os.Remove(log)
		return len(data) / len("start\n")
	}
	getenv := func(k string) string {
		if k == "REGEN_MIX" {
			return counted
		}
		return os.Getenv(k)
	}
	run := func() *check.Report {
		t.Helper()
		e, err := regen.Open(regen.Options{Dir: root, Getenv: getenv})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := check.Run(context.Background(), e, check.Options{Fresh: true})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := run(); codegenFound(rep) || starts() != 1 {
		t.Fatalf("clean project: %s", dump(rep))
	}
	os.WriteFile(filepath.Join(root, "drift"), nil, 0o644)
	if got := codegenRules(run()); !reflect.DeepEqual(got, []string{check.RuleCodegenDrift}) || starts() != 1 {
		t.Fatalf("drift: %v", got)
	}
	os.WriteFile(filepath.Join(root, "lib/broken.ex"), []byte("defmodule Broken do\n  def f, do: nosuch()\nend\n"), 0o644)
	rep := run()
	if got := codegenRules(rep); !reflect.DeepEqual(got, []string{check.RuleCompile}) {
		t.Fatalf("compile error: %v\n%s", got, dump(rep))
	}
	if n := starts(); n != 1 {
		t.Fatalf("compile error: %d mix starts", n)
	}
	if f := rep.Findings[0]; f.File != "lib/broken.ex" {
		t.Errorf("compile finding names %q:%d", f.File, f.Line)
	}
}

func codegenRules(rep *check.Report) []string {
	out := []string{}
	for _, f := range rep.Findings {
		switch f.Rule {
		case check.RuleCompile, check.RuleCodegenDrift, check.RuleCodegenFailed:
			out = append(out, f.Rule)
		}
	}
	return out
}
