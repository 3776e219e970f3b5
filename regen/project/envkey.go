package project

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/regen-tool/regen/migrator/fsatomic"
)

// The project's answer about its databases depends on the environment as
// much as on its files: MIX_ENV picks config/<env>.exs and whatever
// `database: "…_#{config_env()}.db"` says, MIX_TARGET likewise, and the
// config reads variables (DATABASE_URL, System.get_env("X")). The cache key
// covers them all: the names found in mix.exs and the config files (those
// they import included) with their values, hashed, so no value (a password
// in DATABASE_URL) is ever stored.

// envAlways are read by Mix or Ecto whatever the files say.
var envAlways = []string{"MIX_ENV", "MIX_TARGET", "DATABASE_URL"}

var (
	reEnvRead     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`System\.(?:get_env|fetch_env!?)\(\s*"([^"]+)"`) })
	reConfigImpor = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`import_config\s*\(?\s*"([^"]+)"`) })
)

// envNames lists the variables the project's config files and mix.exs
// read, following import_config (interpolations resolved with env), and
// the files it read.
func envNames(root string, files []string, getenv func(string) string) ([]string, []string) {
	names := map[string]bool{}
	for _, n := range envAlways {
		names[n] = true
	}
	seen := map[string]bool{}
	var visit func(path string, depth int)
	visit = func(path string, depth int) {
		if seen[path] || depth > 16 {
			return
		}
		seen[path] = true
		data, err := os.ReadFile(path)
		if err != nil {
			return
		}
		for _, m := range reEnvRead().FindAllSubmatch(data, -1) {
			names[string(m[1])] = true
		}
		for _, m := range reConfigImpor().FindAllSubmatch(data, -1) {
			imp := resolveConfigInterpolation(string(m[1]), getenv)
			if !filepath.IsAbs(imp) {
				imp = filepath.Join(filepath.Dir(path), imp)
			}
			visit(filepath.Clean(imp), depth+1)
		}
	}
	for _, f := range files {
		visit(filepath.Join(root, f), 0)
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	read := make([]string, 0, len(seen))
	for f := range seen {
		read = append(read, f)
	}
	sort.Strings(read)
	return out, read
}

// resolveConfigInterpolation fills config_env()/Mix.env()/config_target()
// in an import_config path as Mix would.
func resolveConfigInterpolation(s string, getenv func(string) string) string {
	env, target := getenv("MIX_ENV"), getenv("MIX_TARGET")
	if env == "" {
		env = "dev"
	}
	if target == "" {
		target = "host"
	}
	return strings.NewReplacer("#{config_env()}", env, "#{Mix.env()}", env, "#{config_target()}", target, "#{Mix.target()}", target).Replace(s)
}

// envKey hashes the names and values of the variables that can change the
// answer, and the content of imported files outside config/.
func envKey(root string, files []string, getenv func(string) string) string {
	h := sha256.New()
	names, read := envNames(root, files, getenv)
	for _, n := range names {
		v := getenv(n)
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", n, len(v), v)
	}
	for _, f := range read {
		data, _ := os.ReadFile(f)
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ConfigHash keys the repo-config cache by the files that decide it and
// the environment they read (envkey.go).
func ConfigHash(root string, getenv func(string) string) (string, error) {
	files := []string{"mix.exs", "mix.lock"}
	more, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(root), "config", "*.exs"))
	sort.Strings(more)
	for _, m := range more {
		rel, _ := filepath.Rel(root, m)
		files = append(files, rel)
	}
	h := sha256.New()
	// The answer holds absolute paths: a copied or moved checkout (its .git
	// copied with it) must not reuse another checkout's databases.
	fmt.Fprintf(h, "root\x00%s\x00env\x00%s\x00", root, envKey(root, files, getenv))
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
