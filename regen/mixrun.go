package regen

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/regen-tool/regen/migrator"
)

// mixCall is one mix command (or a configured command in its place) that
// regen starts. Every one goes through Engine.mix.
type mixCall struct {
	Argv []string
	Dir  string
	// Capture takes the output instead of the terminal (regen reads it).
	Capture io.Writer
	// Timeout replaces the engine's --timeout when set.
	Timeout time.Duration
	// Unrecorded: not journaled as a child of the open run (the repo query
	// asks before a run and changes nothing).
	Unrecorded bool
	// Ask: the command runs codegen, whose questions reach the user's
	// terminal (the run's relay, when it has one); every other command
	// reads end of input.
	Ask bool
}

// mix runs a command the one way: in a process group of its own, signals
// forwarded with their grace, the timeout, git's variables kept out of the
// environment, the child recorded in the open run's journal (so a later
// regen stops what outlived a crash), and the output to the terminal or
// captured.
func (e *Engine) mix(ctx context.Context, c mixCall) (migrator.Result, error) {
	r := *e.runner
	if c.Capture != nil {
		r.Stdout, r.Stderr, r.Indent = c.Capture, c.Capture, ""
	}
	if c.Timeout != 0 {
		r.Timeout = c.Timeout
	}
	cmd := migrator.Command{Argv: c.Argv, Dir: c.Dir}
	if !c.Unrecorded {
		cmd = e.journaledCommand(c.Argv, c.Dir)
	}
	if c.Ask && c.Capture == nil {
		cmd.Input = e.relay
	}
	return r.Run(ctx, cmd)
}

// mixFailure is the message of a command that exited non-zero: the end of
// its output, without the repo query's lines (they may hold a password).
func mixFailure(argv []string, code int, output string, n int) string {
	msg := fmt.Sprintf("`%s` exited with status %d", strings.Join(argv, " "), code)
	if s := strings.TrimSpace(withoutRepoLines(output)); s != "" {
		msg += ":\n" + indent(tail(s, n))
	}
	return msg
}
