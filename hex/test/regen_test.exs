defmodule RegenTest do
  use ExUnit.Case, async: false

  @vars ~w(MIX_REGEN_PATH HTTP_PROXY http_proxy HTTPS_PROXY https_proxy NO_PROXY no_proxy HEX_CACERTS_PATH)

  setup do
    saved = Map.new(@vars, &{&1, System.get_env(&1)})
    Enum.each(@vars, &System.delete_env/1)
    Application.delete_env(:regen, :version)
    Application.delete_env(:regen, :path)
    Application.delete_env(:regen, :cacerts_path)

    Application.put_env(
      :regen,
      :url,
      System.get_env("REGEN_TEST_URL", "http://127.0.0.1:1/$version/$target")
    )

    File.rm_rf!(Path.dirname(Regen.installed_path(Regen.latest_version())))
    Mix.shell(Mix.Shell.Process)

    on_exit(fn ->
      Enum.each(saved, fn
        {k, nil} -> System.delete_env(k)
        {k, v} -> System.put_env(k, v)
      end)

      Mix.shell(Mix.Shell.IO)
    end)
  end

  defp version_of(path) do
    {out, 0} = System.cmd(path, ["--version"])
    out
  end

  @tag :live
  test "install downloads, verifies and installs the release; run passes exit codes through" do
    path = Regen.installed_path(Regen.latest_version())
    refute File.exists?(path)
    assert {:ok, ^path} = Regen.install()
    assert version_of(path) =~ ~r/^regen v#{Regen.latest_version()} /
    assert {:ok, 0} = Regen.run(["version"])
    # A usage error is regen's exit 2, passed through unchanged.
    assert {:ok, 2} = Regen.run(["--no-such-flag"])
    # Nothing but the binary is left in the install folder (no temp files).
    assert File.ls!(Path.dirname(path)) == ["regen"]
    refute_received {:mix_shell, :error, _}
  end

  @tag :live
  test "first use installs: run without a binary downloads it" do
    path = Regen.installed_path(Regen.latest_version())
    refute File.exists?(path)
    assert {:ok, 0} = Regen.run(["version"])
    assert File.regular?(path)
    assert_received {:mix_shell, :info, ["regen " <> said]}
    assert said =~ "is not installed yet"
  end

  @tag :live
  test "a corrupted archive is refused with a clear message and nothing is installed" do
    Application.put_env(:regen, :url, System.fetch_env!("REGEN_TEST_CORRUPT_URL"))
    assert {:error, msg} = Regen.install()
    assert msg =~ "does not match the checksum this package ships"
    assert msg =~ "nothing was installed"
    refute File.exists?(Regen.installed_path(Regen.latest_version()))
    assert {:error, ^msg} = Regen.run(["status"])
  end

  @tag :live
  test "a missing archive (HTTP 404) is refused with the URL and status" do
    Application.put_env(:regen, :url, System.fetch_env!("REGEN_TEST_URL") <> ".missing")
    assert {:error, msg} = Regen.install()
    assert msg =~ "HTTP 404"
    assert msg =~ ".missing"
  end

  test "an unknown platform is refused with what exists and what to do" do
    assert {:error, msg} = Regen.Platform.target({:unix, :sunos}, "sparc-sun-solaris2.11", 64)
    assert msg =~ "no release for this platform"
    assert msg =~ "sparc-sun-solaris2.11"
    assert msg =~ "MIX_REGEN_PATH"
    assert {:error, _} = Regen.Platform.target({:unix, :linux}, "i686-pc-linux-gnu", 32)
    assert {:error, _} = Regen.Platform.target({:unix, :freebsd}, "amd64-portbld-freebsd14.0", 64)
    assert {:error, _} = Regen.Platform.target({:win32, :nt}, "win32", 64, "ARM64")
  end

  test "known platforms map to the archive targets" do
    assert {:ok, "linux_amd64"} =
             Regen.Platform.target({:unix, :linux}, "x86_64-pc-linux-gnu", 64)

    assert {:ok, "linux_arm64"} =
             Regen.Platform.target({:unix, :linux}, "aarch64-unknown-linux-gnu", 64)

    assert {:ok, "darwin_arm64"} =
             Regen.Platform.target({:unix, :darwin}, "aarch64-apple-darwin23.1.0", 64)

    assert {:ok, "darwin_amd64"} =
             Regen.Platform.target({:unix, :darwin}, "x86_64-apple-darwin21.6.0", 64)

    assert {:ok, "windows_amd64"} = Regen.Platform.target({:win32, :nt}, "win32", 64, "AMD64")
    assert {:ok, _} = Regen.Platform.target()
  end

  @tag :live
  test "MIX_REGEN_PATH and config :regen, path: use that binary and download nothing" do
    bin = System.fetch_env!("REGEN_TEST_DEVEL_BIN")
    Application.put_env(:regen, :url, "http://127.0.0.1:1/unreachable/$version/$target")
    System.put_env("MIX_REGEN_PATH", bin)
    assert Regen.bin_path() == {bin, :override}
    assert {:ok, 0} = Regen.run(["version"])
    System.delete_env("MIX_REGEN_PATH")
    Application.put_env(:regen, :path, bin)
    assert {:ok, 0} = Regen.run(["version"])
    refute File.exists?(Regen.installed_path(Regen.latest_version()))
    # MIX_REGEN_PATH wins over the config.
    System.put_env("MIX_REGEN_PATH", "/nonexistent/regen")
    assert {:error, msg} = Regen.run(["version"])
    assert msg =~ "/nonexistent/regen"
    assert msg =~ "MIX_REGEN_PATH"
  end

  @tag :live
  test "a version mismatch between the config and the binary is warned about" do
    bin = System.fetch_env!("REGEN_TEST_DEVEL_BIN")
    Application.put_env(:regen, :path, bin)
    assert {:ok, 0} = Regen.run(["version"])
    assert_received {:mix_shell, :error, [msg]}
    assert msg =~ "is not the configured version #{Regen.latest_version()}"
    assert msg =~ bin
    # The matching release binary: no warning.
    Application.delete_env(:regen, :path)
    assert {:ok, 0} = Regen.run(["version"])
    refute_received {:mix_shell, :error, _}
  end

  @tag :live
  test "config :regen, version: pins another release (with shipped checksums)" do
    old = System.fetch_env!("REGEN_TEST_OLD_VERSION")
    Application.put_env(:regen, :version, old)
    File.rm_rf!(Path.dirname(Regen.installed_path(old)))
    assert {:ok, path} = Regen.install()
    assert path == Regen.installed_path(old)
    assert version_of(path) =~ ~r/^regen v#{old} /
    assert {:ok, 0} = Regen.run(["version"])
    refute_received {:mix_shell, :error, _}
  end

  test "a version without shipped checksums is refused before any download" do
    Application.put_env(:regen, :version, "9.9.9")
    Application.put_env(:regen, :url, "http://127.0.0.1:1/unreachable/$version/$target")
    assert {:error, msg} = Regen.install()
    assert msg =~ "ships no checksums for regen 9.9.9"
    assert msg =~ "MIX_REGEN_PATH"
  end

  @tag :live
  test "HTTP_PROXY is honoured (the archive host resolves only through the proxy)" do
    Application.put_env(:regen, :url, System.fetch_env!("REGEN_TEST_PROXIED_URL"))
    log = System.fetch_env!("REGEN_TEST_PROXY_LOG")
    File.write!(log, "")
    # Without the proxy the host does not resolve.
    assert {:error, msg} = Regen.install()
    assert msg =~ "cannot download"
    System.put_env("HTTP_PROXY", System.fetch_env!("REGEN_TEST_PROXY"))
    assert {:ok, _} = Regen.install()
    assert File.read!(log) =~ "regen-mirror.invalid"
    assert_received {:mix_shell, :info, ["regen: downloading through HTTP_PROXY=" <> _]}
    # Proxy credentials are sent to the proxy and never printed.
    "http://" <> hostport = System.fetch_env!("REGEN_TEST_PROXY")
    System.put_env("HTTP_PROXY", "http://u:s3cret@" <> hostport)
    assert {:ok, _} = Regen.install()

    assert_received {:mix_shell, :info,
                     ["regen: downloading through HTTP_PROXY=http://u:***@" <> _]}

    assert File.read!(log) =~ "Basic " <> Base.encode64("u:s3cret")
    # NO_PROXY takes the host off the proxy again.
    System.put_env("NO_PROXY", "example.org,regen-mirror.invalid")
    assert {:error, _} = Regen.install()
  end

  @tag :live
  @tag :tmp_dir
  test "https: a CA of the server's own is refused, then trusted through HEX_CACERTS_PATH or config :regen, cacerts_path:",
       %{tmp_dir: dir} do
    Application.put_env(:regen, :url, System.fetch_env!("REGEN_TEST_HTTPS_URL"))
    ca = System.fetch_env!("REGEN_TEST_CACERT")
    path = Regen.installed_path(Regen.latest_version())
    # The OS store does not know the test's CA: refused, nothing installed.
    assert {:error, msg} = Regen.install()
    assert msg =~ "certificate is not trusted"
    assert msg =~ "HEX_CACERTS_PATH"
    assert msg =~ "nothing was installed"
    refute File.exists?(path)

    System.put_env("HEX_CACERTS_PATH", ca)
    assert {:ok, ^path} = Regen.install()
    assert version_of(path) =~ ~r/^regen v#{Regen.latest_version()} /

    File.rm_rf!(Path.dirname(path))
    System.delete_env("HEX_CACERTS_PATH")
    Application.put_env(:regen, :cacerts_path, ca)
    assert {:ok, ^path} = Regen.install()

    # A CA file that is not there, or holds no certificate: said so.
    File.rm_rf!(Path.dirname(path))
    Application.put_env(:regen, :cacerts_path, ca <> ".missing")
    assert {:error, msg} = Regen.install()
    assert msg =~ "config :regen, cacerts_path:"
    assert msg =~ ca <> ".missing"
    empty = Path.join(dir, "empty.pem")
    File.write!(empty, "not a certificate\n")
    Application.put_env(:regen, :cacerts_path, empty)
    assert {:error, msg} = Regen.install()
    assert msg =~ "holds no PEM certificate"
    refute File.exists?(path)
  end

  @tag :live
  test "HTTPS_PROXY is honoured for https (a CONNECT tunnel; the host resolves only through the proxy)" do
    Application.put_env(:regen, :url, System.fetch_env!("REGEN_TEST_HTTPS_PROXIED_URL"))
    System.put_env("HEX_CACERTS_PATH", System.fetch_env!("REGEN_TEST_CACERT"))
    log = System.fetch_env!("REGEN_TEST_PROXY_LOG")
    File.write!(log, "")
    assert {:error, msg} = Regen.install()
    assert msg =~ "cannot download"
    System.put_env("HTTPS_PROXY", System.fetch_env!("REGEN_TEST_PROXY"))
    assert {:ok, _} = Regen.install()
    assert File.read!(log) =~ "CONNECT"
    assert File.read!(log) =~ "regen-mirror.invalid:443"
    assert_received {:mix_shell, :info, ["regen: downloading through HTTPS_PROXY=" <> _]}
  end

  test "the download URL template fills in $version and $target" do
    Application.put_env(
      :regen,
      :url,
      "https://mirror.example/regen/v$version/regen_$version_$target.tar.gz"
    )

    assert Regen.download_url("1.2.3", "linux_arm64") ==
             "https://mirror.example/regen/v1.2.3/regen_1.2.3_linux_arm64.tar.gz"
  end

  test "checksums files are parsed strictly" do
    sum = String.duplicate("a", 64)

    assert {:ok, %{"regen_1.0.0_linux_amd64.tar.gz" => ^sum}} =
             Regen.Checksums.parse("#{sum}  regen_1.0.0_linux_amd64.tar.gz\n")

    assert {:error, _} = Regen.Checksums.parse("xyz  regen_1.0.0_linux_amd64.tar.gz\n")
    assert {:error, _} = Regen.Checksums.parse("just-one-field\n")
  end

  @tag :tmp_dir
  test "mix regen.checksums stores a release's checksums.txt as priv/checksums/VERSION.txt", %{
    tmp_dir: dir
  } do
    lines =
      for {t, i} <- Enum.with_index(Regen.Platform.targets()),
          do: "#{String.duplicate(Integer.to_string(i), 64)}  regen_7.7.8_#{t}.tar.gz\n"

    path = Path.join(dir, "checksums.txt")
    File.write!(path, Enum.join(lines))
    dest = Path.join(Regen.Checksums.dir(), "7.7.8.txt")
    on_exit(fn -> File.rm(dest) end)
    Mix.Tasks.Regen.Checksums.run([path])
    assert File.read!(dest) == Enum.join(lines)
    assert "7.7.8" in Regen.Checksums.versions()
    assert {:ok, "1111" <> _} = Regen.Checksums.lookup("7.7.8", "regen_7.7.8_linux_arm64.tar.gz")
  end

  @tag :tmp_dir
  test "mix regen.checksums refuses a checksums.txt missing a target", %{tmp_dir: dir} do
    sum = String.duplicate("b", 64)
    path = Path.join(dir, "checksums.txt")
    File.write!(path, "#{sum}  regen_7.7.7_linux_amd64.tar.gz\n")

    assert_raise Mix.Error, ~r/no archive for linux_arm64/, fn ->
      Mix.Tasks.Regen.Checksums.run([path])
    end

    refute "7.7.7" in Regen.Checksums.versions()
  end

  # What `mix hex.build` would pack (Hex itself is not installed here):
  # every listed path exists, and every file the package needs at run time
  # (lib/, priv/) is under one of them; nothing of the build or the tests.
  test "the Hex package lists every file it needs, and only those" do
    root = Path.expand("..", __DIR__)
    files = Mix.Project.config()[:package][:files]

    for f <- files do
      assert File.exists?(Path.join(root, f)), "package file #{f} does not exist"
    end

    listed? = fn rel -> Enum.any?(files, &(rel == &1 or String.starts_with?(rel, &1 <> "/"))) end

    needed =
      for dir <- ["lib", "priv"],
          path <- Path.wildcard(Path.join([root, dir, "**"]), match_dot: true),
          File.regular?(path),
          do: Path.relative_to(path, root)

    assert "lib/regen.ex" in needed
    assert Enum.any?(needed, &String.starts_with?(&1, "lib/mix/tasks/"))
    assert Enum.reject(needed, listed?) == []
    assert "mix.exs" in files and "README.md" in files
    refute Enum.any?(files, &(&1 in ["test", "_build", "deps"]))
  end
end
