package main

// AshSqlite resource snapshots: building them from resources, the JSON
// layout (keys sorted, 2-space indent, no trailing newline) and finding the
// latest one per table.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Field order = JSON key order; they are declared alphabetically because
// Jason encodes the snapshot maps with sorted keys.
type snapshot struct {
	Attributes       []snapAttr   `json:"attributes"`
	BaseFilter       any          `json:"base_filter"`
	CustomIndexes    []any        `json:"custom_indexes"`
	CustomStatements []any        `json:"custom_statements"`
	HasCreateAction  bool         `json:"has_create_action"`
	Hash             string       `json:"hash"`
	Identities       []any        `json:"identities"`
	Multitenancy     multitenancy `json:"multitenancy"`
	Repo             string       `json:"repo"`
	Strict           bool         `json:"strict?"`
	Table            string       `json:"table"`
}

type multitenancy struct {
	Attribute any `json:"attribute"`
	Global    any `json:"global"`
	Strategy  any `json:"strategy"`
}

type snapAttr struct {
	AllowNil   bool     `json:"allow_nil?"`
	Default    string   `json:"default"`
	Generated  bool     `json:"generated?"`
	PrimaryKey bool     `json:"primary_key?"`
	References *snapRef `json:"references"`
	Size       *int     `json:"size"`
	Source     string   `json:"source"`
	Type       string   `json:"type"`
}

type snapRef struct {
	Deferrable                    bool         `json:"deferrable"`
	DestinationAttribute          string       `json:"destination_attribute"`
	DestinationAttributeDefault   any          `json:"destination_attribute_default"`
	DestinationAttributeGenerated any          `json:"destination_attribute_generated"`
	Multitenancy                  multitenancy `json:"multitenancy"`
	Name                          string       `json:"name"`
	OnDelete                      any          `json:"on_delete"`
	OnUpdate                      any          `json:"on_update"`
	PrimaryKey                    bool         `json:"primary_key?"`
	Table                         string       `json:"table"`
}

// buildSnapshots turns resources into snapshots keyed by repo then table.
func buildSnapshots(res []*resource) (map[string]map[string]*snapshot, error) {
	byModule := map[string]*resource{}
	for _, r := range res {
		byModule[r.module] = r
	}
	out := map[string]map[string]*snapshot{}
	for _, r := range res {
		s := &snapshot{
			CustomIndexes: []any{}, CustomStatements: []any{}, Identities: []any{},
			HasCreateAction: true, Repo: "Elixir." + r.repo, Table: r.table,
		}
		for _, a := range r.attrs {
			d := "nil"
			if a.dflt != "" {
				d = a.dflt
			}
			s.Attributes = append(s.Attributes, snapAttr{
				AllowNil: a.allowNil, Default: d, Generated: a.generated,
				PrimaryKey: a.pk, Source: a.name, Type: a.ashType,
			})
		}
		for _, b := range r.belong {
			ref, err := resolveBelongsTo(byModule, r, b, "AshSqlite")
			if err != nil {
				return nil, err
			}
			s.Attributes = append(s.Attributes, snapAttr{
				AllowNil: b.allowNil, Default: "nil", Source: ref.src, Type: ref.typ,
				References: &snapRef{
					DestinationAttribute: ref.pk.name,
					Name:                 ref.name,
					PrimaryKey:           true,
					Table:                ref.dest.table,
				},
			})
		}
		s.Hash = snapshotHash(s)
		if out[r.repo] == nil {
			out[r.repo] = map[string]*snapshot{}
		}
		if _, dup := out[r.repo][r.table]; dup {
			return nil, &compileError{r.file, 1, fmt.Sprintf("mixsim: two resources use table %q", r.table)}
		}
		out[r.repo][r.table] = s
	}
	return out, nil
}

// belongsToRef is a belongs_to resolved against its destination resource.
type belongsToRef struct {
	dest *resource
	pk   *attribute // the destination's primary key
	src  string     // the source column
	typ  string     // the source column's Ash type
	name string     // the foreign key constraint
}

// resolveBelongsTo finds b's destination among the data layer's resources
// (layer names it in the error) and the column it adds to r.
func resolveBelongsTo(byModule map[string]*resource, r *resource, b belongsTo, layer string) (belongsToRef, error) {
	dest, ok := byModule[b.dest]
	if !ok {
		return belongsToRef{}, &compileError{r.file, 1, fmt.Sprintf("mixsim: belongs_to %s: %s is not an %s resource under lib/", b.name, b.dest, layer)}
	}
	var pk *attribute
	for i := range dest.attrs {
		if dest.attrs[i].pk {
			pk = &dest.attrs[i]
			break
		}
	}
	if pk == nil {
		return belongsToRef{}, &compileError{dest.file, 1, "mixsim: destination resource has no primary key"}
	}
	typ := pk.ashType
	if b.attrType != "" {
		typ = b.attrType
	}
	src := b.name + "_id"
	return belongsToRef{dest: dest, pk: pk, src: src, typ: typ, name: r.table + "_" + src + "_fkey"}, nil
}

// snapshotHash is an uppercase sha256 of the snapshot without its hash: an
// opaque but stable stand-in for Ash's hash of an inspected term.
func snapshotHash(s *snapshot) string {
	c := *s
	c.Hash = ""
	return jsonHash(&c)
}

// jsonHash is the uppercase hex sha256 of v's compact JSON.
func jsonHash(v any) string {
	data, _ := json.Marshal(v)
	sum := sha256.Sum256(data)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func encodeSnapshot(s *snapshot) string { return snapshotJSON(s) }

// snapshotJSON is Jason's pretty layout: 2-space indent, no HTML escaping,
// no trailing newline.
func snapshotJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return strings.TrimSuffix(buf.String(), "\n")
}

// sameSnapshot compares the parts that drive migrations (not the hash).
func sameSnapshot(a, b *snapshot) bool {
	x, y := *a, *b
	x.Hash, y.Hash = "", ""
	return sameJSON(&x, &y)
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// latestSnapshotFile is the snapshot Ash's generator diffs against: among
// the file names <14 digits>.json (and <14 digits>_dev.json unless skipDev:
// with --dev, as the generators do), the plain-string maximum, i.e. the
// newest timestamp. The migrations play no part: after `git merge main` the
// newest snapshot of a shared table is main's even when the branch's
// migration is the one applied last. Any other name in the folder
// (`notes.json`, a 13-digit name, `<ts>.json.bak`) is not a snapshot.
func latestSnapshotFile(dir string, skipDev bool) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return "", nil
		}
		return "", err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && isSnapshotName(n, !skipDev) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	sort.Strings(names)
	return filepath.Join(dir, names[len(names)-1]), nil
}

// isSnapshotName: ^\d{14}\.json$, or ^\d{14}_dev\.json$ when dev counts.
func isSnapshotName(name string, dev bool) bool {
	ts, ok := strings.CutSuffix(name, ".json")
	if !ok {
		return false
	}
	if t, isDev := strings.CutSuffix(ts, "_dev"); isDev {
		if !dev {
			return false
		}
		ts = t
	}
	if len(ts) != 14 {
		return false
	}
	for _, c := range ts {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// readLatest reads dir's latest snapshot (see latestSnapshotFile) with
// read; nil when there is none.
func readLatest[S any](dir string, skipDev bool, read func(string) (*S, error)) (*S, error) {
	latest, err := latestSnapshotFile(dir, skipDev)
	if err != nil || latest == "" {
		return nil, err
	}
	return read(latest)
}

func readSnapshot(path string) (*snapshot, error) {
	var s snapshot
	if err := readJSON(path, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// readJSON decodes the file at path into v; a decoding error names the file.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// snapshotTables lists the table folders of a repo's snapshot dir.
func snapshotTables(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range entries {
		// tenants/ belongs to AshPostgres multitenancy, not to us.
		if e.IsDir() && e.Name() != "tenants" {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}
