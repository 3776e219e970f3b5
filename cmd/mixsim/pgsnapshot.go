package main

// AshPostgres resource snapshots: the JSON shape of
// fixtures/ash_postgres/priv/resource_snapshots (keys sorted, 2-space
// indent, no trailing newline), built from the same parsed resources.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Fields in alphabetical order = Jason's key order.
type pgSnapshot struct {
	Attributes         []pgSnapAttr `json:"attributes"`
	BaseFilter         any          `json:"base_filter"`
	CheckConstraints   []any        `json:"check_constraints"`
	CreateTableOptions any          `json:"create_table_options"`
	CustomIndexes      []any        `json:"custom_indexes"`
	CustomStatements   []any        `json:"custom_statements"`
	HasCreateAction    bool         `json:"has_create_action"`
	Hash               string       `json:"hash"`
	Identities         []any        `json:"identities"`
	Multitenancy       multitenancy `json:"multitenancy"`
	Repo               string       `json:"repo"`
	Schema             any          `json:"schema"`
	Table              string       `json:"table"`
}

type pgSnapAttr struct {
	AllowNil   bool       `json:"allow_nil?"`
	Default    string     `json:"default"`
	Generated  bool       `json:"generated?"`
	Precision  any        `json:"precision"`
	PrimaryKey bool       `json:"primary_key?"`
	References *pgSnapRef `json:"references"`
	Scale      any        `json:"scale"`
	Size       any        `json:"size"`
	Source     string     `json:"source"`
	Type       string     `json:"type"`
}

type pgSnapRef struct {
	Deferrable                    bool         `json:"deferrable"`
	DestinationAttribute          string       `json:"destination_attribute"`
	DestinationAttributeDefault   any          `json:"destination_attribute_default"`
	DestinationAttributeGenerated any          `json:"destination_attribute_generated"`
	Index                         bool         `json:"index?"`
	IndexWhere                    any          `json:"index_where"`
	MatchTenant                   bool         `json:"match_tenant?"`
	MatchType                     any          `json:"match_type"`
	MatchWith                     any          `json:"match_with"`
	Multitenancy                  multitenancy `json:"multitenancy"`
	Name                          string       `json:"name"`
	OnDelete                      any          `json:"on_delete"`
	OnUpdate                      any          `json:"on_update"`
	PrimaryKey                    bool         `json:"primary_key?"`
	Schema                        string       `json:"schema"`
	Table                         string       `json:"table"`
}

// AshPostgres's defaults for the generated columns (the fixture's text).
const (
	pgUUIDDefault = `fragment("gen_random_uuid()")`
	pgNowDefault  = `fragment("(now() AT TIME ZONE 'utc')")`
)

// pgSnapshotSet is one repo's wanted snapshots, public and tenant tables
// apart (they live in different folders and migrations).
type pgSnapshotSet struct {
	public, tenant map[string]*pgSnapshot
}

// buildPGSnapshots turns resources into snapshots keyed by repo.
func buildPGSnapshots(res []*resource) (map[string]*pgSnapshotSet, error) {
	byModule := map[string]*resource{}
	for _, r := range res {
		byModule[r.module] = r
	}
	out := map[string]*pgSnapshotSet{}
	for _, r := range res {
		s := &pgSnapshot{
			CheckConstraints: []any{}, CustomIndexes: []any{}, CustomStatements: []any{}, Identities: []any{},
			HasCreateAction: true, Repo: "Elixir." + r.repo, Table: r.table,
		}
		if r.tenant {
			s.Multitenancy = multitenancy{Global: false, Strategy: "context"}
		}
		for _, a := range r.attrs {
			d := "nil"
			switch {
			case a.dflt != "":
				d = a.dflt
			case a.pk && a.ashType == "uuid":
				d = pgUUIDDefault
			case a.ashType == "utc_datetime_usec" && (a.name == "inserted_at" || a.name == "updated_at" || !a.allowNil):
				d = pgNowDefault
			}
			s.Attributes = append(s.Attributes, pgSnapAttr{
				AllowNil: a.allowNil, Default: d, Generated: a.generated,
				PrimaryKey: a.pk, Source: a.name, Type: a.ashType,
			})
		}
		for _, b := range r.belong {
			ref, err := resolveBelongsTo(byModule, r, b, "AshPostgres")
			if err != nil {
				return nil, err
			}
			s.Attributes = append(s.Attributes, pgSnapAttr{
				AllowNil: b.allowNil, Default: "nil", Source: ref.src, Type: ref.typ,
				References: &pgSnapRef{
					DestinationAttribute: ref.pk.name,
					Name:                 ref.name,
					PrimaryKey:           true,
					Schema:               "public",
					Table:                ref.dest.table,
				},
			})
		}
		s.Hash = pgSnapshotHash(s)
		set := out[r.repo]
		if set == nil {
			set = &pgSnapshotSet{public: map[string]*pgSnapshot{}, tenant: map[string]*pgSnapshot{}}
			out[r.repo] = set
		}
		target := set.public
		if r.tenant {
			target = set.tenant
		}
		if _, dup := target[r.table]; dup {
			return nil, &compileError{r.file, 1, fmt.Sprintf("mixsim: two resources use table %q", r.table)}
		}
		target[r.table] = s
	}
	return out, nil
}

func pgSnapshotHash(s *pgSnapshot) string {
	c := *s
	c.Hash = ""
	return jsonHash(&c)
}

func encodePGSnapshot(s *pgSnapshot) string { return snapshotJSON(s) }

func readPGSnapshot(path string) (*pgSnapshot, error) {
	var s pgSnapshot
	if err := readJSON(path, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// samePGSnapshot compares everything but the hash.
func samePGSnapshot(a, b *pgSnapshot) bool {
	x, y := *a, *b
	x.Hash, y.Hash = "", ""
	return sameJSON(&x, &y)
}

// asGeneric converts to the SQLite snapshot type the shared migration
// helpers (ordering, column lines) work on.
func (s *pgSnapshot) asGeneric() *snapshot {
	g := &snapshot{Table: s.Table}
	for _, a := range s.Attributes {
		ga := snapAttr{AllowNil: a.AllowNil, Default: a.Default, Generated: a.Generated,
			PrimaryKey: a.PrimaryKey, Source: a.Source, Type: a.Type}
		if a.References != nil {
			ga.References = &snapRef{DestinationAttribute: a.References.DestinationAttribute,
				Name: a.References.Name, PrimaryKey: a.References.PrimaryKey, Table: a.References.Table}
		}
		g.Attributes = append(g.Attributes, ga)
	}
	return g
}

// extensionsJSON is priv/resource_snapshots/<repo>/extensions.json.
func extensionsJSON(installed []string) string {
	type ext struct {
		AshFunctionsVersion int      `json:"ash_functions_version,omitempty"`
		Installed           []string `json:"installed"`
	}
	e := ext{Installed: append([]string{}, installed...)}
	for _, x := range installed {
		if x == "ash-functions" {
			e.AshFunctionsVersion = 6
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	_ = enc.Encode(e)
	return strings.TrimSuffix(buf.String(), "\n")
}
