package regen

import (
	"encoding/json"
)

// The inventories (Files, After) are most of a journal: 2,000 migrations
// are 300 KB of JSON that never change once recorded. encode marshals each
// inventory once and reuses the bytes while the journal holds the same
// inventory (journal_inventory.go says where the open journal keeps them).

// inventoryCache is one inventory's encoding, and what it was taken of.
type inventoryCache struct {
	key  inventoryKey
	data json.RawMessage
}

// inventoryKey identifies a FileSet value by its backing arrays: the
// inventories are replaced whole (never edited in place), so other arrays
// or lengths mean another set.
type inventoryKey struct {
	files   *FileEntry
	dirs    *string
	folders *string
	n       [3]int
}

func keyOf(s *FileSet) inventoryKey {
	k := inventoryKey{n: [3]int{len(s.Files), len(s.Dirs), len(s.Folders)}}
	if len(s.Files) > 0 {
		k.files = &s.Files[0]
	}
	if len(s.Dirs) > 0 {
		k.dirs = &s.Dirs[0]
	}
	if len(s.Folders) > 0 {
		k.folders = &s.Folders[0]
	}
	return k
}

func (c *inventoryCache) encode(s *FileSet) (json.RawMessage, error) {
	k := keyOf(s)
	if c.data != nil && c.key == k {
		return c.data, nil
	}
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	c.key, c.data = k, data
	return data, nil
}

// encode is json.Marshal(j) with the inventories taken from the cache and
// appended as they are (json.Marshal would scan raw bytes again, which
// costs more than encoding them): the self-contained, format-1 journal of
// run.json and manifest.json. The outer fields hide the embedded ones of
// the same name (encoding/json's depth rule) and are set here, so the rest
// marshals without them; the bytes decode to the same Journal.
func (j *Journal) encode() ([]byte, error) { return j.encodeWith("") }

// encodeSplit is the open journal's encoding: each large inventory is
// written once into a file of its own in dir (journal_inventory.go) and
// named, not carried.
func (j *Journal) encodeSplit(dir string) ([]byte, error) { return j.encodeWith(dir) }

func (j *Journal) encodeWith(dir string) ([]byte, error) {
	type plain Journal // no methods: no recursion
	wire := struct {
		*plain
		Format   int           `json:"format"`
		Files    *struct{}     `json:"files,omitempty"`
		After    *struct{}     `json:"after,omitempty"`
		FilesRef *inventoryRef `json:"files_ref,omitempty"`
		AfterRef *inventoryRef `json:"after_ref,omitempty"`
	}{plain: (*plain)(j), Format: journalFormatInline}
	if dir != "" {
		var err error
		if wire.FilesRef, err = j.side.files.refFor(dir, "files", &j.Files, &j.cache.files); err != nil {
			return nil, err
		}
		if j.After != nil {
			if wire.AfterRef, err = j.side.after.refFor(dir, "after", j.After, &j.cache.after); err != nil {
				return nil, err
			}
		}
		if wire.FilesRef != nil || wire.AfterRef != nil {
			wire.Format = journalFormatSplit
		}
	}
	rest, err := json.Marshal(wire)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(rest)+64)
	out = append(out, rest[:len(rest)-1]...) // without its closing brace; it has "format" at least
	if wire.FilesRef == nil {
		files, err := j.cache.files.encode(&j.Files)
		if err != nil {
			return nil, err
		}
		out = append(out, `,"files":`...)
		out = append(out, files...)
	}
	if j.After != nil && wire.AfterRef == nil {
		after, err := j.cache.after.encode(j.After)
		if err != nil {
			return nil, err
		}
		out = append(out, `,"after":`...)
		out = append(out, after...)
	}
	return append(out, '}'), nil
}
