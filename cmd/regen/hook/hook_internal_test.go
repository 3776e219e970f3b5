package hook

import (
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

var updateScript = flag.Bool("update", false, "rewrite scripts/pre-commit from the hook script")

// scripts/pre-commit is the hook for people who install hooks by hand: it
// must be the very script `regen hook install` writes.
func TestScriptsPreCommitIsTheHook(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "scripts", "pre-commit")
	if *updateScript {
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != script {
		t.Fatalf("%s differs from the hook script; run `go test ./cmd/regen/hook/ -run TestScriptsPreCommitIsTheHook -update`", p)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("%s must be executable", p)
	}
}
