//go:build linux || darwin

package gitops

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDirStatIsLstat: the per-folder lstat of the work-tree comparison
// answers exactly as os.Lstat of the full path, for every kind of entry
// and every way the path can fail, in the order the index gives them
// (folders interleaved, so the open folder changes back and forth).
func TestDirStatIsLstat(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string, mode os.FileMode) {
		abs := filepath.Join(root, rel)
		ok(t, os.MkdirAll(filepath.Dir(abs), 0o755))
		ok(t, os.WriteFile(abs, []byte(rel), 0o644))
		ok(t, os.Chmod(abs, mode))
	}
	mk("a.exs", 0o644)
	mk("m/x.exs", 0o755)
	mk("m/setuid", 0o4755|os.ModeSetuid)
	mk("m/deep/y.exs", 0o600)
	ok(t, os.Chmod(filepath.Join(root, "m/setuid"), 0o4755))
	ok(t, os.Symlink("x.exs", filepath.Join(root, "m/link")))
	ok(t, os.Symlink("nowhere", filepath.Join(root, "m/dangling")))
	ok(t, syscall.Mkfifo(filepath.Join(root, "m/fifo"), 0o644))
	ok(t, os.Mkdir(filepath.Join(root, "m/sub"), 0o1777))
	ok(t, os.Chmod(filepath.Join(root, "m/sub"), 0o1777))
	ok(t, os.Symlink("m", filepath.Join(root, "linked")))
	rels := []string{"a.exs", "m/x.exs", "m/setuid", "m/link", "m/dangling", "m/fifo", "m/sub", "m/gone",
		"m/deep/y.exs", "m/x.exs/under", "a.exs", "linked/x.exs", "missing/x.exs", "m/deep/y.exs", "m/x.exs"}
	ds := newDirStat(root)
	defer ds.close()
	for _, rel := range rels {
		abs := filepath.Join(root, filepath.FromSlash(rel))
		want, wantErr := os.Lstat(abs)
		got, gotErr := ds.lstat(rel)
		if (wantErr == nil) != (gotErr == nil) {
			t.Errorf("%s: error %v, os.Lstat %v", rel, gotErr, wantErr)
			continue
		}
		if wantErr != nil {
			if gotErr.Error() != wantErr.Error() || errors.Is(gotErr, os.ErrNotExist) != errors.Is(wantErr, os.ErrNotExist) || isNotDir(gotErr) != isNotDir(wantErr) {
				t.Errorf("%s: error %q, os.Lstat %q", rel, gotErr, wantErr)
			}
			continue
		}
		if got.Name() != want.Name() || got.Size() != want.Size() || got.Mode() != want.Mode() || !got.ModTime().Equal(want.ModTime()) || got.IsDir() != want.IsDir() {
			t.Errorf("%s: %s %d %v %v %v, os.Lstat %s %d %v %v %v", rel, got.Name(), got.Size(), got.Mode(), got.ModTime(), got.IsDir(),
				want.Name(), want.Size(), want.Mode(), want.ModTime(), want.IsDir())
		}
		gs, gok := statOf(got)
		ws, wok := statOf(want)
		if gs != ws || gok != wok {
			t.Errorf("%s: stat data %+v %v, os.Lstat %+v %v", rel, gs, gok, ws, wok)
		}
	}
}
