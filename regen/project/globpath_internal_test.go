package project

import (
	"os"
	"path/filepath"
	"testing"
)

// A project under a path with glob metacharacters ("app [old]", a
// backslash) finds its own repos and hashes its own config files: the
// path is matched literally (fsatomic.QuoteGlob).
func TestProjectUnderGlobMetaPath(t *testing.T) {
	for _, name := range []string{"app [old]", `a\b*`} {
		t.Run(name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), name)
			for rel, data := range map[string]string{
				"mix.exs":                    "defmodule X.MixProject do\nend\n",
				"config/config.exs":          "import Config\n",
				"priv/repo/migrations/.keep": "",
			} {
				os.MkdirAll(filepath.Dir(filepath.Join(root, rel)), 0o755)
				os.WriteFile(filepath.Join(root, rel), []byte(data), 0o644)
			}
			if repos := detectRepos(root, ""); len(repos) != 1 {
				t.Fatalf("repos under %q: %+v, want the one in priv/repo", root, repos)
			}
			getenv := func(string) string { return "" }
			h1, err := ConfigHash(root, getenv)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(root, "config", "config.exs"), []byte("import Config\nconfig :x, y: 1\n"), 0o644)
			if h2, _ := ConfigHash(root, getenv); h2 == h1 {
				t.Fatalf("a change of config/config.exs under %q left the config hash as it was", root)
			}
		})
	}
}
