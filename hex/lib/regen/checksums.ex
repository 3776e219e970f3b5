defmodule Regen.Checksums do
  @moduledoc """
  The sha256 sums this package ships, one file per regen release:
  priv/checksums/VERSION.txt, in the format of the release's checksums.txt
  (`<hex sha256>  <archive name>` a line). `mix regen.checksums PATH` writes it.
  """

  @doc "The folder holding the shipped checksum files."
  def dir, do: Path.join(priv_dir(), "checksums")

  defp priv_dir do
    case :code.priv_dir(:regen) do
      {:error, _} -> Path.expand("../../priv", __DIR__)
      dir -> List.to_string(dir)
    end
  end

  @doc "The versions this package has checksums for."
  def versions do
    Path.wildcard(Path.join(dir(), "*.txt"))
    |> Enum.map(&Path.basename(&1, ".txt"))
    |> Enum.sort()
  end

  @doc "The expected sha256 (lower-case hex) of `file` of `version`."
  def lookup(version, file) do
    path = Path.join(dir(), version <> ".txt")

    with {:ok, text} <- read(path, version),
         {:ok, sums} <- parse(text) do
      case Map.fetch(sums, file) do
        {:ok, sum} ->
          {:ok, sum}

        :error ->
          {:error,
           "this package's checksums for regen #{version} (#{path}) have no entry for #{file}; nothing was installed."}
      end
    end
  end

  defp read(path, version) do
    case File.read(path) do
      {:ok, text} ->
        {:ok, text}

      {:error, _} ->
        shipped = if versions() == [], do: "none", else: Enum.join(versions(), ", ")

        {:error,
         "this package ships no checksums for regen #{version} (it has: #{shipped}), so it cannot verify a download; " <>
           "nothing was installed. Set `config :regen, version:` to one of those, update the regen package, " <>
           "or install regen #{version} yourself and set MIX_REGEN_PATH or `config :regen, path:`."}
    end
  end

  @doc "Parses checksums.txt text into %{archive name => sha256}."
  def parse(text) do
    text
    |> String.split("\n", trim: true)
    |> Enum.reduce_while({:ok, %{}}, fn line, {:ok, acc} ->
      case String.split(line) do
        [sum, name] ->
          if String.match?(sum, ~r/\A[0-9a-fA-F]{64}\z/),
            do:
              {:cont, {:ok, Map.put(acc, String.trim_leading(name, "*"), String.downcase(sum))}},
            else: {:halt, {:error, "not a sha256 sum in a checksums line: #{inspect(line)}"}}

        _ ->
          {:halt, {:error, "not a checksums line (want `<sha256>  <file>`): #{inspect(line)}"}}
      end
    end)
  end

  @doc "Checks a download against its expected sum."
  def verify(body, expected, file, url) do
    got = :crypto.hash(:sha256, body) |> Base.encode16(case: :lower)

    if got == expected do
      :ok
    else
      {:error,
       "the download of #{file} from #{url} does not match the checksum this package ships for it " <>
         "(expected sha256 #{expected}, got #{got}): it is corrupted or not the release; nothing was installed. " <>
         "Retry `mix regen.install`; if it persists, check the mirror (config :regen, url:) or proxy, " <>
         "or install regen yourself and set MIX_REGEN_PATH."}
    end
  end
end
