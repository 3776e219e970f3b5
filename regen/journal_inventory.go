package regen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
)

// The open journal is written before every step (write-ahead), and its
// inventories (Files, After) are most of it: 2,000 migrations are 300 KB
// that never change once recorded. So the open journal names each large
// inventory (inlineInventoryMax) by a file of its own beside it, written
// once, and every step writes only the rest (the version lists). The
// inventory files are named by their content's hash and checked against
// it on reading: a damaged or missing one makes the journal damaged, and
// recover reverses the run from its backup's manifest, which holds the
// same inventory a second time. Everything written into the backup folder
// (manifest.json, run.json) carries its inventories inline, and is the
// format-1 journal older regens read.

const (
	journalFormatInline = 1 // inventories inline (run.json, manifest.json, older journals)
	journalFormatSplit  = 2 // an open journal naming its inventory files
)

// inventoryRef names an inventory file beside the journal.
type inventoryRef struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
}

var inventoryFileShape = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^journal-(files|after)-[0-9a-f]{16}\.json$`)
})

// inventoryFile is what a journal wrote of one inventory: the file it
// names and the inventory value it was written for, so the next write of
// the same inventory neither hashes nor writes it again.
type inventoryFile struct {
	ref *inventoryRef
	key inventoryKey
}

// inlineInventoryMax is the largest inventory the open journal carries
// inline: below it a file of its own costs another fsync and saves little
// (a project with 50 migrations has 10 KB).
const inlineInventoryMax = 64 << 10

// refFor writes the inventory's file (once per content) into dir and
// returns its reference; nil for a small one, which stays inline.
func (f *inventoryFile) refFor(dir, kind string, set *FileSet, cache *inventoryCache) (*inventoryRef, error) {
	k := keyOf(set)
	if f.ref != nil && f.key == k {
		return f.ref, nil // the inventories are replaced whole, never edited in place
	}
	data, err := cache.encode(set)
	if err != nil {
		return nil, err
	}
	if len(data) < inlineInventoryMax {
		return nil, nil
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if f.ref != nil && f.ref.SHA256 == hash {
		f.key = k // the file read back with the journal holds these bytes
		return f.ref, nil
	}
	ref := &inventoryRef{File: "journal-" + kind + "-" + hash[:16] + ".json", SHA256: hash, Size: len(data)}
	if err := writeFileAtomic(filepath.Join(dir, ref.File), data, 0o600); err != nil {
		return nil, err
	}
	f.ref, f.key = ref, k
	return ref, nil
}

// readInventory reads the inventory ref names in dir, checked against its
// hash; a symlink is never followed.
func readInventory(dir string, ref *inventoryRef) (FileSet, error) {
	var set FileSet
	if !inventoryFileShape().MatchString(ref.File) {
		return set, fmt.Errorf("it names %q as its inventory, which is not an inventory file's name", ref.File)
	}
	p := filepath.Join(dir, ref.File)
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return set, fmt.Errorf("the inventory file it names (%s, beside it) is missing", ref.File)
	}
	if err != nil {
		return set, fmt.Errorf("the inventory file it names (%s, beside it) cannot be read: %v", ref.File, causeOf(err))
	}
	if !fi.Mode().IsRegular() {
		return set, fmt.Errorf("the inventory file it names (%s, beside it) is not a regular file", ref.File)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return set, fmt.Errorf("the inventory file it names (%s, beside it) cannot be read: %v", ref.File, causeOf(err))
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != ref.SHA256 || len(data) != ref.Size {
		return set, fmt.Errorf("the inventory file it names (%s, beside it) is not the one it recorded: its hash or size differs", ref.File)
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return set, fmt.Errorf("the inventory file it names (%s, beside it) is damaged (%v)", ref.File, err)
	}
	return set, nil
}

// causeOf is err without the path a *fs.PathError adds (the messages name
// the file by the journal's word for it).
func causeOf(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// inventoryFiles lists the inventory files in dir.
func inventoryFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, en := range entries {
		if en.Type().IsRegular() && inventoryFileShape().MatchString(en.Name()) {
			out = append(out, en.Name())
		}
	}
	return out
}

// removeInventoryFiles removes the inventory files in the state directory
// once no open journal names them (the journal was closed or moved).
func removeInventoryFiles(stateDir string) error {
	var first error
	for _, name := range inventoryFiles(stateDir) {
		if err := os.Remove(filepath.Join(stateDir, name)); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

// linkInventoryFiles gives folder the open journal's inventory files too,
// before the journal moves there: at every moment the journal, wherever
// it is, has them beside it. Their names are their content's hash, so one
// already there is the same file. removeInventoryFiles then drops the
// state directory's.
func linkInventoryFiles(stateDir, folder string) error {
	for _, name := range inventoryFiles(stateDir) {
		from, to := filepath.Join(stateDir, name), filepath.Join(folder, name)
		if exists(to) {
			continue
		}
		if err := os.Link(from, to); err != nil {
			if _, err := copyFileAtomic(from, to, 0o600); err != nil {
				return fmt.Errorf("cannot keep the journal's inventory %s in %s: %w", from, folder, err)
			}
		}
	}
	return nil
}
