package render

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestReporterLines(t *testing.T) {
	var b bytes.Buffer
	r := &Reporter{W: &b}
	r.StepStart("backup", "files and database")
	r.StepEnd("backup", 1500*time.Microsecond, nil)
	r.StepEnd("codegen", 2*time.Second, errors.New("x"))
	r.Note("kept %s\n", "a")
	r.Warn("careful")
	want := "▸ backup     files and database\n✓ backup     1ms\n✗ codegen    2.00s\n  kept a\n! careful\n"
	if b.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	(&Reporter{W: &b, Color: true}).Warn("c")
	if b.String() != "\x1b[33m!\x1b[0m c\n" {
		t.Fatalf("colour: %q", b.String())
	}
	if Duration(300*time.Microsecond) != "300µs" {
		t.Fatal(Duration(300 * time.Microsecond))
	}
}
