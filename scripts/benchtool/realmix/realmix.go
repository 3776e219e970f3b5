// Package realmix turns the stand-in's blog project into a real Mix
// project that real Elixir (Debian's 1.14, no Hex, no network) runs: the
// Ash and Ecto tasks regen asks for are Mix task shims that run the
// stand-in for the file and database work, in the real VM, output
// streamed, so a whole `regen NAME -m` (config query, database check,
// rollback, codegen, migrate) runs through the real BEAM and the real Mix
// (scripts/bench and cmd/regen's TestReliabilityOneVMRealElixir*).
//
// The fake Blog.Repo answers config/0 and __adapter__/0 as Ecto's would,
// from config/config.exs, so the regen config query and the driver's
// database check read the real VM's application env. The Ash resources in
// lib/blog are the stand-in's to read: mix.exs compiles only the shims and
// the repo (Ash is not installed).
package realmix

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Tasks are the stand-in's tasks the project has shims for: every task a
// preset of regen's runs for an AshSqlite project.
var Tasks = []string{
	"ash.codegen", "ash.migrate",
	"ash_sqlite.generate_migrations", "ash_sqlite.migrate", "ash_sqlite.rollback",
	"ecto.migrate", "ecto.rollback", "ecto.migrations",
}

// MixExs is the project without dependencies.
const MixExs = `defmodule Blog.MixProject do
  use Mix.Project

  # The real-Elixir test project (scripts/benchtool/realmix): no deps; the
  # Ash resources in lib/blog are the stand-in's to read, not compiled.
  def project do
    [
      app: :blog,
      version: "0.1.0",
      elixir: "~> 1.14",
      elixirc_paths: ["lib/mix", "lib/blog/repo.ex"],
      deps: []
    ]
  end
end
`

// RegenToml names the preset: mix.exs has no :ash_sqlite dep to find it by.
const RegenToml = "preset = \"ash_sqlite\"\n"

const repoModule = `defmodule Blog.Repo do
  # As Ecto.Repo's: the otp_app's config, and the adapter.
  def config, do: Application.get_env(:blog, __MODULE__)
  def __adapter__, do: Ecto.Adapters.SQLite3
end
`

// simModule runs the stand-in in this VM's task: its stdout streamed
// through the VM's, its stderr the VM's own (inherited), its exit status
// the task's (as Mix ends on exit({:shutdown, n})). No boot delay: the
// BEAM it runs in is real.
const simModule = `defmodule Blog.Sim do
  @moduledoc false
  @mixsim %s

  def run(task, args) do
    {_, status} =
      System.cmd(@mixsim, [task | args],
        env: [{"MIXSIM_BOOT_DELAY_MS", "0"}],
        into: IO.stream(:stdio, :line)
      )

    if status != 0, do: exit({:shutdown, status})
  end
end
`

const shimModule = `defmodule Mix.Tasks.%s do
  use Mix.Task

  @shortdoc "%s (the stand-in, in this VM)"
  def run(args), do: Blog.Sim.run(%s, args)
end
`

// Files are the project's files (relative paths) beyond the stand-in
// project's config/config.exs and resources; mixsim is the stand-in's
// absolute path.
func Files(mixsim string) map[string]string {
	files := map[string]string{
		"mix.exs":          MixExs,
		".regen.toml":      RegenToml,
		"lib/blog/repo.ex": repoModule,
		"lib/mix/sim.ex":   fmt.Sprintf(simModule, elixirString(mixsim)),
	}
	for _, task := range Tasks {
		files["lib/mix/tasks/"+task+".ex"] = fmt.Sprintf(shimModule, taskModule(task), task, elixirString(task))
	}
	return files
}

// Write writes Files into root.
func Write(root, mixsim string) error {
	if !filepath.IsAbs(mixsim) {
		return fmt.Errorf("realmix: the stand-in's path %q is not absolute", mixsim)
	}
	for rel, content := range Files(mixsim) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// taskModule is the module Mix finds a task by: ash_sqlite.rollback ->
// AshSqlite.Rollback.
func taskModule(task string) string {
	parts := strings.Split(task, ".")
	for i, p := range parts {
		var b strings.Builder
		for _, w := range strings.Split(p, "_") {
			if w != "" {
				b.WriteString(strings.ToUpper(w[:1]) + w[1:])
			}
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, ".")
}

// elixirString quotes s as an Elixir string literal (no interpolation).
func elixirString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `#`, `\#`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
