package iostreams

import (
	"os"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// openPTY returns the terminal end of a new pseudo-terminal.
func openPTY(t *testing.T) *os.File { return regentest.OpenPTY(t).TTY }

func env(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

// README "Flags of `regen NAME`": "Colour only on a terminal, never with
// NO_COLOR" (nor TERM=dumb); and regen prompts only when a person is at a
// terminal: /dev/null, though a character device, is not one.
func TestREADMEColourOnlyOnATerminalNeverWithNO_COLOR(t *testing.T) {
	tty := openPTY(t)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, c := range []struct {
		name          string
		in, errOut    *os.File
		getenv        func(string) string
		color, prompt bool
	}{
		{"terminal", tty, tty, env(), true, true},
		{"terminal, NO_COLOR=1", tty, tty, env("NO_COLOR", "1"), false, true},
		{"terminal, TERM=dumb", tty, tty, env("TERM", "dumb"), false, true},
		{"stderr to a pipe", tty, w, env(), false, false},
		{"stderr to /dev/null", tty, devnull, env(), false, false},
		{"stdin from /dev/null", devnull, tty, env(), true, false},
	} {
		ios := FromFiles(c.in, w, c.errOut, c.getenv)
		if ios.ColorEnabled() != c.color || ios.CanPrompt() != c.prompt {
			t.Errorf("%s: colour %v (want %v), prompt %v (want %v)", c.name, ios.ColorEnabled(), c.color, ios.CanPrompt(), c.prompt)
		}
	}
	if ios, _, _, _ := Test(); ios.ColorEnabled() || ios.CanPrompt() {
		t.Error("test buffers are no terminal")
	}
}
