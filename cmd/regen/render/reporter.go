package render

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/regen-tool/regen/regen"
)

// Reporter is the engine's progress for people (it implements
// regen.Reporter): one aligned line per step with its duration, notes
// indented, warnings marked, the plan through Plan. The engine emits
// events only; this is where they become text.
type Reporter struct {
	W     io.Writer
	Color bool
	// PlanOptions are how the plan is shown when the engine reports it.
	PlanOptions PlanOptions
}

var _ regen.Reporter = (*Reporter)(nil)

func (r *Reporter) paint(code, s string) string {
	if !r.Color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (r *Reporter) StepStart(step, detail string) {
	fmt.Fprintf(r.W, "%s %-10s %s\n", r.paint("36", "▸"), step, detail)
}

func (r *Reporter) StepEnd(step string, d time.Duration, err error) {
	mark, code := "✓", "32"
	if err != nil {
		mark, code = "✗", "31"
	}
	fmt.Fprintf(r.W, "%s %-10s %s\n", r.paint(code, mark), step, Duration(d))
}

func (r *Reporter) Note(format string, args ...any) {
	fmt.Fprintf(r.W, "  %s\n", strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

func (r *Reporter) Warn(format string, args ...any) {
	fmt.Fprintf(r.W, "%s %s\n", r.paint("33", "!"), strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

func (r *Reporter) Plan(p *regen.Plan) { Plan(r.W, p, r.PlanOptions) }

// Duration is a step's time as the progress lines show it.
func Duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}
