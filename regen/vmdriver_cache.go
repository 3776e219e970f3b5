package regen

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"

	"github.com/regen-tool/regen/migrator/fsatomic"
)

// The driver module compiled once, not at every run. Compiling
// RegenDriverV1 from source took 0.4-0.8 s of the driver VM's start on the
// 2-core machine (Elixir 1.14, OTP 25), a cost the bare `mix do` of the same
// tasks does not have. So the VM runs a small loader: it loads the module's
// .beam from regen's cache under the git dir when one is there for this
// source, OTP release and Elixir version, and otherwise compiles the module
// from the source file next to the loader and leaves its .beam in the
// cache for the next run. A .beam that does not load (damaged, another
// VM's) is compiled again and replaced; without a cache folder the loader
// compiles every time, as before. The cache holds only what the VM
// compiled from regen's own source, keyed by that source's hash.

const vmDriverLoader = `# ` + vmDriverMarker + `: regen's one-VM driver, loaded (see regen/vmdriver_cache.go).
regen_driver_beam =
  case BEAM do
    nil -> nil
    prefix -> prefix <> "-otp" <> List.to_string(:erlang.system_info(:otp_release)) <> "-elixir" <> System.version() <> ".beam"
  end

regen_driver_loaded =
  with path when is_binary(path) <- regen_driver_beam,
       # Only a plain file of the cache: a symlink is not followed.
       {:ok, %File.Stat{type: :regular}} <- File.lstat(path),
       {:ok, bin} <- File.read(path),
       {:module, RegenDriverV1} <- :code.load_binary(RegenDriverV1, String.to_charlist(path), bin) do
    true
  else
    _ -> false
  end

unless regen_driver_loaded do
  case Code.compile_file(MODULE) do
    [{RegenDriverV1, bin}] when is_binary(regen_driver_beam) ->
      tmp = regen_driver_beam <> ".tmp-" <> Integer.to_string(System.unique_integer([:positive]))

      case File.write(tmp, bin) do
        :ok -> if File.rename(tmp, regen_driver_beam) != :ok, do: File.rm(tmp)
        _ -> File.rm(tmp)
      end

    _ ->
      :ok
  end
end
`

// driverBeamGlob matches the cached .beam files of every source.
const driverBeamGlob = "driver-*.beam"

// vmDriverBoot writes the driver module's source into dir (the run's
// private folder) and returns the loader that defines RegenDriverV1 from
// the cache or that file. cacheDir "" (project.CacheDir: none of regen's
// own): no cache, the module is compiled.
func vmDriverBoot(dir, cacheDir string) (string, error) {
	src := vmDriverSource()
	module := filepath.Join(dir, "regen_driver.ex")
	// A plain write: a run-long file in a private folder (see launch).
	if err := os.WriteFile(module, []byte(src), 0o600); err != nil {
		return "", err
	}
	beam := "nil"
	if cacheDir != "" {
		sum := sha256.Sum256([]byte(src))
		prefix := filepath.Join(cacheDir, "driver-"+hex.EncodeToString(sum[:8]))
		pruneDriverBeams(cacheDir, prefix)
		beam = elixirString(prefix)
	}
	r := strings.NewReplacer("BEAM do", beam+" do", "Code.compile_file(MODULE)", "Code.compile_file("+elixirString(module)+")")
	return r.Replace(vmDriverLoader), nil
}

// pruneDriverBeams removes the cached .beam files of other sources (an
// older regen's driver) and leftovers of an interrupted write.
func pruneDriverBeams(cacheDir, keep string) {
	files, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(cacheDir), driverBeamGlob+"*"))
	for _, f := range files {
		if !strings.HasPrefix(f, keep+"-") || strings.Contains(filepath.Base(f), ".tmp-") {
			os.Remove(f)
		}
	}
}
