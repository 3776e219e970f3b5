// Package cmdutil holds what the commands share: the factory that builds the
// engine, and the one place where errors become exit codes.
package cmdutil

import (
	"os"
	"time"

	"github.com/regen-tool/regen/cmd/regen/iostreams"
	"github.com/regen-tool/regen/regen"
)

// Version is set at build time with -ldflags "-X .../cmdutil.Version=…".
var Version = "dev"

// Factory gives commands their dependencies.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Getenv    func(string) string
	Dir       func() (string, error)
	Now       func() time.Time
}

// Engine opens the engine for the current folder.
func (f *Factory) Engine(configFile string, timeout time.Duration) (*regen.Engine, error) {
	return f.EngineWith(configFile, timeout, false)
}

// EngineWith also sets whether other PostgreSQL sessions may be ended.
func (f *Factory) EngineWith(configFile string, timeout time.Duration, terminate bool) (*regen.Engine, error) {
	dir, err := f.Dir()
	if err != nil {
		return nil, err
	}
	ios := f.IOStreams
	return regen.Open(regen.Options{
		Dir:        dir,
		ConfigFile: configFile,
		Getenv:     f.Getenv,
		Reporter:   &regen.TextReporter{W: ios.ErrOut, Color: ios.ColorEnabled()},
		ChildOut:   ios.ErrOut,
		Timeout:    timeout,
		Now:        f.Now,

		TerminateConnections: terminate,
	})
}

// New returns the production factory.
func New(ios *iostreams.IOStreams) *Factory {
	return &Factory{IOStreams: ios, Getenv: os.Getenv, Dir: os.Getwd, Now: time.Now}
}
