// Package cmdtest runs one command of the tree in-process for its unit
// tests: a Factory on iostreams.Test buffers whose engine is the real one,
// opened on a real project, with the options each command asked for kept.
// Only tests import it.
package cmdtest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/cmd/regen/iostreams"
	"github.com/regen-tool/regen/regen"
	"github.com/spf13/cobra"
)

// Env is a command's world: its streams and the engines it opened.
type Env struct {
	F      *cmdutil.Factory
	In     *bytes.Buffer
	Out    *bytes.Buffer
	ErrOut *bytes.Buffer
	Opened []regen.Options // every regen.Open the command made, in order
}

// New builds the factory for dir; getenv nil means an empty environment.
func New(t testing.TB, dir string, getenv func(string) string) *Env {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	e := &Env{In: in, Out: out, ErrOut: errOut}
	e.F = &cmdutil.Factory{
		IOStreams: ios, Getenv: getenv, Now: time.Now,
		Dir: func() (string, error) { return dir, nil },
		OpenEngine: func(o regen.Options) (*regen.Engine, error) {
			e.Opened = append(e.Opened, o)
			return regen.Open(o)
		},
	}
	return e
}

// Exec runs cmd with args and returns the exit code the process would
// have (cli.Run maps errors the same way).
func (e *Env) Exec(cmd *cobra.Command, args ...string) int {
	cmd.SetArgs(args)
	cmd.SetIn(e.F.IOStreams.In)
	cmd.SetOut(e.F.IOStreams.Out)
	cmd.SetErr(e.F.IOStreams.ErrOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		e.ErrOut.WriteString("regen: " + err.Error() + "\n")
	}
	var usage *cmdutil.UsageError
	if errors.As(err, &usage) {
		return cmdutil.ExitUsage
	}
	return cmdutil.ExitCode(err)
}

// ConfigFile is the --config the last opened engine was given ("" none).
func (e *Env) ConfigFile(t testing.TB) string {
	t.Helper()
	if len(e.Opened) == 0 {
		t.Fatal("the command opened no engine")
	}
	return e.Opened[len(e.Opened)-1].ConfigFile
}

// Captured records what a command's runF received, and stops the run.
type Captured[T any] struct {
	Opts *T
	N    int
}

// RunF is the runF that keeps the parsed options instead of running.
func (c *Captured[T]) RunF(_ context.Context, o *T) error {
	c.Opts = o
	c.N++
	return nil
}
