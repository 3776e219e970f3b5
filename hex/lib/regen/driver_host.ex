defmodule Regen.DriverHost do
  @moduledoc """
  Makes the `mix regen` VM regen's one-VM driver, so a run starts no
  second BEAM (regen/vmdriver_host.go in regen's source).

  `Regen.Exec` opens regen's port with `env/0` added to its environment
  and hands each `{port, {:data, bin}}` to `data/2`. regen writes one frame
  on its fd 4: a 4-byte big-endian length, then
  `"regen-driver-host 1\\n" <> socket_path <> "\\n" <> source`. The source
  is regen's own driver (its only copy, sent by the binary, so it always
  matches the binary's protocol); it is evaluated in a process of its own,
  which connects to regen's unix socket and runs the Mix tasks regen asks
  for in this VM. regen gone stops that process, never this VM.
  """

  @doc "The environment that tells regen this VM can be its driver (none on Windows)."
  def env do
    case :os.type() do
      {:win32, _} -> []
      _ -> [{"REGEN_MIX_DRIVER", "fd"}]
    end
  end

  @doc "A fresh state for `data/2`."
  def new, do: %{buf: "", driver: nil}

  @doc "Takes bytes regen wrote on the port; starts the driver once its frame is complete."
  def data(%{driver: nil} = state, bin) do
    case state.buf <> bin do
      <<len::32, frame::binary-size(len), _rest::binary>> ->
        %{state | buf: "", driver: start(frame)}

      buf ->
        %{state | buf: buf}
    end
  end

  def data(state, _bin), do: state

  defp start("regen-driver-host 1\n" <> rest) do
    [path, source] = String.split(rest, "\n", parts: 2)

    spawn(fn ->
      Code.eval_string(source, [], file: "regen-driver")
      # The module exists only once the source is evaluated.
      apply(RegenDriverV1, :main, [path, :host])
    end)
  end

  # Another protocol: regen gives up waiting and falls back on its own.
  defp start(_frame), do: :unknown
end
