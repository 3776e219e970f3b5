package fsatomic

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder wraps the real steps, logging their order; fail makes one fail.
func recorder(log *[]string, fail string) ops {
	step := func(name string) error {
		*log = append(*log, name)
		if name == fail {
			return errors.New(name + " failed")
		}
		return nil
	}
	return ops{
		syncFile: func(f *os.File) error {
			if err := step("fsync file"); err != nil {
				return err
			}
			return f.Sync()
		},
		rename: func(a, b string) error {
			if err := step("rename"); err != nil {
				return err
			}
			return os.Rename(a, b)
		},
		syncDir: func(d string) error {
			if err := step("fsync dir"); err != nil {
				return err
			}
			return SyncDir(d)
		},
	}
}

func TestWriteOrderFsyncRenameFsyncDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	var log []string
	var before bool
	if _, err := recorder(&log, "").write(p, strings.NewReader("new"), 0o640, func() error {
		log = append(log, "before rename")
		before = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, ", "); got != "fsync file, before rename, rename, fsync dir" || !before {
		t.Fatalf("order: %s", got)
	}
	data, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(data) != "new" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("%q %v", data, fi.Mode())
	}
}

// A failure before the rename leaves the old file byte for byte, and no
// temp file in the folder.
func TestFailureLeavesTheOldFile(t *testing.T) {
	for _, fail := range []string{"fsync file", "rename", "before rename"} {
		dir := t.TempDir()
		p := filepath.Join(dir, "f")
		os.WriteFile(p, []byte("old"), 0o600)
		var log []string
		_, err := recorder(&log, fail).write(p, strings.NewReader("new"), 0o600, func() error {
			if fail == "before rename" {
				return errors.New("before rename failed")
			}
			return nil
		})
		if err == nil {
			t.Fatalf("%s: no error", fail)
		}
		if data, _ := os.ReadFile(p); string(data) != "old" {
			t.Errorf("%s: the old file became %q", fail, data)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("%s: left %d entries (a temp file?)", fail, len(ents))
		}
		for i, s := range log {
			if s == "rename" && fail != "rename" {
				t.Errorf("%s: renamed (step %d) after the failure", fail, i)
			}
		}
	}
}

// The folder's fsync failing is reported: the name may not be durable.
func TestDirSyncFailureIsReported(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	var log []string
	if _, err := recorder(&log, "fsync dir").write(p, strings.NewReader("x"), 0o600, nil); err == nil || !strings.Contains(err.Error(), "fsync dir") {
		t.Fatalf("err = %v", err)
	}
}

func TestCopyFileRefusesSymlinksAndHashes(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.WriteFile(src, []byte("abc"), 0o644)
	sum, err := CopyFile(src, filepath.Join(dir, "sub", "dst"), 0o600)
	if err != nil || sum != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("%s %v", sum, err)
	}
	os.Symlink(src, filepath.Join(dir, "link"))
	if _, err := CopyFile(filepath.Join(dir, "link"), filepath.Join(dir, "dst2"), 0o600); err == nil {
		t.Fatal("a symlink was followed")
	}
	if err := WriteFile(filepath.Join(dir, "nosuchdir", "f"), []byte("x"), 0o600); err == nil {
		t.Fatal("no error for a missing folder")
	}
}
