package regen

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Reporter receives the engine's progress. The engine never writes to the
// terminal itself; cmd gives it a reporter bound to its IOStreams.
type Reporter interface {
	StepStart(step, detail string)
	StepEnd(step string, d time.Duration, err error)
	Note(format string, args ...any)
	Warn(format string, args ...any)
	Plan(p *Plan)
}

// TextReporter writes one aligned line per step with its duration.
type TextReporter struct {
	W     io.Writer
	Color bool
	// PlanWriter renders the plan (the cmd layer's renderer); without one,
	// a line per repo counts what the run will do.
	PlanWriter func(io.Writer, *Plan)
}

func (r *TextReporter) paint(code, s string) string {
	if !r.Color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (r *TextReporter) StepStart(step, detail string) {
	fmt.Fprintf(r.W, "%s %-10s %s\n", r.paint("36", "▸"), step, detail)
}

func (r *TextReporter) StepEnd(step string, d time.Duration, err error) {
	mark, code := "✓", "32"
	if err != nil {
		mark, code = "✗", "31"
	}
	fmt.Fprintf(r.W, "%s %-10s %s\n", r.paint(code, mark), step, formatDuration(d))
}

func (r *TextReporter) Note(format string, args ...any) {
	fmt.Fprintf(r.W, "  %s\n", strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

func (r *TextReporter) Warn(format string, args ...any) {
	fmt.Fprintf(r.W, "%s %s\n", r.paint("33", "!"), strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

func (r *TextReporter) Plan(p *Plan) {
	if r.PlanWriter != nil {
		r.PlanWriter(r.W, p)
		return
	}
	for _, rp := range p.Repos {
		fmt.Fprintf(r.W, "repo %s: will roll back %d migration(s), remove %d file(s), restore %d; %d problem(s) that stop the run\n",
			rp.Name, len(rp.Rollback), len(rp.Remove), len(rp.RestoreTracked), len(rp.Blocking()))
	}
	if p.Blocked != "" {
		fmt.Fprintf(r.W, "A run would stop: %s\n", p.Blocked)
	}
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// discardReporter is used where no progress is wanted.
type discardReporter struct{}

func (discardReporter) StepStart(string, string)             {}
func (discardReporter) StepEnd(string, time.Duration, error) {}
func (discardReporter) Note(string, ...any)                  {}
func (discardReporter) Warn(string, ...any)                  {}
func (discardReporter) Plan(*Plan)                           {}
