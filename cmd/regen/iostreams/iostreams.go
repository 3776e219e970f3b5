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
	return FromFiles(os.Stdin, os.Stdout, os.Stderr, getenv)
}

// FromFiles returns streams on the given files, deciding colour and prompts
// from whether they are terminals and from the environment.
func FromFiles(in, out, errOut *os.File, getenv func(string) string) *IOStreams {
	return &IOStreams{
		In: in, Out: out, ErrOut: errOut,
		stdinTTY:  isTerminal(in),
		stderrTTY: isTerminal(errOut),
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

// Terminal is stdin when it is a terminal (codegen's questions are
// relayed to it), else nil.
func (s *IOStreams) Terminal() *os.File {
	if f, ok := s.In.(*os.File); ok && s.stdinTTY {
		return f
	}
	return nil
}

// isTerminal asks the terminal driver (see tty_*.go): /dev/null is a
// character device too, and `regen … < /dev/null` must never prompt.
func isTerminal(f *os.File) bool { return f != nil && isTTY(f) }
