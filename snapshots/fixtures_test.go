package snapshots

import (
	"os"
	"path/filepath"
	"testing"
)

// fixturesDir returns the real-Ash fixtures: REGEN_TEST_FIXTURES, else the
// copy of shared/fixtures kept in testdata/ash-fixtures (so a clean clone
// has them). Missing fixtures skip locally; under CI=true they fail, as a
// missing PostgreSQL does.
func fixturesDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("REGEN_TEST_FIXTURES")
	if dir == "" {
		dir = filepath.Join("testdata", "ash-fixtures")
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
