// Package cmdutil holds what the commands share: the factory that builds the
// engine, and the one place where errors become exit codes.
package cmdutil

import (
	"os"
	"time"

	"github.com/regen-tool/regen/cmd/regen/iostreams"
	"github.com/regen-tool/regen/cmd/regen/render"
	"github.com/regen-tool/regen/regen"
)

// Version is set at build time with -ldflags "-X .../cmdutil.Version=…"
// (scripts/release does); empty otherwise, and then `regen version` reads
// the module's build info (go install …@v1.2.3) or says "devel".
var Version = ""

// Factory gives commands their dependencies.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Getenv    func(string) string
	Dir       func() (string, error)
	Now       func() time.Time
	// OpenEngine is how every command gets its engine (regen.Open in
	// production); a command test supplies its own to see the options the
	// command built, or to open the engine on a project of its own.
	OpenEngine func(regen.Options) (*regen.Engine, error)
}

// Engine opens the engine for the current folder.
func (f *Factory) Engine(configFile string, timeout time.Duration) (*regen.Engine, error) {
	return f.EngineWith(configFile, timeout, false)
}

// EngineWith also sets whether other PostgreSQL sessions may be ended.
func (f *Factory) EngineWith(configFile string, timeout time.Duration, terminate bool) (*regen.Engine, error) {
	return f.EngineFor(EngineSettings{ConfigFile: configFile, Timeout: timeout, Terminate: terminate})
}

// EngineSettings are what a command asks of its engine.
type EngineSettings struct {
	ConfigFile string
	Timeout    time.Duration
	Terminate  bool // end other PostgreSQL sessions for a template backup
	Verbose    bool // list every item of long listings in the plan
}

// EngineFor opens the engine with the given settings; its reporter shows
// the plan through the one plan renderer.
func (f *Factory) EngineFor(s EngineSettings) (*regen.Engine, error) {
	dir, err := f.Dir()
	if err != nil {
		return nil, err
	}
	ios := f.IOStreams
	verbose := s.Verbose
	open := f.OpenEngine
	if open == nil {
		open = regen.Open
	}
	return open(regen.Options{
		Dir:        dir,
		ConfigFile: s.ConfigFile,
		Getenv:     f.Getenv,
		Reporter:   &render.Reporter{W: ios.ErrOut, Color: ios.ColorEnabled(), PlanOptions: render.PlanOptions{Verbose: verbose}},
		ChildOut:   ios.ErrOut,
		Timeout:    s.Timeout,
		Now:        f.Now,

		TerminateConnections: s.Terminate,
	})
}

// New returns the production factory.
func New(ios *iostreams.IOStreams) *Factory {
	return &Factory{IOStreams: ios, Getenv: os.Getenv, Dir: os.Getwd, Now: time.Now, OpenEngine: regen.Open}
}

// Deref reads a flag shared through a pointer (the persistent --config);
// a command built alone in a test may have none.
func Deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
