package snapshots

import (
	"os"
	"path/filepath"
	"testing"
)

// fixturesDir returns the shared real-Ash fixtures (REGEN_TEST_FIXTURES, else
// shared/fixtures beside the checkout), skipping when they are missing; under
// CI=true a missing fixture fails, as a missing PostgreSQL does.
func fixturesDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("REGEN_TEST_FIXTURES")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "fixtures")
	}
	if _, err := os.Stat(dir); err != nil {
		stop := t.Skipf
		if os.Getenv("CI") == "true" {
			stop = t.Fatalf
		}
		stop("real Ash fixtures not available at %s (set REGEN_TEST_FIXTURES): %v", dir, err)
	}
	return dir
}

func snapshotRoot(t testing.TB, project string) string {
	return filepath.Join(fixturesDir(t), project, "priv", "resource_snapshots", "repo")
}
