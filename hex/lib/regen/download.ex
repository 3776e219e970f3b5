defmodule Regen.Download do
  @moduledoc """
  HTTP(S) GET with OTP's :httpc (no dependency): certificates checked
  against the OS's CA store, or the PEM file of `config :regen,
  cacerts_path:` or `HEX_CACERTS_PATH` (as Hex itself: a mirror or a
  TLS-inspecting proxy with a CA of its own); `HTTP_PROXY` / `HTTPS_PROXY`
  (and lower-case) honoured with `NO_PROXY`, redirects followed (GitHub's
  release URLs redirect to their storage).
  """

  @profile :regen

  @doc "The body of `url`, or `{:error, message}`."
  def get(url) do
    {:ok, _} = Application.ensure_all_started(:inets)
    {:ok, _} = Application.ensure_all_started(:ssl)
    pid = profile()
    uri = URI.parse(url)

    with :ok <- check_scheme(uri, url),
         :ok <- set_proxy(pid, uri) do
      request(pid, url, uri)
    end
  end

  # A fresh profile each time: httpc cannot unset a proxy once set, and the
  # environment may have changed since the last download in this VM.
  defp profile do
    _ = :inets.stop(:httpc, @profile)
    {:ok, pid} = :inets.start(:httpc, profile: @profile)
    pid
  end

  defp check_scheme(%URI{scheme: s, host: h}, _url) when s in ["http", "https"] and is_binary(h),
    do: :ok

  defp check_scheme(_, url),
    do:
      {:error, "cannot download #{inspect(url)}: not an http(s) URL (check config :regen, url:)."}

  @doc false
  def proxy_env(scheme) do
    names =
      if scheme == "https", do: ["HTTPS_PROXY", "https_proxy"], else: ["HTTP_PROXY", "http_proxy"]

    Enum.find_value(names, fn n -> (v = System.get_env(n)) not in [nil, ""] && {n, v} end)
  end

  # httpc's NoProxy patterns: "example.com" in NO_PROXY covers the host
  # and its subdomains.
  defp no_proxy do
    (System.get_env("NO_PROXY") || System.get_env("no_proxy") || "")
    |> String.split(",", trim: true)
    |> Enum.map(&(&1 |> String.trim() |> String.trim_leading(".") |> String.trim_leading("*.")))
    |> Enum.reject(&(&1 == ""))
    |> Enum.flat_map(fn h -> [to_charlist(h), to_charlist("*." <> h)] end)
  end

  defp set_proxy(pid, %URI{scheme: scheme}) do
    option = if scheme == "https", do: :https_proxy, else: :proxy

    case proxy_env(scheme) do
      nil ->
        :ok

      {name, value} ->
        case URI.parse(if String.contains?(value, "://"), do: value, else: "http://" <> value) do
          %URI{host: host, port: port} when is_binary(host) and host != "" ->
            Mix.shell().info("regen: downloading through #{name}=#{redact(value)}")
            :httpc.set_options([{option, {{to_charlist(host), port}, no_proxy()}}], pid)

          _ ->
            {:error,
             "#{name}=#{inspect(redact(value))} is not a proxy URL (want http://host:port)."}
        end
    end
  end

  # A proxy URL's password is never printed.
  defp redact(value), do: String.replace(value, ~r{//([^:/@]+):[^@/]*@}, "//\\1:***@")

  defp request(pid, url, uri) do
    with {:ok, ssl} <- ssl_opts(uri) do
      http_opts =
        [autoredirect: true, timeout: 120_000, connect_timeout: 30_000] ++
          ssl ++ proxy_auth(uri)

      :httpc.request(:get, {to_charlist(url), []}, http_opts, [body_format: :binary], pid)
      |> response(url)
    end
  end

  defp response(result, url) do
    case result do
      {:ok, {{_, 200, _}, _headers, body}} ->
        {:ok, body}

      {:ok, {{_, status, reason}, _headers, _body}} ->
        {:error,
         "cannot download #{url}: HTTP #{status} #{reason}; nothing was installed. Check the version and config :regen, url:."}

      {:error, reason} ->
        hint =
          if tls_alert?(reason),
            do:
              "The server's certificate is not trusted: if a mirror or a proxy uses a CA of its own, set HEX_CACERTS_PATH or config :regen, cacerts_path: to its PEM file",
            else: "Check the network and proxy (HTTP_PROXY / HTTPS_PROXY)"

        {:error,
         "cannot download #{url}: #{inspect(reason)}; nothing was installed. #{hint}, or install regen yourself and set MIX_REGEN_PATH."}
    end
  end

  defp tls_alert?(reason), do: inspect(reason) =~ ~r/tls_alert|certificate|unknown_ca/

  defp ssl_opts(%URI{scheme: "https"}) do
    with {:ok, cacerts} <- cacerts() do
      {:ok,
       [
         ssl: [
           verify: :verify_peer,
           cacerts: cacerts,
           depth: 4,
           customize_hostname_check: [
             match_fun: :public_key.pkix_verify_hostname_match_fun(:https)
           ]
         ]
       ]}
    end
  end

  defp ssl_opts(_), do: {:ok, []}

  # The CA certificates to trust: a PEM file the user named, else the OS's.
  defp cacerts do
    case cacerts_path() do
      nil ->
        try do
          {:ok, :public_key.cacerts_get()}
        rescue
          e ->
            {:error,
             "cannot check the download's certificate: the OS has no CA store OTP can read (#{Exception.message(e)}); nothing was installed. Install the CA certificates (ca-certificates), or set HEX_CACERTS_PATH or config :regen, cacerts_path: to a PEM file."}
        end

      {from, path} ->
        with {:ok, pem} <- File.read(path),
             [_ | _] = ders <-
               for({:Certificate, der, :not_encrypted} <- :public_key.pem_decode(pem), do: der) do
          {:ok, ders}
        else
          {:error, reason} ->
            {:error,
             "cannot read the CA certificates #{from} names (#{path}): #{:file.format_error(reason)}; nothing was installed."}

          [] ->
            {:error,
             "the CA file #{from} names (#{path}) holds no PEM certificate; nothing was installed."}
        end
    end
  end

  defp cacerts_path do
    case {Application.get_env(:regen, :cacerts_path), System.get_env("HEX_CACERTS_PATH")} do
      {path, _} when is_binary(path) and path != "" -> {"config :regen, cacerts_path:", path}
      {_, path} when is_binary(path) and path != "" -> {"HEX_CACERTS_PATH", path}
      _ -> nil
    end
  end

  defp proxy_auth(%URI{scheme: scheme}) do
    with {_, value} <- proxy_env(scheme),
         %URI{userinfo: info} when is_binary(info) <- URI.parse(value),
         [user, pass] <- String.split(info, ":", parts: 2) do
      [proxy_auth: {to_charlist(URI.decode(user)), to_charlist(URI.decode(pass))}]
    else
      _ -> []
    end
  end
end
