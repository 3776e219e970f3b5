defmodule Regen.Exec do
  @moduledoc """
  Runs the regen binary as a separate OS process: the one place regen is
  started from Elixir.

  The port is opened with `:nouse_stdio`: the child inherits the BEAM's
  own stdin, stdout and stderr (under `mix`, the user's terminal), so
  regen's colours, progress and prompts reach the user directly, and the
  port's own pipe is on the child's fds 3 (from the VM) and 4 (to the VM).
  regen writes its one-VM driver on fd 4 (REGEN_MIX_DRIVER=fd, from
  `Regen.DriverHost.env/0`): this VM runs the run's Mix tasks, no second
  BEAM starts (`Regen.DriverHost`).

  Seen under `mix` on OTP 25 (Debian's Elixir 1.14): the child's stdin and
  stdout are the terminal (isatty is true: colours, prompts), but the
  BEAM's erl_child_setup starts it in a session of its own, so the
  terminal's signals (Ctrl-C, SIGHUP) reach the VM, not regen: Ctrl-C
  opens the VM's BREAK menu while regen's run goes on; `c` waits for its
  end and `mix regen` exits with its code; `a` (or the VM killed) ends the
  VM, and regen, watching the port's pipe and its parent, interrupts the
  run and restores everything (exit 129). And the VM (`-noshell`) reads the terminal too, racing regen for
  typed lines; `-noinput` (`ERL_FLAGS=-noinput`) stops that.
  """

  @doc "Runs `path` with `args` and returns its exit status (128+N when killed by signal N)."
  def run(path, args, opts \\ []) do
    port_opts =
      [:nouse_stdio, :exit_status, :binary, args: args] ++
        if(cd = opts[:cd], do: [cd: cd], else: []) ++
        [
          env:
            Enum.map((opts[:env] || []) ++ Regen.DriverHost.env(), fn {k, v} ->
              {to_charlist(k), if(v, do: to_charlist(v), else: false)}
            end)
        ]

    port = Port.open({:spawn_executable, path}, port_opts)
    wait(port, Regen.DriverHost.new())
  end

  # regen's bytes on the port start its driver in this VM (Regen.DriverHost).
  defp wait(port, host) do
    receive do
      {^port, {:exit_status, status}} -> status
      {^port, {:data, data}} -> wait(port, Regen.DriverHost.data(host, data))
    end
  end
end
