package snapshots

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Attribute is one column of a resource snapshot. Only the fields the checks
// compare are lifted out; everything else stays in Snapshot.Raw.
type Attribute struct {
	Source string
	// Type is the JSON string ("uuid", "text"); composite types such as
	// AshPostgres arrays (["array","text"]) are kept as their compact JSON so
	// two snapshots still compare equal exactly when the types are equal.
	Type       string
	AllowNil   bool
	PrimaryKey bool
	Default    any // usually an Elixir expression as a string ("nil", "fragment(...)")
	References *Reference
	Size       any
	Generated  bool
}

// Reference is an attribute's foreign key.
type Reference struct {
	Table, DestinationAttribute, Name string
	OnDelete, OnUpdate                any
}

// Snapshot is one parsed snapshot file.
type Snapshot struct {
	Table      string
	Repo       string  // "Elixir.App.Repo"
	Schema     *string // AshPostgres only; nil when absent or null
	Attributes []Attribute
	// Hash is opaque: Ash computes it from an Elixir inspect of an in-memory
	// term, so it is neither reproducible here nor an integrity check.
	// Compare snapshots field by field.
	Hash string
	// Raw is the whole document; numbers are json.Number so nothing is lost.
	Raw map[string]any
}

// Parse decodes one snapshot file. Its errors say what is wrong with the
// document, for the check that every snapshot parses and names its table.
func Parse(data []byte) (*Snapshot, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not valid JSON: data after the top-level object")
	}
	raw, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top level is %s, want an object", jsonKind(doc))
	}

	s := &Snapshot{Raw: raw}
	var err error
	if s.Table, err = requiredString(raw, "table"); err != nil {
		return nil, err
	}
	if s.Repo, err = optionalString(raw, "repo"); err != nil {
		return nil, err
	}
	if s.Hash, err = optionalString(raw, "hash"); err != nil {
		return nil, err
	}
	switch v := raw["schema"].(type) {
	case nil:
	case string:
		s.Schema = &v
	default:
		return nil, fmt.Errorf(`"schema" is %s, want a string or null`, jsonKind(v))
	}

	attrs, present := raw["attributes"]
	if !present {
		return nil, errors.New(`no "attributes"`)
	}
	list, ok := attrs.([]any)
	if !ok {
		return nil, fmt.Errorf(`"attributes" is %s, want a list`, jsonKind(attrs))
	}
	s.Attributes = make([]Attribute, 0, len(list))
	for i, item := range list {
		a, err := parseAttribute(item)
		if err != nil {
			return nil, fmt.Errorf("attribute %d: %w", i+1, err)
		}
		s.Attributes = append(s.Attributes, a)
	}
	return s, nil
}

func parseAttribute(item any) (Attribute, error) {
	m, ok := item.(map[string]any)
	if !ok {
		return Attribute{}, fmt.Errorf("is %s, want an object", jsonKind(item))
	}
	var a Attribute
	var err error
	if a.Source, err = requiredString(m, "source"); err != nil {
		return a, err
	}
	if a.Type, err = typeString(m["type"]); err != nil {
		return a, fmt.Errorf("%q: %w", a.Source, err)
	}
	flags := []struct {
		key string
		dst *bool
	}{{"allow_nil?", &a.AllowNil}, {"primary_key?", &a.PrimaryKey}, {"generated?", &a.Generated}}
	for _, f := range flags {
		switch v := m[f.key].(type) {
		case nil:
		case bool:
			*f.dst = v
		default:
			return a, fmt.Errorf("%q: %q is %s, want true or false", a.Source, f.key, jsonKind(v))
		}
	}
	a.Default = m["default"]
	a.Size = m["size"]
	switch v := m["references"].(type) {
	case nil:
	case map[string]any:
		r := &Reference{OnDelete: v["on_delete"], OnUpdate: v["on_update"]}
		if r.Table, err = optionalString(v, "table"); err != nil {
			return a, fmt.Errorf("%q references: %w", a.Source, err)
		}
		if r.DestinationAttribute, err = optionalString(v, "destination_attribute"); err != nil {
			return a, fmt.Errorf("%q references: %w", a.Source, err)
		}
		if r.Name, err = optionalString(v, "name"); err != nil {
			return a, fmt.Errorf("%q references: %w", a.Source, err)
		}
		a.References = r
	default:
		return a, fmt.Errorf("%q: \"references\" is %s, want an object or null", a.Source, jsonKind(v))
	}
	return a, nil
}

// typeString renders an attribute type: strings as they are, composite
// types as compact JSON (deterministic: arrays keep order, json sorts keys).
func typeString(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", errors.New(`no "type"`)
	case string:
		if t == "" {
			return "", errors.New(`"type" is empty`)
		}
		return t, nil
	case []any, map[string]any:
		b, err := json.Marshal(t)
		if err != nil {
			return "", fmt.Errorf(`"type": %w`, err)
		}
		return string(b), nil
	default:
		return "", fmt.Errorf(`"type" is %s, want a string or a list`, jsonKind(v))
	}
}

func requiredString(m map[string]any, key string) (string, error) {
	v, present := m[key]
	if !present {
		return "", fmt.Errorf("no %q", key)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%q is %s, want a string", key, jsonKind(v))
	}
	if s == "" {
		return "", fmt.Errorf("%q is empty", key)
	}
	return s, nil
}

func optionalString(m map[string]any, key string) (string, error) {
	switch v := m[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", fmt.Errorf("%q is %s, want a string", key, jsonKind(v))
	}
}

// jsonKind names a decoded JSON value's kind for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
