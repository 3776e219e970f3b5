package project

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/regen-tool/regen/migrator"
)

// RepoCache keeps the project's answer about its repos (the regen-repo
// lines of the repo query), keyed by ConfigHash, so `regen status` and
// later runs need no mix start.
type RepoCache struct {
	StateDir string                                                 // regen's folder under the git directory
	Getenv   func(string) string                                    // XDG_CACHE_HOME, HOME
	Write    func(path string, data []byte, mode os.FileMode) error // an atomic write
}

// CacheDir is regen's cache folder under stateDir (the repos' answers,
// the driver's .beam), made when missing and create is set; "" when it is
// not a folder of its own: a symlink (to anywhere) is never followed, so
// nothing is read, written or removed through it; regen runs uncached.
func CacheDir(stateDir string, create bool) string {
	if stateDir == "" {
		return ""
	}
	dir := filepath.Join(stateDir, "cache")
	fi, err := os.Lstat(dir)
	if create && errors.Is(err, fs.ErrNotExist) && os.MkdirAll(stateDir, 0o700) == nil && os.Mkdir(dir, 0o700) == nil {
		fi, err = os.Lstat(dir)
	}
	if err != nil || !fi.IsDir() {
		return ""
	}
	return dir
}

// file is key's cache file ("" without a cache folder of regen's own).
func (c RepoCache) file(key string, create bool) string {
	dir := CacheDir(c.StateDir, create)
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "repos-"+key+".txt")
}

// Load returns the cached answer for key.
func (c RepoCache) Load(key string) (string, bool) {
	file := c.file(key, false)
	if file == "" {
		return "", false
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", false
	}
	if strings.Contains(string(data), passwordMarker) {
		// The answer with its password lives in the user's own cache,
		// never under the git directory.
		secret := c.secretFile(key)
		if secret == "" {
			return "", false
		}
		if data, err = os.ReadFile(secret); err != nil {
			return "", false
		}
	}
	return string(data), true
}

// Store caches the regen-repo lines of output. Only those lines are kept,
// and never a password: an answer that had one is marked, and kept whole
// only in the user's cache folder (or use DATABASE_URL, PGPASSWORD or
// ~/.pgpass to avoid the mix start). A failed write leaves no cache: the
// next run asks again.
func (c RepoCache) Store(key, output string) {
	var keep, full []string
	for _, l := range strings.Split(output, "\n") {
		if strings.HasPrefix(l, "regen-repo ") {
			keep = append(keep, stripPassword(l))
			full = append(full, l)
		}
	}
	if cacheFile := c.file(key, true); cacheFile != "" {
		c.Write(cacheFile, []byte(strings.Join(keep, "\n")+"\n"), 0o600)
	}
	secretFile := c.secretFile(key)
	if strings.Join(keep, "\n") != strings.Join(full, "\n") && secretFile != "" {
		if err := os.MkdirAll(filepath.Dir(secretFile), 0o700); err == nil {
			c.Write(secretFile, []byte(strings.Join(full, "\n")+"\n"), 0o600)
		}
	}
}

// secretCacheFile is where an answer that holds a password is cached: the
// user's cache folder (like ~/.pgpass, mode 0600), keyed by the git
// directory and the config hash, so `regen status` stays free of mix
// starts without a password ever landing in the repository's metadata.
func (c RepoCache) secretFile(key string) string {
	base := c.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home := c.Getenv("HOME")
		if home == "" {
			return ""
		}
		base = filepath.Join(home, ".cache")
	}
	id := sha256.Sum256([]byte(c.StateDir + "\x00" + key))
	return filepath.Join(base, "regen", hex.EncodeToString(id[:12])+".repos")
}

// passwordMarker stands in the cache where the project's answer had a
// password: the cache under the git directory never holds one.
const passwordMarker = "regen-password-not-cached"

func stripPassword(line string) string {
	fields := strings.Fields(line)
	for i, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			continue
		}
		switch k {
		case "password":
			fields[i] = k + "=" + passwordMarker
		case "url":
			if dec, err := url.QueryUnescape(v); err == nil && migrator.HasSecret(dec) {
				fields[i] = k + "=" + passwordMarker
			}
		}
	}
	return strings.Join(fields, " ")
}
