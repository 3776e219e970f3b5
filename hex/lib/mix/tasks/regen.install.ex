defmodule Mix.Tasks.Regen.Install do
  @shortdoc "Installs the regen binary for this platform"
  @moduledoc """
  Downloads `regen_<version>_<os>_<arch>.tar.gz` for this machine,
  verifies its sha256 against the checksums this package ships for that
  version, and installs `regen` under `_build/regen-<version>/`.

      mix regen.install               # (re)installs the configured version
      mix regen.install --if-missing  # only when not installed yet

  `config :regen, version: "..."` pins the version; `config :regen, url:`
  sets a mirror (`$version`, `$target` are filled in); `HTTP_PROXY` /
  `HTTPS_PROXY` are honoured. With `MIX_REGEN_PATH` or
  `config :regen, path:` set, nothing is downloaded.
  """
  use Mix.Task

  @impl true
  def run(args) do
    {opts, rest} = OptionParser.parse!(args, strict: [if_missing: :boolean])

    if rest != [],
      do: Mix.raise("mix regen.install takes no arguments (got #{Enum.join(rest, " ")})")

    case Regen.bin_path() do
      {path, :override} ->
        Mix.shell().info(
          "regen: using #{path} (MIX_REGEN_PATH or config :regen, path:); nothing to install"
        )

      {path, :installed} ->
        if opts[:if_missing] && File.regular?(path) do
          :ok
        else
          case Regen.install() do
            {:ok, path} ->
              Mix.shell().info("regen #{Regen.configured_version()} installed at #{path}")

            {:error, message} ->
              Mix.raise(message)
          end
        end
    end
  end
end
