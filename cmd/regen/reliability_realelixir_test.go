package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
	"github.com/regen-tool/regen/scripts/benchtool/realmix"
)

// Whole runs under the real Elixir (Debian's 1.14 on OTP 25): the feature
// scenario as a real Mix project (scripts/benchtool/realmix, the builder
// scripts/bench times), whose Ash/Ecto task shims run the stand-in for the
// file and database work inside the real VM. `regen NAME -m` then asks the
// real VM for its repos' config, runs the driver's database check and the
// three tasks in that one VM; `mix regen NAME -m` (the Hex package, path
// dependency) runs them in the Mix task's own VM. Skipped without `mix`,
// failed under CI=true.

// realFeature is featureOf's scenario (one untracked, applied migration;
// the resource changed again; a post with a subtitle) as a real Mix
// project, compiled.
func realFeature(t *testing.T) (*regentest.Project, []string) {
	t.Helper()
	return realFeatureWith(t, nil)
}

// realFeatureWith is realFeature with some task shims replaced: shims
// maps a task (ash.codegen) to its module's run/1 body (Elixir), which
// may call Blog.Sim.run(task, args) for the task's real work.
func realFeatureWith(t *testing.T, shims map[string]string) (*regentest.Project, []string) {
	t.Helper()
	requireMix(t)
	p := feature(t)
	if err := realmix.Write(p.Root, regentest.Mixsim(t)); err != nil {
		t.Fatal(err)
	}
	for task, body := range shims {
		mod := fmt.Sprintf("defmodule Mix.Tasks.%s do\n  use Mix.Task\n  def run(args) do\n%s\n  end\nend\n", shimModuleName(task), body)
		p.Write("lib/mix/tasks/"+task+".ex", mod)
	}
	p.Git("add", "mix.exs", ".regen.toml", "lib/mix", "lib/blog/repo.ex")
	p.Git("commit", "-q", "-m", "a real Mix project")
	env := mixEnv(t)
	if out, code := mixCode(p.Root, env, "compile"); code != 0 {
		t.Fatalf("mix compile of the real-Elixir project: exit %d\n%s", code, out)
	}
	return p, env
}

// countedMix is a `mix` that logs one line per VM start, then runs the
// real one; its folder goes first on PATH.
func countedMix(t *testing.T) (dir, log string) {
	t.Helper()
	real, err := exec.LookPath("mix")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	log = filepath.Join(dir, "starts.log")
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >>'%s'\nexec '%s' \"$@\"\n", log, real)
	if err := os.WriteFile(filepath.Join(dir, "mix"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, log
}

func vmStarts(t *testing.T, log string) []string {
	t.Helper()
	data, _ := os.ReadFile(log)
	os.Remove(log)
	var starts []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l != "" {
			starts = append(starts, l)
		}
	}
	return starts
}

// checkRegenerated: the regenerated migration replaced the untracked one,
// is applied (and the old one is not), the new column exists and the
// post kept its subtitle (keep_data over the rollback).
func checkRegenerated(t *testing.T, p *regentest.Project, name, out string) {
	t.Helper()
	migs := p.Migrations()
	if !hasSuffix(migs, "_"+name+".exs") || hasSuffix(migs, "_add_subtitle.exs") {
		t.Fatalf("migrations after the run: %v\n%s", migs, out)
	}
	var newest string
	for _, m := range migs {
		if strings.HasSuffix(m, "_"+name+".exs") {
			newest = filepath.Base(m)[:14]
		}
	}
	applied := fmt.Sprint(p.Applied())
	if !strings.Contains(applied, newest) || len(p.Applied()) != 2 {
		t.Fatalf("applied %s, want the baseline and %s\n%s", applied, newest, out)
	}
	dsn := "file:" + p.DB
	if got := queryOne(t, "sqlite", dsn, "SELECT subtitle || '/' || typeof(views) FROM posts"); got != "s/null" {
		t.Fatalf("the post after the run: %q, want its subtitle kept and the new column\n%s", got, out)
	}
	if untracked := p.Untracked("priv/resource_snapshots"); len(untracked) != 1 {
		t.Fatalf("untracked snapshots %v, want the regenerated one\n%s", untracked, out)
	}
}

// A cold run (regen never asked this project) and a warm one, each one
// VM start of the real mix: config, check, rollback, codegen, migrate.
func TestReliabilityOneVMRealElixirColdAndWarmRun(t *testing.T) {
	p, env := realFeature(t)
	bin, log := countedMix(t)
	regen := func(args ...string) (string, int) {
		t.Helper()
		cmd := p.RegenCmd(args...)
		cmd.Env = append(append(cmd.Env, env...), "REGEN_MIX="+filepath.Join(bin, "mix"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		code := exitCode(cmd.Run())
		return out.String(), code
	}
	out, code := regen("add_subtitle_and_views", "-m")
	if code != 0 {
		t.Fatalf("cold regen NAME -m under real Elixir: exit %d\n%s", code, out)
	}
	if starts := vmStarts(t, log); len(starts) != 1 || !strings.Contains(starts[0], "run --no-start") {
		t.Fatalf("cold run: VM starts %v, want 1 (the driver)\n%s", starts, out)
	}
	for _, step := range []string{"✓ config", "✓ backup", "✓ rollback", "✓ codegen", "✓ migrate", "✓ verify", "Running codegen for AshSqlite.DataLayer"} {
		if !strings.Contains(out, step) {
			t.Errorf("the cold run should show %q:\n%s", step, out)
		}
	}
	if strings.Contains(out, "driver failed") {
		t.Fatalf("the run fell back to separate starts:\n%s", out)
	}
	checkRegenerated(t, p, "add_subtitle_and_views", out)

	// Warm: the cached config; the resource changed once more.
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true", "attribute :likes, :integer, public?: true"))
	out, code = regen("add_subtitle_views_likes", "-m")
	if code != 0 {
		t.Fatalf("warm regen NAME -m under real Elixir: exit %d\n%s", code, out)
	}
	if starts := vmStarts(t, log); len(starts) != 1 {
		t.Fatalf("warm run: VM starts %v, want 1\n%s", starts, out)
	}
	if strings.Contains(out, "✓ config") {
		t.Errorf("the warm run asked for the config again:\n%s", out)
	}
	migs := p.Migrations()
	if !hasSuffix(migs, "_add_subtitle_views_likes.exs") || hasSuffix(migs, "_add_subtitle_and_views.exs") {
		t.Fatalf("migrations after the warm run: %v\n%s", migs, out)
	}
	if got := queryOne(t, "sqlite", "file:"+p.DB, "SELECT subtitle || '/' || typeof(likes) FROM posts"); got != "s/null" {
		t.Fatalf("the post after the warm run: %q\n%s", got, out)
	}
}

// The real VM's answer is what regen checks: the database the project's
// config names in the real VM is the one backed up and changed. A task
// that fails in the real VM (the stand-in's codegen exits 1 inside the
// shim) is the step's failure: everything is restored, byte for byte.
func TestReliabilityOneVMRealElixirFailingTaskRestores(t *testing.T) {
	p, env := realFeature(t)
	before := p.Capture()
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Env = append(append(cmd.Env, env...), "REGEN_MIX=mix", "MIXSIM_FAIL=ash.codegen:after")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if code := exitCode(cmd.Run()); code == 0 {
		t.Fatalf("a failing codegen under real Elixir: exit 0\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Everything was restored") {
		t.Fatalf("the run does not say it restored:\n%s", out.String())
	}
	mustSame(t, before, p.Capture())
}

// useHexPackage makes p (a realmix project) use the Hex package as a path
// dependency (a copy of hex/), with the regen binary under test configured.
func useHexPackage(t *testing.T, p *regentest.Project) {
	t.Helper()
	hex := filepath.Join(t.TempDir(), "hex")
	copyTree(t, filepath.Join(regentest.ModuleRoot(), "hex"), hex)
	mixExs := strings.Replace(realmix.MixExs, "deps: []", fmt.Sprintf("deps: [{:regen, path: %q, only: :dev, runtime: false}]", hex), 1)
	p.Write("mix.exs", mixExs)
	vout, _ := p.Regen("--version")
	version := strings.Fields(vout + " ?")[1]
	cfg, err := os.ReadFile(filepath.Join(p.Root, "config", "config.exs"))
	if err != nil {
		t.Fatal(err)
	}
	p.Write("config/config.exs", string(cfg)+fmt.Sprintf("\nconfig :regen, path: %q, version: %q\n", regentest.Regen(t), version))
	p.Git("add", "mix.exs", "config/config.exs")
	p.Git("commit", "-q", "-m", "mix regen")
}

// mix regen NAME -m: the Hex package (path dependency) runs regen, and
// regen's driver runs in the Mix task's own VM: one VM start in all.
func TestReliabilityOneVMRealElixirMixRegen(t *testing.T) {
	p, env := realFeature(t)
	bin, log := countedMix(t)
	useHexPackage(t, p)
	mix := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, "mix"), args...)
		cmd.Dir = p.Root
		cmd.Env = append(append(append(os.Environ(), p.GitEnv()...), env...), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		code := exitCode(cmd.Run())
		return out.String(), code
	}
	if out, code := mix("compile"); code != 0 {
		t.Fatalf("mix compile with the Hex package: exit %d\n%s", code, out)
	}
	vmStarts(t, log)
	out, code := mix("regen", "add_subtitle_and_views", "-m")
	if code != 0 {
		t.Fatalf("mix regen NAME -m: exit %d\n%s", code, out)
	}
	if starts := vmStarts(t, log); len(starts) != 1 || !strings.HasPrefix(starts[0], "regen") {
		t.Fatalf("mix regen NAME -m: VM starts %v, want 1 (mix regen's own)\n%s", starts, out)
	}
	if strings.Contains(out, "driver failed") {
		t.Fatalf("mix regen fell back to separate starts:\n%s", out)
	}
	checkRegenerated(t, p, "add_subtitle_and_views", out)
}
