package project

import (
	"crypto/sha256"
	"encoding/hex"
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

func (c RepoCache) file(key string) string {
	return filepath.Join(c.StateDir, "cache", "repos-"+key+".txt")
}

// Load returns the cached answer for key.
func (c RepoCache) Load(key string) (string, bool) {
	data, err := os.ReadFile(c.file(key))
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
	cacheFile := c.file(key)
	if err := os.MkdirAll(filepath.Dir(cacheFile), 0o700); err == nil {
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
