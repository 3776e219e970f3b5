defmodule Mix.Tasks.Regen do
  @shortdoc "Runs regen (installs it on first use)"
  @moduledoc """
  Runs the regen binary with the given arguments: `mix regen NAME -m`,
  `mix regen status`, `mix regen recover`, ... (every regen subcommand and
  flag; `mix regen --help` lists them).

  regen runs as its own OS process on your terminal (colours, prompts).
  Its exit code is passed through: `mix regen` exits with regen's code.
  The binary is installed on first use (see `mix help regen.install`).

  Prompts (`regen -f` without `--yes`): under OTP 25 the `mix` VM also
  reads the terminal, so a typed line can go to it instead of regen. Pass
  `--yes`, or start the VM without input: `ERL_FLAGS=-noinput mix regen ...`.

  Ctrl-C reaches the VM (its BREAK menu), not regen, which runs in a
  session of its own: answer `c` and regen's run goes on to its end (then
  `mix regen` exits with regen's code); answer `a` and the VM ends: regen
  sees its VM go away (as when the VM is killed), interrupts the run and
  restores everything (exit 129). `kill -INT <regen's pid>` interrupts
  regen too.
  """
  use Mix.Task

  @impl true
  def run(args) do
    case Regen.run(args) do
      {:ok, 0} -> :ok
      {:ok, code} -> System.halt(code)
      {:error, message} -> Mix.raise(message)
    end
  end
end
