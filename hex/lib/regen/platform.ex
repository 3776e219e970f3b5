defmodule Regen.Platform do
  @moduledoc "The release target (`<os>_<arch>`, as in the archive names) for a machine."

  @targets ~w(linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64)

  @doc "The targets regen is released for."
  def targets, do: @targets

  @doc "This machine's target, or `{:error, message}` when regen has no release for it."
  def target do
    target(
      :os.type(),
      List.to_string(:erlang.system_info(:system_architecture)),
      :erlang.system_info(:wordsize) * 8,
      System.get_env("PROCESSOR_ARCHITECTURE")
    )
  end

  @doc """
  The target for an `:os.type/0` value and a system architecture string
  (`"x86_64-pc-linux-gnu"`, `"aarch64-apple-darwin23.1.0"`; on Windows the
  BEAM says `"win32"`, so the word size and `PROCESSOR_ARCHITECTURE` decide).
  """
  def target(os_type, arch, wordsize, win_arch \\ nil) do
    cpu = arch |> String.split("-") |> List.first()

    found =
      case {os_type, cpu, wordsize} do
        {{:unix, :linux}, c, 64} when c in ["x86_64", "amd64"] -> "linux_amd64"
        {{:unix, :linux}, c, 64} when c in ["aarch64", "arm64"] -> "linux_arm64"
        {{:unix, :darwin}, c, 64} when c in ["x86_64", "amd64"] -> "darwin_amd64"
        {{:unix, :darwin}, c, 64} when c in ["aarch64", "arm64", "arm"] -> "darwin_arm64"
        {{:win32, _}, _, 64} when win_arch in [nil, "AMD64", "x86_64"] -> "windows_amd64"
        _ -> nil
      end

    if found do
      {:ok, found}
    else
      {:error,
       "regen has no release for this platform (os #{inspect(os_type)}, architecture #{inspect(arch)}, " <>
         "#{wordsize}-bit#{if win_arch, do: ", PROCESSOR_ARCHITECTURE=#{win_arch}"}); releases exist for " <>
         Enum.join(@targets, ", ") <>
         ". Build it from source (go install github.com/regen-tool/regen/cmd/regen@latest) and set " <>
         "MIX_REGEN_PATH or `config :regen, path: \"...\"` to it."}
    end
  end
end
