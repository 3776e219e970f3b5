package regen

import (
	"strings"

	"github.com/regen-tool/regen/migrator"
)

// vmDriverMarker names the one-VM driver's source (the stand-in knows it
// by it) and the protocol's version.
const vmDriverMarker = "regen-driver protocol 1"

// vmSyncMarker starts the line the driver writes to stdout and stderr
// after each task: regen shows what came before it, then reports the
// task's outcome (migrator.Command.SyncMarker).
const vmSyncMarker = "\x00regen-sync "

// vmDriverModule is the one-VM driver: the only copy of its Elixir. regen
// runs it as `mix run --no-start FILE` (vmDriverScript), or sends it to
// mix regen's own VM (REGEN_MIX_DRIVER, vmdriver_host.go), which calls
// RegenDriverV1.main(path, :host); either way through the loader of
// vmdriver_cache.go (compiled once, then loaded from regen's cache).
//
// Messages are {:packet, 4} frames over a unix socket, each one line of
// space-separated URI.encode_www_form fields, the first the verb:
//
//	driver: hello 1 OTP ELIXIR
//	driver: config LINE…        (the repo query's regen-repo lines)
//	        config-error MESSAGE
//	regen:  check MOD IDENTITY…  driver: checked MISMATCH-LINE…
//	regen:  reenable TASK…       (no answer)
//	regen:  run SEQ TASK ARG…    driver: done SEQ ok | done SEQ fail STATUS
//	        (in mix regen's VM, before done: asked PROMPT for each read
//	        the task made with no one to answer, its prompt being on that
//	        VM's terminal, which regen does not read)
//	regen:  run-tty SEQ TASK ARG… (the same; the task reads stdin, which
//	        regen feeds from the user's terminal while it runs; a plain
//	        run's task reads end of input, as from /dev/null)
//	regen:  env KEY VALUE        (no answer; mix regen's VM: KEY=VALUE is in
//	        the environment of every later task, so a program a task
//	        starts carries the run's marker as an own VM's would)
//	regen:  quit
//
// A closed socket (regen died) ends the driver at once, even mid-task:
// the own VM halts, mix regen's VM stops the task's process.
const vmDriverModule = `# ` + vmDriverMarker + `: regen's one-VM driver (see regen/vmdriver.go).
defmodule RegenDriverV1 do
  @moduledoc false

  def main(path, mode) do
    case :gen_tcp.connect({:local, path}, 0, [:binary, packet: 4, active: false]) do
      {:ok, sock} ->
        reply(sock, ["hello", "1", List.to_string(:erlang.system_info(:otp_release)), System.version()])
        if mode == :host, do: Mix.Task.run("app.config", [])
        reply(sock, config())
        me = self()
        reader = spawn(fn -> watch(sock, me, mode) end)
        :ok = :gen_tcp.controlling_process(sock, reader)
        send(reader, :go)
        serve(sock, mode)

      {:error, reason} when mode == :own ->
        IO.puts(:stderr, "regen-driver: cannot reach regen: #{inspect(reason)}")
        System.halt(87)

      {:error, reason} ->
        # mix regen's VM: regen gave the driver up (a refused run); it goes on.
        {:error, reason}
    end
  end

  # The socket's owner: requests go to the main process; regen gone stops
  # it. In mix regen's VM the main process killed mid-task (a linked
  # process crashed) is said to regen, which ends the run as that task's
  # failure: nothing else would ever answer. (An own VM ends with it.)
  defp watch(sock, main, mode) do
    ref = if mode == :host, do: Process.monitor(main)

    receive do
      :go -> :inet.setopts(sock, active: true)
    end

    watch_loop(sock, main, mode, ref)
  end

  defp watch_loop(sock, main, mode, ref) do
    receive do
      {:tcp, ^sock, data} ->
        msg = data |> String.split(" ") |> Enum.map(&URI.decode_www_form/1)
        send(main, {:regen, msg})
        if msg != ["quit"], do: watch_loop(sock, main, mode, ref)

      {:DOWN, ^ref, :process, _, reason} ->
        reply(sock, ["error", "the driver's process ended mid-task: " <> inspect(reason)])
        :gen_tcp.close(sock)

      {:tcp_closed, ^sock} ->
        gone(main, mode)

      {:tcp_error, ^sock, _} ->
        gone(main, mode)
    end
  end

  defp gone(_main, :own) do
    IO.puts(:stderr, "regen-driver: regen went away; stopping this VM")
    System.halt(1)
  end

  defp gone(main, :host), do: Process.exit(main, :kill)

  defp serve(sock, mode) do
    receive do
      {:regen, ["quit"]} ->
        :ok

      {:regen, ["env", key, value]} ->
        Process.put(:regen_task_env, Map.put(Process.get(:regen_task_env, %{}), key, value))
        serve(sock, mode)

      {:regen, ["reenable" | tasks]} ->
        Enum.each(tasks, &Mix.Task.reenable/1)
        serve(sock, mode)

      {:regen, ["check" | expected]} ->
        reply(sock, ["checked" | (` + driverMismatches + `).(expected)])
        serve(sock, mode)

      {:regen, [verb, seq, task | args]} when verb in ["run", "run-tty"] ->
        outcome = if verb == "run-tty", do: run_task(task, args), else: without_input(sock, mode, fn -> run_task(task, args) end)

        if mode == :own do
          IO.write(:stdio, "\0regen-sync #{seq}\n")
          IO.write(:stderr, "\0regen-sync #{seq}\n")
        end

        reply(sock, ["done", seq | outcome])
        serve(sock, mode)

      {:regen, other} ->
        reply(sock, ["error", "unknown request: " <> inspect(other)])
        serve(sock, mode)
    end
  end

  # A task that is not to ask reads end of input (as from /dev/null): its
  # group leader answers every read with :eof and passes the rest on.
  # (Its stdin is a pipe regen feeds during run-tty only; a read of it
  # here would wait instead.)
  defp without_input(sock, mode, fun) do
    gl = Process.group_leader()
    # mix regen's VM shows the prompt on its own terminal: regen is told.
    # (A send that fails is regen gone: watch ends the task.)
    tell = if mode == :host, do: fn p -> :gen_tcp.send(sock, encode(["asked", prompt_text(p)])) end, else: fn _ -> :ok end
    proxy = spawn(fn -> eof_leader(gl, tell) end)
    Process.group_leader(self(), proxy)

    try do
      fun.()
    after
      # The proxy stays: a process the task left behind (a late log line)
      # still writes through it, as it would until a mix start's end.
      Process.group_leader(self(), gl)
    end
  end

  defp eof_leader(gl, tell) do
    receive do
      {:io_request, from, ref, req} ->
        send(from, {:io_reply, ref, eof_reply(gl, tell, req)})
        eof_leader(gl, tell)

      _ ->
        eof_leader(gl, tell)
    end
  end

  defp eof_reply(gl, tell, {:requests, reqs}), do: Enum.reduce(reqs, :ok, fn r, _ -> eof_reply(gl, tell, r) end)
  # The prompt is still shown, as a read of /dev/null shows it.
  defp eof_reply(gl, tell, req) when elem(req, 0) in [:get_chars, :get_line, :get_until] do
    prompt = if tuple_size(req) > 2 and is_atom(elem(req, 1)), do: elem(req, 2), else: elem(req, 1)

    if is_binary(prompt) or is_list(prompt) do
      :io.request(gl, {:put_chars, :unicode, prompt})
      tell.(prompt)
    end

    :eof
  end

  defp eof_reply(_gl, _tell, req) when elem(req, 0) == :get_password, do: :eof
  defp eof_reply(gl, _tell, req), do: :io.request(gl, req)

  defp prompt_text(prompt) do
    try do
      IO.chardata_to_string(prompt)
    rescue
      _ -> inspect(prompt)
    end
  end

  # Each task starts in the VM as a mix start of its own would: a task's
  # File.cd!, System.put_env or Mix.env change is undone after it.
  defp run_task(task, args) do
    {cwd, env, mix_env} = {File.cwd!(), System.get_env(), Mix.env()}

    try do
      Enum.each(Process.get(:regen_task_env, %{}), fn {k, v} -> System.put_env(k, v) end)
      outcome(task, args)
    after
      File.cd(cwd)
      now = System.get_env()
      Enum.each(Map.keys(now) -- Map.keys(env), &System.delete_env/1)
      Enum.each(env, fn {k, v} -> if now[k] != v, do: System.put_env(k, v) end)
      Mix.env(mix_env)
    end
  end

  # As mix itself ends on a task's outcome (Mix.CLI, Kernel.CLI).
  defp outcome(task, args) do
    try do
      Mix.Task.rerun(task, args)
      ["ok"]
    rescue
      e ->
        case Map.get(e, :mix) do
          nil ->
            IO.puts(:stderr, Exception.format(:error, e, __STACKTRACE__))
            ["fail", "1"]

          status ->
            Mix.shell().error("** (Mix) " <> Exception.message(e))
            ["fail", to_string(if is_integer(status), do: status, else: 1)]
        end
    catch
      :exit, {:shutdown, 0} ->
        ["ok"]

      :exit, {:shutdown, n} when is_integer(n) ->
        ["fail", to_string(n)]

      :exit, r when r in [:normal, :shutdown] ->
        ["ok"]

      kind, reason ->
        IO.puts(:stderr, Exception.format(kind, reason, __STACKTRACE__))
        ["fail", "1"]
    end
  end

  # The repo query's lines, its IO taken instead of printed.
  defp config do
    {:ok, io} = StringIO.open("")
    gl = Process.group_leader()
    Process.group_leader(self(), io)

    try do
      repo_query()
      {_, out} = StringIO.contents(io)
      ["config" | out |> String.split("\n", trim: true) |> Enum.filter(&String.starts_with?(&1, "regen-repo "))]
    rescue
      e -> ["config-error", Exception.message(e)]
    after
      Process.group_leader(self(), gl)
    end
  end

  # The query compiled with the module, not evaluated at each run: the
  # evaluator's first use cost 2.5-3.5 ms of the VM's critical path.
  defp repo_query do
QUERY
  end

  defp reply(sock, fields), do: :ok = :gen_tcp.send(sock, encode(fields))

  defp encode(fields), do: Enum.map_join(fields, " ", &URI.encode_www_form/1)
end
`

// vmDriverScript is the file `mix run --no-start FILE` runs: the module's
// loader (vmDriverBoot), then its start, the socket's path from the
// environment.
func vmDriverScript(boot string) string {
	return boot + "\nRegenDriverV1.main(System.fetch_env!(\"REGEN_DRIVER_SOCKET\"), :own)\n"
}

// vmDriverSource is the module with the repo query in it.
func vmDriverSource() string {
	return strings.Replace(vmDriverModule, "\nQUERY\n", "\n"+migrator.RepoConfigQuery()+"\n", 1)
}
