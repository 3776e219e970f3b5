package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Mix reads config/config.exs and what it imports, with config_env() as
// MIX_ENV: the database follows the environment, as in a Phoenix project.
func TestConfigFollowsMixEnv(t *testing.T) {
	dir := newProject(t, nil)
	write(t, dir, "config/test.exs", "import Config\n\nconfig :app_sqlite, AppSqlite.Repo,\n  database: Path.expand(\"../app_sqlite_#{config_env()}.db\", __DIR__),\n  pool_size: 5\n")
	write(t, dir, "config/prod.exs", "import Config\n\nconfig :app_sqlite, AppSqlite.Repo,\n  database: System.get_env(\"DATABASE_PATH\") || \"fallback.db\"\n")
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{nil, filepath.Join(dir, "app_sqlite_dev.db")},
		{map[string]string{"MIX_ENV": "test"}, filepath.Join(dir, "app_sqlite_test.db")},
		{map[string]string{"MIX_ENV": "prod"}, filepath.Join(dir, "fallback.db")},
		{map[string]string{"MIX_ENV": "prod", "DATABASE_PATH": "/data/x.db"}, "/data/x.db"},
	} {
		r := mustOK(t, mixsim(t, dir, c.env, "run", "--no-start", "--no-compile", "-e", "regen-repo"))
		if !strings.Contains(r.stdout, "database="+encodeWWWForm(c.want)+" ") {
			t.Errorf("env %v: want database %s in\n%s", c.env, c.want, r.stdout)
		}
	}
	// An import of a missing file fails as Mix does.
	r := mixsim(t, dir, map[string]string{"MIX_ENV": "staging"}, "run", "--no-start", "-e", "regen-repo")
	if r.code != 1 || !strings.Contains(r.stderr, "staging.exs") {
		t.Errorf("missing import: exit %d %q", r.code, r.stderr)
	}
}

// A script mixsim cannot evaluate is refused, not skipped.
func TestRunScriptRefusesWhatItCannotEvaluate(t *testing.T) {
	dir := newProject(t, nil)
	write(t, dir, "drv.exs", "Mix.Task.rerun(\"ecto.migrations\", [])\nIO.puts(\"x\")\n")
	r := mixsim(t, dir, nil, "run", "--no-start", "drv.exs")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot evaluate") {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	if r := mixsim(t, dir, nil, "run", "--no-start", "missing.exs"); r.code != 1 || !strings.Contains(r.stderr, "No such file") {
		t.Fatalf("missing script: exit %d %q", r.code, r.stderr)
	}
}

// regen check's marker between compile and codegen is printed as Elixir
// would; anything else in IO.puts stays refused.
func TestRunPrintsTheCompiledMarker(t *testing.T) {
	dir := newProject(t, nil)
	r := mixsim(t, dir, nil, "do", "compile", "+", "run", "--no-start", "--no-compile", "-e", `IO.puts("regen-check-compiled")`, "+", "ash.codegen", "--check")
	if r.code != 0 || !strings.Contains(r.stdout, "\nregen-check-compiled\n") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := mixsim(t, dir, nil, "run", "--no-start", "-e", `IO.puts("x")`); r.code != 1 || !strings.Contains(r.stderr, "cannot evaluate") {
		t.Fatalf("other IO.puts: exit %d %q", r.code, r.stderr)
	}
}
