defmodule Regen.Archive do
  @moduledoc "Takes the binary out of a release archive and installs it atomically."

  @doc "The `regen` (or `regen.exe`) file of a `.tar.gz` release archive."
  def extract_binary(body, file) do
    case :erl_tar.extract({:binary, body}, [:compressed, :memory]) do
      {:ok, entries} ->
        found =
          Enum.find_value(entries, fn {name, data} ->
            if Path.basename(List.to_string(name)) in ["regen", "regen.exe"], do: data
          end)

        if found,
          do: {:ok, found},
          else: {:error, "#{file} has no regen binary in it; nothing was installed."}

      {:error, reason} ->
        {:error, "#{file} is not a readable .tar.gz (#{inspect(reason)}); nothing was installed."}
    end
  end

  @doc """
  Writes `binary` to `dest` through a temp file in the same folder and a
  rename, so a half-written binary is never run (and two installs racing
  leave one whole binary).
  """
  def install_atomically(binary, dest) do
    dir = Path.dirname(dest)
    tmp = Path.join(dir, ".#{Path.basename(dest)}.#{System.unique_integer([:positive])}.tmp")

    with :ok <- File.mkdir_p(dir),
         :ok <- File.write(tmp, binary),
         :ok <- File.chmod(tmp, 0o755),
         :ok <- File.rename(tmp, dest) do
      {:ok, dest}
    else
      {:error, reason} ->
        File.rm(tmp)

        {:error,
         "cannot install regen at #{dest}: #{:file.format_error(reason)}; nothing was installed."}
    end
  end
end
