package snapshots

import (
	"os"
	"path/filepath"
	"testing"
)

// fixturesDir returns the shared real-Ash fixtures, skipping when this
// checkout does not carry them.
func fixturesDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "fixtures")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real Ash fixtures not available at %s: %v", dir, err)
	}
	return dir
}

func snapshotRoot(t testing.TB, project string) string {
	return filepath.Join(fixturesDir(t), project, "priv", "resource_snapshots", "repo")
}
