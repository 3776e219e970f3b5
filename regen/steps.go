package regen

import (
	"context"
	"errors"
	"strings"
	"time"
)

// StepName names a step in the journal, in the fault points of the tests
// (REGEN_TEST_FAULT=kill:before:codegen) and in messages. Journals store
// it as its string, so journals written by older regens read the same.
type StepName string

// The steps, in the order the transaction takes them; the rest belong to
// compensation, undo and the round trip.
const (
	stepBackup     StepName = "backup"
	stepRollback   StepName = "rollback"
	stepRemove     StepName = "remove"
	stepCodegen    StepName = "codegen"
	stepMigrate    StepName = "migrate"
	stepVerify     StepName = "verify"
	stepMixDo      StepName = "mixdo" // consecutive mix steps in one mix start (foldMix)
	stepCommit     StepName = "commit"
	stepCompensate StepName = "compensate"
	stepUndo       StepName = "undo"
	stepMark       StepName = "mark"   // fault point only: after the last-run marker is written
	stepUnmark     StepName = "unmark" // fault point only: after undo removed the marker
)

func (s StepName) String() string { return string(s) }

func (s StepName) MarshalText() ([]byte, error) { return []byte(s), nil }

// UnmarshalText keeps any name: a journal of another regen version may
// name a step this one does not have, and recover still reads it.
func (s *StepName) UnmarshalText(b []byte) error {
	*s = StepName(b)
	return nil
}

// Step is one announced step of a run. The run's list is built in one
// place (txn.steps); foldMix turns it into what runs.
type Step struct {
	Name StepName
	// Run does the step on its own, with the checks it needs in between.
	Run func(context.Context) error
	// Task gives the step's mix tasks (argv without the leading mix) for a
	// shared mix start. nil: the step runs no mix task. ok false: it runs
	// one that cannot share a start (not a `{mix} …` template). No tasks
	// and ok: the step has nothing to do in this run.
	Task func() (tasks [][]string, ok bool)
	// Around wraps the step's mix tasks, alone or in a shared start (codegen
	// notes the files they write).
	Around func(ctx context.Context, run func(context.Context) error) error
	// Prepare, for a shared start, does what the step's tasks need before
	// any step of the start changes the files (copies their migrations).
	Prepare func() error
	// Verify is what Run checks in between, for a shared start: it runs after
	// the shared mix start, in the order of the list.
	Verify func(context.Context) error
	// Describe is the step's part of a shared start's announcement ("" for none).
	Describe func() string
	// FilesOnly: the step changes only files that no mix task of the run
	// reads (their migrations are copied into folders of their own first),
	// so in a shared start it runs before the folded tasks.
	FilesOnly bool
	// KeepsFiles: the step changes no file in the folders (it reads and
	// writes only databases), so the commit's inventory may be taken while
	// it runs (after_inventory.go).
	KeepsFiles bool
}

// foldMix is the one-mix-start rule: consecutive steps with mix tasks fold
// into one `mix do` (a stepMixDo step), with the files-only steps between
// them first and the folded steps' verifications after it. A group that has
// fewer than two steps with tasks, or a step whose tasks cannot share a
// start, stays as it is.
func foldMix(steps []Step, mix []string, run func(ctx context.Context, detail string, argv []string) error) []Step {
	var out, group []Step
	flush := func() {
		if s, ok := fold(group, mix, run); ok {
			prepare := prepareAll(group)
			for _, g := range group {
				if g.Task == nil {
					out = append(out, withFirst(g, prepare))
					prepare = nil
				}
			}
			out = append(out, withFirst(s, prepare))
		} else {
			out = append(out, group...)
		}
		group = nil
	}
	for _, s := range steps {
		switch {
		case s.Task != nil:
			group = append(group, s)
		case s.FilesOnly && len(group) > 0:
			group = append(group, s)
		default:
			flush()
			out = append(out, s)
		}
	}
	flush()
	return out
}

// prepareAll runs the Prepare of each step of a group.
func prepareAll(group []Step) func() error {
	return func() error {
		for _, s := range group {
			if s.Prepare != nil {
				if err := s.Prepare(); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// withFirst makes s run first (when set) before its own work.
func withFirst(s Step, first func() error) Step {
	if first == nil {
		return s
	}
	run := s.Run
	s.Run = func(ctx context.Context) error {
		if err := first(); err != nil {
			return err
		}
		return run(ctx)
	}
	return s
}

// fold makes one stepMixDo of a group's mix steps.
func fold(group []Step, mix []string, run func(ctx context.Context, detail string, argv []string) error) (Step, bool) {
	var folded []Step
	var tasks [][]string
	for _, s := range group {
		if s.Task == nil {
			continue
		}
		ts, ok := s.Task()
		if !ok {
			return Step{}, false
		}
		tasks = append(tasks, ts...)
		folded = append(folded, s)
	}
	if len(tasks) < 2 {
		return Step{}, false // nothing to share
	}
	describe := func() string {
		var parts []string
		for _, s := range folded {
			if s.Describe != nil {
				if d := s.Describe(); d != "" {
					parts = append(parts, d)
				}
			}
		}
		return strings.Join(parts, "; ")
	}
	argv := doCommand(mix, tasks)
	do := func(ctx context.Context) error { return run(ctx, describe(), argv) }
	for i := len(folded) - 1; i >= 0; i-- {
		if a := folded[i].Around; a != nil {
			inner := do
			do = func(ctx context.Context) error { return a(ctx, inner) }
		}
	}
	return Step{
		Name:     stepMixDo,
		Describe: describe,
		Run: func(ctx context.Context) error {
			if err := do(ctx); err != nil {
				return err
			}
			for _, s := range folded {
				if s.Verify != nil {
					if err := s.Verify(ctx); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}, true
}

// errSkip marks a step that had nothing to do.
var errSkip = errors.New("skipped")

// stepper is the machinery every announced step goes through, in a run,
// an undo, a round trip and the compensation: the journal says the step
// before it happens, the tests' fault points sit on either side, the time
// is taken, and a finished step is marked done.
type stepper struct {
	e *Engine
	j *Journal
	// done runs after a step that did something succeeded, before it is
	// marked done (a run records the databases' state there).
	done func(context.Context, StepName)
	// quiet: no step report (a check's round trip prints its findings only).
	quiet bool
}

// run runs one announced step. An errSkip from do is no failure: the step
// had nothing to do and is marked done without its report.
func (s stepper) run(ctx context.Context, name StepName, do func(context.Context) error) error {
	if err := s.e.enter(s.j, name); err != nil {
		return err
	}
	start := time.Now()
	err := do(ctx)
	skipped := errors.Is(err, errSkip)
	if skipped {
		err = nil
	}
	if err == nil {
		// A skipped step passes its "after" point too: every step has both.
		err = s.e.faults.at("after", name)
	}
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	d := time.Since(start)
	if !skipped && !s.quiet {
		s.e.rep.StepEnd(string(name), d, err)
	}
	if err != nil {
		return err
	}
	if !skipped && s.done != nil {
		s.done(ctx, name)
	}
	return s.j.markDone(s.e.stateDir, name, d)
}
