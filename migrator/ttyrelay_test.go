package migrator

import (
	"bytes"
	"sync"
	"testing"
)

// A prompt (a line without its newline) is shown while the relay is on,
// in the gutter; what follows keeps the gutter whether the user's Enter
// ended the line (the terminal echoed it) or other output must start on a
// line of its own; a driver's sync line after it is not shown and ends
// the line before regen reports.
func TestLineWriterShowsAPromptWhileRelaying(t *testing.T) {
	relay := &TTYRelay{}
	relay.on.Store(true)
	newPair := func() (*bytes.Buffer, *lineWriter, *lineWriter, *[]string) {
		var out bytes.Buffer
		var mu sync.Mutex
		term := &termLine{relay: relay}
		synced := &[]string{}
		o, e := newLineWriter(&out, "  │ ", &mu, term), newLineWriter(&out, "  │ ", &mu, term)
		o.sync = &syncLine{marker: []byte("\x00sync "), on: func(tok string) { *synced = append(*synced, tok) }}
		return &out, o, e, synced
	}

	out, o, _, _ := newPair()
	o.Write([]byte("Compiling\nRename? [Yn] "))
	o.showPartial() // the idle timer's work, without waiting for it
	if got := out.String(); got != "  │ Compiling\n  │ Rename? [Yn] " {
		t.Fatalf("shown %q", got)
	}
	relay.echoed.Add(1) // the user typed y and Enter
	o.Write([]byte("\n* creating m.exs\n"))
	o.Flush()
	if got := out.String(); got != "  │ Compiling\n  │ Rename? [Yn] "+"  │ * creating m.exs\n" {
		t.Fatalf("after the answer %q", got)
	}

	out, o, e, _ := newPair()
	o.Write([]byte("Rename? [Yn] "))
	o.showPartial()
	e.Write([]byte("warning: x\n")) // no answer yet: a line of its own
	if got := out.String(); got != "  │ Rename? [Yn] \n  │ warning: x\n" {
		t.Fatalf("other output after an open prompt %q", got)
	}

	out, o, _, synced := newPair()
	o.Write([]byte("Rename? [Yn] "))
	o.showPartial()
	o.Write([]byte("\x00sync 3\n"))
	if got := out.String(); got != "  │ Rename? [Yn] \n" || len(*synced) != 1 || (*synced)[0] != "3" {
		t.Fatalf("a sync line after an open prompt: %q %v", got, *synced)
	}

	// Relay off: a partial line waits for its newline, as before.
	relay.on.Store(false)
	out, o, _, _ = newPair()
	o.Write([]byte("Rename? [Yn] "))
	o.showPartial()
	o.Write([]byte("* creating m.exs\n"))
	if got := out.String(); got != "  │ Rename? [Yn] * creating m.exs\n" {
		t.Fatalf("without the relay %q", got)
	}
}
