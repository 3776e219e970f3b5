package fsatomic

import (
	"os"
	"path/filepath"
	"testing"
)

// A folder whose name has glob metacharacters matches only itself.
func TestQuoteGlob(t *testing.T) {
	for _, name := range []string{"app [old]", `a\b`, "x*y", "q?", "plain"} {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, name)
			other := filepath.Join(base, "app o") // what "app [old]" would match unquoted
			for _, d := range []string{dir, other} {
				os.MkdirAll(d, 0o700)
				os.WriteFile(filepath.Join(d, "repos-1.txt"), nil, 0o600)
			}
			got, err := filepath.Glob(filepath.Join(QuoteGlob(dir), "repos-*.txt"))
			if err != nil || len(got) != 1 || got[0] != filepath.Join(dir, "repos-1.txt") {
				t.Fatalf("glob under %q: %v %v", dir, got, err)
			}
		})
	}
}
