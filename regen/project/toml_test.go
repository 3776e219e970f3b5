package project

import (
	"strings"
	"testing"
)

func TestTOMLMultilineArrays(t *testing.T) {
	doc, err := parseTOML("a = [\n  \"x\", # one\n  \"y]\",\n  'z['\n]\nb = 1\n")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := doc.root["a"].([]any)
	if len(got) != 3 || got[1] != "y]" || got[2] != "z[" || doc.root["b"] != int64(1) {
		t.Fatalf("%#v", doc.root)
	}
	if _, err := parseTOML("a = [\n1,\n"); err == nil {
		t.Fatal("an unterminated array must be an error")
	}
}

// The fuzzer found that an unterminated multi-line array took quadratic
// time (32 s for 20,000 lines). A test, not a timing: it must finish
// within the package's test timeout by a wide margin, and it did not.
func TestTOMLUnterminatedArrayIsLinear(t *testing.T) {
	if _, err := parseTOML("a = [" + strings.Repeat("\n1,", 200000)); err == nil {
		t.Fatal("an unterminated array must be an error")
	}
}
