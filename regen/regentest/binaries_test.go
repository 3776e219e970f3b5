package regentest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A complete build of the present sources is reused (nothing is built),
// and another source state's build that nobody used for staleAfter goes,
// while a recent one (another worktree's run) stays.
func TestSharedBinariesReuseAndPrune(t *testing.T) {
	cache := t.TempDir()
	key, err := sourceKey(ModuleRoot())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string, age time.Duration) string {
		p := filepath.Join(cache, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, completeMark), nil, 0o644)
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
		return p
	}
	mine := mk(key, 3*staleAfter)
	stale := mk("00000000000000000000", staleAfter+time.Minute)
	os.WriteFile(stale+".lock", nil, 0o644)
	recent := mk("11111111111111111111", time.Minute)
	cut := mk(key+".build-1", 3*staleAfter)

	dir, err := sharedBinaries(cache, ModuleRoot())
	if err != nil || dir != mine {
		t.Fatalf("got %q, %v; want the existing %q", dir, err, mine)
	}
	if fi, err := os.Stat(mine); err != nil || time.Since(fi.ModTime()) > time.Hour {
		t.Fatalf("the used build was not marked as used: %v", err)
	}
	for _, p := range []string{stale, stale + ".lock", cut} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s should be pruned: %v", p, err)
		}
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("a recently used build was pruned: %v", err)
	}
}

// The key follows the sources: a changed file gives another key.
func TestSourceKeyFollowsTheSources(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644)
	os.WriteFile(filepath.Join(root, "a.go"), []byte("package x\n"), 0o644)
	k1, _ := sourceKey(root)
	os.WriteFile(filepath.Join(root, "a_test.go"), []byte("package x\n"), 0o644)
	k2, _ := sourceKey(root)
	os.WriteFile(filepath.Join(root, "a.go"), []byte("package x // changed\n"), 0o644)
	k3, err := sourceKey(root)
	if err != nil || k1 == "" || k1 != k2 || k1 == k3 {
		t.Fatalf("keys %q %q %q (%v): a test file must not change it, a source file must", k1, k2, k3, err)
	}
}
