// Package fsatomic is the one careful way regen replaces a file, after
// restic and git: write a temp file in the target's folder, fsync it,
// rename it over the target, fsync the folder. A failure at any point
// leaves the old file as it was and no temp file behind.
package fsatomic

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ops are the steps that make a write durable; tests wrap them to see
// their order and to make one fail.
type ops struct {
	syncFile func(*os.File) error
	rename   func(oldpath, newpath string) error
	syncDir  func(dir string) error
}

var durable = ops{
	syncFile: (*os.File).Sync,
	rename:   os.Rename,
	syncDir:  SyncDir,
}

// WriteFile replaces path with data, with the given mode.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	_, err := durable.write(path, bytes.NewReader(data), mode, nil)
	return err
}

// WriteReader replaces path with what r holds and returns its sha256.
// beforeRename (may be nil) runs once the temp file is durable and just
// before it takes the target's name: e.g. removing a database's stale
// -wal, which must not outlive the old file nor go before the new one is
// safe.
func WriteReader(path string, r io.Reader, mode os.FileMode, beforeRename func() error) (string, error) {
	return durable.write(path, r, mode, beforeRename)
}

// CopyFile copies src to dst (creating dst's folder, 0700) and returns the
// sha256 of what was written. A symlink at src is an error: links are
// never followed, callers record them separately.
func CopyFile(src, dst string, mode os.FileMode) (string, error) {
	fi, err := os.Lstat(src)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", src)
	}
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", err
	}
	return durable.write(dst, in, mode, nil)
}

func (o ops) write(path string, r io.Reader, mode os.FileMode, beforeRename func() error) (string, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		return "", err
	}
	if err := tmp.Chmod(mode); err != nil {
		return "", err
	}
	if err := o.syncFile(tmp); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if beforeRename != nil {
		if err := beforeRename(); err != nil {
			return "", err
		}
	}
	if err := o.rename(tmp.Name(), path); err != nil {
		return "", err
	}
	renamed = true
	return hex.EncodeToString(h.Sum(nil)), o.syncDir(dir)
}

// SyncDir makes a created, renamed or removed entry of dir durable; a
// file's own fsync does not cover its name.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// SyncFile flushes a file written by someone else (SQLite's VACUUM INTO)
// to stable storage.
func SyncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	return nil
}
