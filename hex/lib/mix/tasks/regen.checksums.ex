defmodule Mix.Tasks.Regen.Checksums do
  @shortdoc "Stores a release's checksums.txt in the package (when cutting a release)"
  @moduledoc """
  Copies the `checksums.txt` that `scripts/release VERSION` wrote into
  `priv/checksums/VERSION.txt`, the sums `mix regen.install` verifies
  downloads against:

      mix regen.checksums ../dist/checksums.txt

  The file must list only `regen_VERSION_<os>_<arch>.tar.gz` archives of one
  version, with one sha256 each, for every released target.
  """
  use Mix.Task

  @impl true
  def run([path]) do
    text = File.read!(path)

    with {:ok, sums} <- Regen.Checksums.parse(text),
         {:ok, version} <- one_version(Map.keys(sums)),
         :ok <- all_targets(Map.keys(sums), version) do
      dest = Path.join(Path.expand("../../../priv/checksums", __DIR__), version <> ".txt")
      File.mkdir_p!(Path.dirname(dest))
      tmp = dest <> ".tmp"
      File.write!(tmp, text)
      File.rename!(tmp, dest)
      Mix.shell().info("wrote #{dest} (#{map_size(sums)} archives of regen #{version})")
    else
      {:error, message} -> Mix.raise("#{path}: #{message}")
    end
  end

  def run(_), do: Mix.raise("usage: mix regen.checksums PATH/TO/checksums.txt")

  defp one_version(names) do
    versions =
      names
      |> Enum.map(fn n ->
        case Regex.run(~r/\Aregen_(.+)_([a-z]+)_([a-z0-9]+)\.tar\.gz\z/, n) do
          [_, v, _, _] -> v
          nil -> {:bad, n}
        end
      end)
      |> Enum.uniq()

    case versions do
      [v] when is_binary(v) ->
        {:ok, v}

      _ ->
        {:error,
         "want archives regen_VERSION_<os>_<arch>.tar.gz of one version, got: #{Enum.join(Enum.sort(names), ", ")}"}
    end
  end

  defp all_targets(names, version) do
    missing =
      for t <- Regen.Platform.targets(), "regen_#{version}_#{t}.tar.gz" not in names, do: t

    if missing == [], do: :ok, else: {:error, "no archive for #{Enum.join(missing, ", ")}"}
  end
end
