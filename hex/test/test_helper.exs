# The install and run cases need the release archives on a loopback HTTP
# server: the Go test TestHexPackage (cmd/regen/hex_test.go) builds them
# with scripts/release, serves them and runs `mix test` with REGEN_TEST_*
# set. Run alone, those cases are skipped and say why.
live = System.get_env("REGEN_TEST_URL") not in [nil, ""]

unless live do
  IO.puts(
    "regen tests: REGEN_TEST_URL is not set, so the install/run cases are skipped; " <>
      "run them with `go test ./cmd/regen -run TestHexPackage` from the repository root."
  )
end

ExUnit.start(exclude: if(live, do: [], else: [:live]))
