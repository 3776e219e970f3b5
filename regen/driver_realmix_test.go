package regen

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// The task driver's Elixir runs on the real Elixir (Debian's elixir 1.14,
// no Ecto needed: a fake repo module answers config/0 and __adapter__/0)
// and on mixsim: the same tasks run, repeats included, the check passes
// for the right database and halts with driverMismatchExit, naming the
// same databases, for a wrong one. Skipped without `mix`, failed under
// CI=true.

const fakeRepoProject = `defmodule Rec.MixProject do
  use Mix.Project

  def project, do: [app: :rec, version: "0.1.0", deps: []]
end
`

const fakeRepoConfig = `import Config

config :rec, ecto_repos: [Rec.Repo, Rec.PgRepo]

config :rec, Rec.PgRepo,
  hostname: "db.local",
  database: "rec_pg",
  url: System.get_env("REC_PG_URL")

import_config "#{config_env()}.exs"
`

const fakeRepoEnvConfig = `import Config

config :rec, Rec.Repo,
  database: "rec_#{config_env()}.db",
  pool_size: 5
`

// The repo modules: real Ecto's would come from `use Ecto.Repo`.
const fakeRepoModule = `defmodule Rec.Repo do
  def config, do: Application.get_env(:rec, __MODULE__)
  def __adapter__, do: Ecto.Adapters.SQLite3
end
`

const fakePgRepoModule = `defmodule Rec.PgRepo do
  def config, do: Application.get_env(:rec, __MODULE__)
  def __adapter__, do: Ecto.Adapters.Postgres
end
`

const recordTask = `defmodule Mix.Tasks.T do
  use Mix.Task

  def run(args) do
    File.write!("calls.log", "t " <> Enum.join(args, " ") <> "\n", [:append])
  end
end
`

func driverProject(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range map[string]string{
		"mix.exs": fakeRepoProject, "config/config.exs": fakeRepoConfig, "config/dev.exs": fakeRepoEnvConfig,
		"config/test.exs": fakeRepoEnvConfig, "lib/rec/repo.ex": fakeRepoModule, "lib/rec/pg_repo.ex": fakePgRepoModule, "lib/mix/tasks/t.ex": recordTask,
	} {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type driverRun struct {
	calls    string
	code     int
	mismatch *DatabaseMismatchError
}

// runDriverWith runs the script as asDriver does: with -e, and from a file
// (a long script) when REGEN_DRIVER_FILE=1.
func runDriverWith(t *testing.T, mix []string, dir, script string, env ...string) driverRun {
	t.Helper()
	file := filepath.Join(t.TempDir(), "driver.exs")
	os.WriteFile(file, []byte(script), 0o600)
	os.Remove(filepath.Join(dir, "calls.log"))
	args := append(append([]string{}, mix[1:]...), "run", "--no-start", "-e", script)
	if os.Getenv("REGEN_DRIVER_FILE") == "1" {
		args = append(append([]string{}, mix[1:]...), "run", "--no-start", file)
	}
	cmd := exec.Command(mix[0], args...)
	cmd.Dir = dir
	home := filepath.Join(dir, ".home")
	cmd.Env = append(append(os.Environ(), "HOME="+home, "MIX_HOME="+filepath.Join(home, "mix")), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
	return driverRun{string(calls), code, parseMismatch(stderr.String())}
}

func TestDriverScriptOnRealElixirAndMixsim(t *testing.T) {
	mix := regentest.RequireMix(t)
	real, sim := driverProject(t), driverProject(t)
	tasks := [][]string{{"t", "a"}, {"t", "b", `quote " and #{x}`}, {"t", "c"}}
	want := "t a\nt b quote \" and #{x}\nt c\n"
	for _, env := range []string{"dev", "test"} {
		t.Run("MIX_ENV="+env, func(t *testing.T) {
			if env == "test" {
				t.Setenv("REGEN_DRIVER_FILE", "1") // the script from a file
			}
			ok := driverScript([]string{"Rec.Repo", "sqlite " + filepath.Join(real, "rec_"+env+".db")}, tasks)
			okSim := driverScript([]string{"Rec.Repo", "sqlite " + filepath.Join(sim, "rec_"+env+".db")}, tasks)
			r := runDriverWith(t, []string{mix}, real, ok, "MIX_ENV="+env)
			s := runDriverWith(t, []string{regentest.Mixsim(t)}, sim, okSim, "MIX_ENV="+env)
			if r.code != 0 || s.code != 0 || r.calls != want || s.calls != want {
				t.Fatalf("right database: real exit %d calls %q; mixsim exit %d calls %q; want exit 0 calls %q", r.code, r.calls, s.code, s.calls, want)
			}
			// PostgreSQL: the keyword options, then a URL over them.
			for _, pg := range []struct{ url, identity string }{{"", "postgres db.local:5432/rec_pg"}, {"ecto://u:secret@h.example:5433/urldb", "postgres h.example:5433/urldb"}} {
				check := driverScript([]string{"Rec.PgRepo", pg.identity}, tasks[:1])
				r := runDriverWith(t, []string{mix}, real, check, "MIX_ENV="+env, "REC_PG_URL="+pg.url)
				s := runDriverWith(t, []string{regentest.Mixsim(t)}, sim, check, "MIX_ENV="+env, "REC_PG_URL="+pg.url)
				if r.code != 0 || s.code != 0 {
					t.Fatalf("postgres %q: real exit %d %+v, mixsim exit %d %+v", pg.url, r.code, r.mismatch, s.code, s.mismatch)
				}
			}
			other := map[string]string{"dev": "test", "test": "dev"}[env]
			bad := driverScript([]string{"Rec.Repo", "sqlite " + filepath.Join(real, "rec_"+other+".db")}, tasks)
			badSim := driverScript([]string{"Rec.Repo", "sqlite " + filepath.Join(sim, "rec_"+other+".db")}, tasks)
			r = runDriverWith(t, []string{mix}, real, bad, "MIX_ENV="+env)
			s = runDriverWith(t, []string{regentest.Mixsim(t)}, sim, badSim, "MIX_ENV="+env)
			if r.code != driverMismatchExit || s.code != driverMismatchExit || r.calls != "" || s.calls != "" {
				t.Fatalf("wrong database: real exit %d calls %q; mixsim exit %d calls %q; want exit %d and no task run", r.code, r.calls, s.code, s.calls, driverMismatchExit)
			}
			if r.mismatch == nil || s.mismatch == nil {
				t.Fatalf("no mismatch line: real %+v mixsim %+v", r.mismatch, s.mismatch)
			}
			rm, sm := r.mismatch.Mismatches[0], s.mismatch.Mismatches[0]
			rm.Expected = strings.ReplaceAll(rm.Expected, real, "ROOT")
			rm.Actual = strings.ReplaceAll(rm.Actual, real, "ROOT")
			sm.Expected = strings.ReplaceAll(sm.Expected, sim, "ROOT")
			sm.Actual = strings.ReplaceAll(sm.Actual, sim, "ROOT")
			wantM := dbMismatch{Repo: "Rec.Repo", Expected: "sqlite ROOT/rec_" + other + ".db", Actual: "sqlite ROOT/rec_" + env + ".db", Env: env}
			if !reflect.DeepEqual(rm, wantM) || !reflect.DeepEqual(sm, wantM) {
				t.Fatalf("mismatch:\nreal   %+v\nmixsim %+v\nwant   %+v", rm, sm, wantM)
			}
		})
	}
}
