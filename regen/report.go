package regen

import "time"

// Reporter receives the engine's progress. The engine never writes to the
// terminal itself and renders no text for people: cmd gives it a reporter
// bound to its IOStreams (cmd/regen/render.Reporter).
type Reporter interface {
	StepStart(step, detail string)
	StepEnd(step string, d time.Duration, err error)
	Note(format string, args ...any)
	Warn(format string, args ...any)
	Plan(p *Plan)
}

// discardReporter is used where no progress is wanted.
type discardReporter struct{}

func (discardReporter) StepStart(string, string)             {}
func (discardReporter) StepEnd(string, time.Duration, error) {}
func (discardReporter) Note(string, ...any)                  {}
func (discardReporter) Warn(string, ...any)                  {}
func (discardReporter) Plan(*Plan)                           {}
