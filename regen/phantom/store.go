package phantom

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/regen-tool/regen/migrator/fsatomic"
)

// AppliedFile is a migration file whose version the database has applied,
// as it is in the work tree.
type AppliedFile struct {
	Version  string
	FileName string // base name
	Content  []byte
	// AppliedAt is the version's inserted_at as the database stores it (""
	// when unknown). A different inserted_at than the one remembered means
	// the version was rolled back and applied again: its content then is
	// the one to remember.
	AppliedAt string
	// Seen, when set, is the file's stat signature as it was read (see
	// SettledStat): the next visit can tell it unedited without reading it.
	Seen *Stat
}

// appliedIndex is store/applied/<key>.txt (applied_text.go; <key>.json
// before, whose field names the tags of Applied are).
type appliedIndex struct {
	Dir      string             `json:"migrations_dir"`
	Versions map[string]Applied `json:"versions"`
}

// storeDir is <gitDir>/regen/store.
func storeDir(gitDir string) string { return filepath.Join(gitDir, "regen", "store") }

func dirKey(migrationsDir string) string {
	h := sha256.Sum256([]byte(migrationsDir))
	return hex.EncodeToString(h[:8])
}

func appliedPath(gitDir, dir string) string {
	return filepath.Join(storeDir(gitDir), "applied", dirKey(dir)+".json")
}

func blobPath(gitDir, sum string) string { return filepath.Join(storeDir(gitDir), "blobs", sum) }

// ensureDir creates dir and the folders from gitDir down to it, refusing a
// symlink at any of them: the store is never written through a link that
// could point out of the repository.
func ensureDir(gitDir, dir string) error {
	rel, err := filepath.Rel(gitDir, dir)
	if err != nil {
		return err
	}
	if rel == ".." || strings.HasPrefix(filepath.ToSlash(rel), "../") {
		return fmt.Errorf("%s is outside %s", dir, gitDir)
	}
	cur := gitDir
	for _, part := range splitPath(rel) {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if err := os.Mkdir(cur, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
				return err
			}
			continue
		case err != nil:
			return err
		case fi.Mode()&os.ModeSymlink != 0:
			return fmt.Errorf("%s is a symlink; regen's store is never written through a link", cur)
		case !fi.IsDir():
			return fmt.Errorf("%s is not a folder", cur)
		}
	}
	return nil
}

func splitPath(rel string) []string {
	var parts []string
	for _, p := range strings.Split(filepath.ToSlash(rel), "/") {
		if p != "" && p != "." {
			parts = append(parts, p)
		}
	}
	return parts
}

// readRegular reads path only when it is a regular file (a symlink is
// never followed).
func readRegular(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return os.ReadFile(path)
}

// loadAppliedJSON reads an earlier version's applied index (JSON); a
// missing one is empty.
func loadAppliedJSON(gitDir, dir string) (*appliedIndex, error) {
	idx := &appliedIndex{Dir: dir, Versions: map[string]Applied{}}
	data, err := readRegular(appliedPath(gitDir, dir))
	if errors.Is(err, os.ErrNotExist) {
		return idx, nil
	}
	if err != nil {
		return idx, err
	}
	var read appliedIndex
	if err := json.Unmarshal(data, &read); err != nil || read.Dir != dir {
		return idx, &DamagedError{Path: appliedPath(gitDir, dir)}
	}
	if read.Versions != nil {
		idx.Versions = read.Versions
	}
	return idx, nil
}

// DamagedError: an applied index that cannot be parsed (or belongs to
// another folder). It is replaced by what regen sees next.
type DamagedError struct{ Path string }

func (e *DamagedError) Error() string {
	return fmt.Sprintf("regen's store %s cannot be read (it is rebuilt from what regen sees next)", e.Path)
}

// content is the remembered file of version, checked against its hash.
func (a *appliedIndex) content(gitDir, version string) (string, []byte, bool) {
	if a == nil {
		return "", nil, false
	}
	e, ok := a.Versions[version]
	if !ok {
		return "", nil, false
	}
	data, err := readRegular(blobPath(gitDir, e.SHA256))
	if err != nil || sha256Hex(data) != e.SHA256 {
		return "", nil, false
	}
	return e.FileName, data, true
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Remember copies each applied file into the store (its bytes once, by
// hash) and records it as what its version had when applied. A version
// already remembered keeps its first content (a later edit of an applied
// migration is what AppliedContent exists to catch) unless the database
// says it was applied again since (another, non-empty AppliedAt). Nothing is written
// when nothing is new, so calling it on every command is cheap.
func Remember(gitDir, migrationsDir string, files []AppliedFile) error {
	err := Visit(gitDir, migrationsDir, false, func(map[string]Applied) Update { return Update{Fresh: files} })
	var damaged *DamagedError
	if errors.As(err, &damaged) {
		return nil // replaced by what was remembered now
	}
	return err
}

// Forget drops the applied records of versions the database no longer has
// (rolled back): applying them again is a new application, whose content is
// then remembered. The blobs stay (a phantom may still need them).
func Forget(gitDir, migrationsDir string, versions []string) error {
	return Visit(gitDir, migrationsDir, false, func(map[string]Applied) Update { return Update{Gone: versions} })
}

// AppliedContent is the file regen saw applied for version (ok false when
// regen never saw it applied, or the store cannot be read).
func AppliedContent(gitDir, migrationsDir, version string) (fileName string, content []byte, ok bool, err error) {
	dir, err := cleanDir(migrationsDir)
	if err != nil {
		return "", nil, false, err
	}
	v, err := normalizeVersions([]string{version})
	if err != nil {
		return "", nil, false, err
	}
	idx, err := loadApplied(gitDir, dir)
	if err != nil {
		return "", nil, false, err
	}
	name, data, ok := idx.content(gitDir, v[0])
	return name, data, ok, nil
}

// Applied is what the store remembers of one applied version.
type Applied struct {
	FileName  string `json:"file"`                  // base name when applied
	SHA256    string `json:"sha256"`                // of the content when applied
	AppliedAt string `json:"inserted_at,omitempty"` // the database's inserted_at then ("" when unknown)
	// Seen: the signature of the work-tree file last found with exactly
	// that content (nil when none settled enough to vouch for it); an
	// equal signature now means the file need not be read to know it is
	// unedited.
	Seen *Stat `json:"seen,omitempty"`
}

// AppliedRecords is every remembered version of a migrations folder: a
// whole-folder comparison (status, check) reads one file instead of every
// blob.
func AppliedRecords(gitDir, migrationsDir string) (map[string]Applied, error) {
	dir, err := cleanDir(migrationsDir)
	if err != nil {
		return nil, err
	}
	idx, err := loadApplied(gitDir, dir)
	return idx.Versions, err
}

// AppliedSums is AppliedRecords' sha256 by version (the first API's name,
// kept for its callers).
func AppliedSums(gitDir, migrationsDir string) (map[string]string, error) {
	recs, err := AppliedRecords(gitDir, migrationsDir)
	out := make(map[string]string, len(recs))
	for v, r := range recs {
		out[v] = r.SHA256
	}
	return out, err
}

func writeBlob(gitDir, sum string, content []byte) error {
	p := blobPath(gitDir, sum)
	if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
		return nil
	}
	if err := ensureDir(gitDir, filepath.Dir(p)); err != nil {
		return err
	}
	return fsatomic.WriteFile(p, content, 0o600)
}
