package regen

import (
	"crypto/sha256"
	"encoding/hex"
	"github.com/regen-tool/regen/migrator/fsatomic"
	"io"
	"os"
)

// The careful file operations live in migrator/fsatomic (temp file, fsync,
// rename, fsync the folder); these names keep the engine's call sites short.

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return fsatomic.WriteFile(path, data, mode)
}

func syncDir(dir string) error { return fsatomic.SyncDir(dir) }

// copyFileAtomic copies src to dst atomically and returns the sha256 of
// what was written; a symlink at src is an error.
func copyFileAtomic(src, dst string, mode os.FileMode) (string, error) {
	return fsatomic.CopyFile(src, dst, mode)
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sha256Bytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
