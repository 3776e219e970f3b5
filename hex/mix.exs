defmodule Regen.MixProject do
  use Mix.Project

  # The package's version is the regen release it installs by default
  # (Regen.latest_version/0); priv/checksums/<version>.txt holds that
  # release's sha256 sums (mix regen.checksums writes it when a release is cut).
  @version "0.1.0"
  @source_url "https://github.com/regen-tool/regen"

  def project do
    [
      app: :regen,
      version: @version,
      elixir: "~> 1.14",
      start_permanent: false,
      deps: [],
      description:
        "Mix tasks that install and run regen (transactional Ash/Ecto migration regeneration).",
      package: [
        licenses: ["MIT"],
        links: %{"GitHub" => @source_url},
        files: ~w(lib priv mix.exs README.md)
      ],
      docs: [main: "Regen", source_url: @source_url]
    ]
  end

  # OTP only: no Hex dependency. :inets (httpc), :ssl, :public_key and
  # :crypto are started on demand by the installer.
  def application do
    [extra_applications: [:logger, :inets, :ssl, :public_key, :crypto]]
  end
end
