package snapshots

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Kind tells a snapshot file from the per-repo extensions file.
type Kind int

const (
	// KindSnapshot is a resource snapshot: <table>/<14 digits>[_dev].json.
	// (The Kind prefix keeps the name free for the Snapshot type.)
	KindSnapshot Kind = iota
	// KindExtensions is AshPostgres's extensions.json at the repo folder's top.
	KindExtensions
)

func (k Kind) String() string {
	switch k {
	case KindSnapshot:
		return "snapshot"
	case KindExtensions:
		return "extensions"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// File is one recognised file under a repo's snapshot folder.
type File struct {
	Path      string // slash path relative to the root given to List
	Table     string // table name; "" for Extensions
	Schema    string // AshPostgres "<schema>.<table>" folder layout; "" otherwise
	Tenant    bool   // under tenants/ (schema-based multitenancy)
	Timestamp string // the 14 digits of the file name
	Dev       bool   // <ts>_dev.json, written by `ash.codegen --dev`
	Kind      Kind
}

// Key identifies the table a snapshot belongs to, as its folder relative to
// the root: "posts", "public.posts", "tenants/notes". Tenant and global
// snapshots of one table are different histories, so they get different keys.
func (f File) Key() string {
	if f.Kind == KindExtensions {
		return extensionsFile
	}
	return path.Dir(f.Path)
}

const (
	extensionsFile = "extensions.json"
	tenantsDir     = "tenants"
	jsonSuffix     = ".json"
)

// List walks a repo's snapshot folder (e.g. priv/resource_snapshots/repo) and
// sorts what it finds into recognised files and strays. Strays (editor
// backups, .DS_Store, old layouts, symlinks, anything unexpected) are
// reported, never an error: the caller decides whether they matter. Symlinks
// are never followed, so a link cannot pull files from elsewhere into a run
// that may delete them. A missing root means no snapshots yet.
func List(root string) (files []File, stray []string, err error) {
	info, err := os.Lstat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot folder %s: %w", root, err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return nil, nil, fmt.Errorf("snapshot folder %s is a symbolic link; regen does not follow links, configure the real folder", root)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("snapshot folder %s is not a directory", root)
	}

	// WalkDir uses Lstat semantics: a symlinked directory shows up as a
	// non-directory entry and is not descended into.
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, walkErr error) error {
		if walkErr != nil {
			return walkErr
		}
		if p == root {
			return nil
		}
		rel, relErr := filepath.Rel(root, p)
		if relErr != nil {
			return relErr
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// Folders are not reported themselves: their files are, and
			// files at an unexpected depth come out as strays.
			return nil
		}
		if !d.Type().IsRegular() {
			stray = append(stray, rel)
			return nil
		}
		if f, ok := classify(rel); ok {
			files = append(files, f)
		} else {
			stray = append(stray, rel)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading snapshot folder %s: %w", root, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	sort.Strings(stray)
	return files, stray, nil
}

// classify maps a slash path relative to the root onto the layouts the Ash
// generators write; ok is false for anything else.
func classify(rel string) (File, bool) {
	parts := strings.Split(rel, "/")
	switch {
	case len(parts) == 1 && parts[0] == extensionsFile:
		return File{Path: rel, Kind: KindExtensions}, true
	case len(parts) == 2:
		return snapshotFile(rel, parts[0], parts[1], false)
	case len(parts) == 3 && parts[0] == tenantsDir:
		return snapshotFile(rel, parts[1], parts[2], true)
	}
	return File{}, false
}

func snapshotFile(rel, folder, name string, tenant bool) (File, bool) {
	ts, dev, ok := parseSnapshotName(name)
	if !ok || folder == "" {
		return File{}, false
	}
	f := File{Path: rel, Table: folder, Tenant: tenant, Timestamp: ts, Dev: dev, Kind: KindSnapshot}
	// AshPostgres names the folder "<schema>.<table>" when the resource sets
	// a schema; schema names cannot contain a dot, table names may not either
	// in practice, so the first dot splits them.
	if schema, table, found := strings.Cut(folder, "."); found {
		if schema == "" || table == "" {
			return File{}, false
		}
		f.Schema, f.Table = schema, table
	}
	return f, true
}

// parseSnapshotName accepts <14 digits>.json and <14 digits>_dev.json.
func parseSnapshotName(name string) (ts string, dev bool, ok bool) {
	base, found := strings.CutSuffix(name, jsonSuffix)
	if !found {
		return "", false, false
	}
	if b, isDev := strings.CutSuffix(base, devSuffix); isDev {
		base, dev = b, true
	}
	if len(base) != versionDigits {
		return "", false, false
	}
	for i := 0; i < len(base); i++ {
		if base[i] < '0' || base[i] > '9' {
			return "", false, false
		}
	}
	return base, dev, true
}

// Latest returns the newest snapshot per table key (see File.Key). Like Ash's
// generator it takes the plain string maximum of the file names, so a
// "_dev" file takes part and wins over a plain file with the same timestamp
// ('_' sorts after '.'). Extensions files are not snapshots and are skipped.
func Latest(files []File) map[string]File {
	latest := make(map[string]File)
	for _, f := range files {
		if f.Kind != KindSnapshot {
			continue
		}
		k := f.Key()
		cur, seen := latest[k]
		if !seen || path.Base(f.Path) > path.Base(cur.Path) {
			latest[k] = f
		}
	}
	return latest
}
