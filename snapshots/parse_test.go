package snapshots

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every snapshot the real generators wrote must parse and name its table
// (and, for the tenant fixture, its folder's table).
func TestParseEveryFixtureSnapshot(t *testing.T) {
	dir := fixturesDir(t)
	var n int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.Contains(filepath.ToSlash(p), "/resource_snapshots/") ||
			filepath.Base(p) == "extensions.json" || filepath.Ext(p) != ".json" {
			return nil
		}
		n++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if folder := filepath.Base(filepath.Dir(p)); s.Table != folder {
			t.Errorf("%s: table %q, folder %q", p, s.Table, folder)
		}
		if !strings.HasPrefix(s.Repo, "Elixir.") || len(s.Hash) != 64 || len(s.Attributes) == 0 {
			t.Errorf("%s: repo %q hash %q attributes %d", p, s.Repo, s.Hash, len(s.Attributes))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 8 {
		t.Errorf("parsed %d fixture snapshots, expected at least 8", n)
	}
}

func TestParseFixtureDetails(t *testing.T) {
	root := snapshotRoot(t, "ash_postgres")
	data, err := os.ReadFile(filepath.Join(root, "comments", "20261121235330.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if s.Table != "comments" || s.Repo != "Elixir.AppPostgres.Repo" || s.Schema != nil {
		t.Errorf("snapshot header = %q %q %v", s.Table, s.Repo, s.Schema)
	}
	var fk *Attribute
	for i := range s.Attributes {
		if s.Attributes[i].Source == "post_id" {
			fk = &s.Attributes[i]
		}
	}
	if fk == nil || fk.References == nil {
		t.Fatalf("post_id reference missing: %+v", s.Attributes)
	}
	r := fk.References
	if r.Table != "posts" || r.DestinationAttribute != "id" || r.Name != "comments_post_id_fkey" || r.OnDelete != nil {
		t.Errorf("reference = %+v", r)
	}
	if fk.Type != "uuid" || fk.AllowNil || fk.PrimaryKey || fk.Default != "nil" {
		t.Errorf("post_id = %+v", fk)
	}
	if _, ok := s.Raw["check_constraints"]; !ok {
		t.Error("Raw must keep fields Parse does not lift out")
	}

	data, err = os.ReadFile(filepath.Join(snapshotRoot(t, "ash_postgres_tenants"), "tenants", "notes", "20261122000924.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s, err = Parse(data); err != nil {
		t.Fatal(err)
	}
	if id := s.Attributes[0]; !id.PrimaryKey || id.Default != `fragment("gen_random_uuid()")` {
		t.Errorf("notes id = %+v", id)
	}
}

func TestParseTypesAndNumbers(t *testing.T) {
	s, err := Parse([]byte(`{"table":"t","schema":"app","attributes":[
		{"source":"tags","type":["array","text"],"size":255,"allow_nil?":true},
		{"source":"n","type":"bigint","default":"0","generated?":true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Schema == nil || *s.Schema != "app" {
		t.Errorf("schema = %v", s.Schema)
	}
	if a := s.Attributes[0]; a.Type != `["array","text"]` || a.Size != json.Number("255") || !a.AllowNil {
		t.Errorf("array attribute = %+v", a)
	}
	if a := s.Attributes[1]; !a.Generated || a.Default != "0" {
		t.Errorf("generated attribute = %+v", a)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "not valid JSON"},
		{`{"table":`, "not valid JSON"},
		{`<html>`, "not valid JSON"},
		{`{"table":"t","attributes":[]} {}`, "data after"},
		{`[]`, "top level is a list"},
		{`"posts"`, "top level is a string"},
		{`{"attributes":[]}`, `no "table"`},
		{`{"table":null,"attributes":[]}`, `"table" is null`},
		{`{"table":3,"attributes":[]}`, `"table" is a number`},
		{`{"table":"","attributes":[]}`, `"table" is empty`},
		{`{"table":"t"}`, `no "attributes"`},
		{`{"table":"t","attributes":{}}`, `"attributes" is an object, want a list`},
		{`{"table":"t","attributes":[1]}`, "attribute 1: is a number"},
		{`{"table":"t","attributes":[{"type":"text"}]}`, `attribute 1: no "source"`},
		{`{"table":"t","attributes":[{"source":"a","type":"text"},{"source":"b"}]}`, `attribute 2: "b": no "type"`},
		{`{"table":"t","attributes":[{"source":"a","type":1}]}`, `"type" is a number`},
		{`{"table":"t","attributes":[{"source":"id","type":""}]}`, `"id": "type" is empty`},
		{`{"table":"t","attributes":[{"source":"a","type":"text","allow_nil?":"yes"}]}`, `"allow_nil?" is a string`},
		{`{"table":"t","attributes":[{"source":"a","type":"text","references":"posts"}]}`, `"references" is a string`},
		{`{"table":"t","attributes":[{"source":"a","type":"text","references":{"table":1}}]}`, `references: "table" is a number`},
		{`{"table":"t","schema":1,"attributes":[]}`, `"schema" is a number`},
		{`{"table":"t","repo":false,"attributes":[]}`, `"repo" is a boolean`},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want it to mention %q", tc.in, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"table":"posts","attributes":[{"source":"id","type":"uuid","primary_key?":true}]}`))
	f.Add([]byte(`{"table":"t","schema":null,"attributes":[{"source":"a","type":["array","text"],"references":{"table":"p"}}]}`))
	f.Add([]byte(`{"table":"t","attributes":[]} x`))
	f.Add([]byte(`[1,2,3]`))
	f.Add([]byte(`{"table":"","attributes":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if s != nil {
				t.Fatal("snapshot returned with an error")
			}
			return
		}
		if s.Table == "" || s.Raw == nil || s.Attributes == nil {
			t.Fatalf("accepted snapshot without table or attributes: %+v", s)
		}
		for _, a := range s.Attributes {
			if a.Source == "" || a.Type == "" {
				t.Fatalf("accepted attribute without source or type: %+v", a)
			}
		}
	})
}
