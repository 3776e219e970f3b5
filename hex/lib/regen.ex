defmodule Regen do
  @moduledoc """
  Installs and runs the `regen` binary (a Go program, run as a separate OS
  process: no NIF, nothing in your application at run time).

  ## Configuration (all optional)

      config :regen,
        version: "#{Mix.Project.config()[:version]}",  # the release to install (default: this package's)
        path: "/usr/local/bin/regen",                  # use this binary, download nothing
        url: "https://mirror.example/regen/v$version/regen_$version_$target.tar.gz",
        cacerts_path: "/etc/ssl/corp-ca.pem"           # trust this CA's PEM file (else the OS's store)

  `MIX_REGEN_PATH` (environment) wins over `config :regen, path:`. In `url`,
  `$version` is the version and `$target` is `<os>_<arch>` (e.g.
  `linux_amd64`). `HTTP_PROXY` / `HTTPS_PROXY` (and lower-case forms) are
  honoured, with `NO_PROXY`. `HEX_CACERTS_PATH`, as for Hex itself, names
  the CA file when `cacerts_path` is not set.

  A download is installed only when its sha256 matches the checksum this
  package ships for that version (priv/checksums/VERSION.txt); a version
  without shipped checksums is refused (install it yourself and set `path`).
  """

  @latest_version Mix.Project.config()[:version]
  @default_url "https://github.com/regen-tool/regen/releases/download/v$version/regen_$version_$target.tar.gz"

  @doc "The regen version this package installs by default (its own version)."
  def latest_version, do: @latest_version

  @doc "The configured regen version (`config :regen, version:`)."
  def configured_version,
    do:
      Application.get_env(:regen, :version, @latest_version)
      |> to_string()
      |> String.trim_leading("v")

  @doc """
  The binary to run: `MIX_REGEN_PATH`, else `config :regen, path:`, else
  the installed one under `_build`. Returns `{path, :override | :installed}`.
  """
  def bin_path do
    cond do
      (p = System.get_env("MIX_REGEN_PATH")) not in [nil, ""] -> {p, :override}
      p = Application.get_env(:regen, :path) -> {p, :override}
      true -> {installed_path(configured_version()), :installed}
    end
  end

  @doc "Where `mix regen.install` puts the binary for `version`."
  def installed_path(version) do
    name = if match?({:win32, _}, :os.type()), do: "regen.exe", else: "regen"
    Path.join(install_dir(version), name)
  end

  defp install_dir(version) do
    build = if Code.ensure_loaded?(Mix.Project), do: Mix.Project.build_path(), else: "_build/dev"
    Path.join(Path.dirname(build), "regen-#{version}")
  end

  @doc """
  Runs regen with `args` (installing it first when it is not installed and
  no path is configured) and returns its exit status. Warns when the
  binary's version is not the configured one.
  """
  def run(args, opts \\ []) when is_list(args) do
    with {:ok, path} <- ensure_binary() do
      warn_on_version_mismatch(path)
      {:ok, Regen.Exec.run(path, args, opts)}
    end
  end

  defp ensure_binary do
    case bin_path() do
      {path, :override} ->
        if File.regular?(path) do
          {:ok, path}
        else
          {:error,
           "the regen binary #{inspect(path)} (from #{override_source()}) does not exist. " <>
             "Install regen there, or unset it to let `mix regen.install` download the release."}
        end

      {path, :installed} ->
        if File.regular?(path) do
          {:ok, path}
        else
          Mix.shell().info(
            "regen #{configured_version()} is not installed yet: installing it (mix regen.install)"
          )

          install()
        end
    end
  end

  defp override_source do
    if System.get_env("MIX_REGEN_PATH") not in [nil, ""],
      do: "MIX_REGEN_PATH",
      else: "config :regen, path:"
  end

  @doc """
  Downloads, verifies and installs the configured version. Returns
  `{:ok, path}` or `{:error, message}`; nothing is installed on an error.
  """
  def install(version \\ configured_version()) do
    with {:ok, target} <- Regen.Platform.target(),
         file = "regen_#{version}_#{target}.tar.gz",
         {:ok, expected} <- Regen.Checksums.lookup(version, file),
         url = download_url(version, target),
         {:ok, body} <- Regen.Download.get(url),
         :ok <- Regen.Checksums.verify(body, expected, file, url),
         {:ok, binary} <- Regen.Archive.extract_binary(body, file) do
      Regen.Archive.install_atomically(binary, installed_path(version))
    end
  end

  @doc "The download URL for `version` and `target` (`config :regen, url:`)."
  def download_url(version, target) do
    Application.get_env(:regen, :url, @default_url)
    |> String.replace("$version", version)
    |> String.replace("$target", target)
  end

  @doc """
  The version `regen --version` reports (`"regen 0.1.0 (go1.22, linux/amd64)"`
  gives `"0.1.0"`), or nil when it cannot be read.
  """
  def bin_version(path) do
    case System.cmd(path, ["--version"], stderr_to_stdout: true) do
      {"regen " <> rest, 0} -> rest |> String.split() |> List.first() |> normalize()
      _ -> nil
    end
  rescue
    _ -> nil
  end

  # Release binaries say v1.2.3 (as `go install ...@v1.2.3` does); archives
  # and the config say 1.2.3.
  defp normalize(nil), do: nil
  defp normalize("v" <> v), do: v
  defp normalize(v), do: v

  @doc false
  def warn_on_version_mismatch(path) do
    configured = normalize(configured_version())

    case bin_version(path) do
      ^configured ->
        :ok

      found ->
        {_, how} = bin_path()

        fix =
          if how == :installed,
            do: "run `mix regen.install` to install #{configured}",
            else:
              "install regen #{configured} at #{path}, or set `config :regen, version: #{inspect(found)}`"

        Mix.shell().error(
          "warning: regen #{found || "(version unreadable)"} at #{path} is not the configured version #{configured}: #{fix}."
        )
    end
  end
end
