package regen

import (
	"os"
	"path/filepath"
	"testing"
)

// The project's own repository is the nearest one holding it: a submodule
// of a submodule, not the submodule around it.
func TestNestedRepoTop(t *testing.T) {
	top := t.TempDir()
	for _, d := range []string{"mid/proj/lib", "plain/proj"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"mid/.git", "mid/proj/.git"} {
		if err := os.WriteFile(filepath.Join(top, f), []byte("gitdir: x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for dir, want := range map[string]string{
		"mid/proj/lib": "mid/proj",
		"mid/proj":     "mid/proj",
		"mid":          "mid",
		"plain/proj":   "",
		"":             "",
	} {
		got := nestedRepoTop(top, filepath.Join(top, dir))
		if want != "" {
			want = filepath.Join(top, want)
		}
		if got != want {
			t.Errorf("nestedRepoTop(%q) = %q, want %q", dir, got, want)
		}
	}
}
