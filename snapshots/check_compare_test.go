package snapshots

import (
	"reflect"
	"testing"
)

func mustParse(t *testing.T, s string) *Snapshot {
	t.Helper()
	snap, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func TestDiff(t *testing.T) {
	base := `{"table":"posts","hash":"AAA","repo":"Elixir.Blog.Repo","identities":[],"attributes":[
	  {"source":"id","type":"uuid","allow_nil?":false,"primary_key?":true},
	  {"source":"title","type":"text","allow_nil?":true}]}`
	sameButHash := `{"table":"posts","hash":"BBB","repo":"Elixir.Blog.Repo","identities":[],"attributes":[
	  {"source":"id","type":"uuid","allow_nil?":false,"primary_key?":true},
	  {"source":"title","type":"text","allow_nil?":true}]}`
	changed := `{"table":"posts","hash":"AAA","repo":"Elixir.Blog.Repo","identities":[{"name":"x"}],"attributes":[
	  {"source":"id","type":"uuid","allow_nil?":false,"primary_key?":true},
	  {"source":"title","type":"text","allow_nil?":false},
	  {"source":"body","type":"text","allow_nil?":true}]}`
	reordered := `{"table":"posts","hash":"AAA","repo":"Elixir.Blog.Repo","identities":[],"attributes":[
	  {"source":"title","type":"text","allow_nil?":true},
	  {"source":"id","type":"uuid","allow_nil?":false,"primary_key?":true}]}`
	a := mustParse(t, base)
	if d := Diff(a, mustParse(t, sameButHash)); len(d) != 0 {
		t.Errorf("only the hash differs, want no differences: %q", d)
	}
	want := []string{"identities differs", "attribute title: allow_nil? true → false", "attribute body only in the second"}
	if d := Diff(a, mustParse(t, changed)); !reflect.DeepEqual(d, want) {
		t.Errorf("Diff = %q, want %q", d, want)
	}
	if d := Diff(a, mustParse(t, reordered)); !reflect.DeepEqual(d, []string{"attribute order differs"}) {
		t.Errorf("reordered: %q", d)
	}
}

func TestClassify(t *testing.T) {
	f, ok := Classify("tenants/notes/20240101000000_dev.json")
	if !ok || !f.Tenant || !f.Dev || f.Table != "notes" || f.Key() != "tenants/notes" {
		t.Errorf("Classify tenant dev = %+v %v", f, ok)
	}
	if _, ok := Classify("posts/notes.txt"); ok {
		t.Error("a stray was classified")
	}
}
