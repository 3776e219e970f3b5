// Package iostreams carries the terminal streams through the commands, so
// tests can swap them for buffers.
package iostreams

import (
	"bytes"
	"io"
	"os"
)

type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stderrTTY bool
	noColor   bool
}

// System returns the process's streams.
func System(getenv func(string) string) *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stderrTTY: isTerminal(os.Stderr),
		noColor:   getenv("NO_COLOR") != "" || getenv("TERM") == "dumb",
	}
}

// Test returns streams backed by buffers.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// ColorEnabled: colour only on a terminal, and never with NO_COLOR.
func (s *IOStreams) ColorEnabled() bool { return s.stderrTTY && !s.noColor }

// CanPrompt: only when a person is at the keyboard.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
