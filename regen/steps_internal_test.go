package regen

import (
	"context"
	"strings"
	"testing"
)

// The one-mix-start rule over a list: consecutive mix steps fold into one
// mixdo, the files-only step between them runs first (after the folded
// steps' preparations), and the verifications follow the shared start in
// the list's order.
func TestFoldMixFoldsConsecutiveMixSteps(t *testing.T) {
	var log []string
	note := func(s string) func(context.Context) error {
		return func(context.Context) error { log = append(log, s); return nil }
	}
	tasks := func(ts ...string) func() ([][]string, bool) {
		return func() ([][]string, bool) {
			var out [][]string
			for _, s := range ts {
				out = append(out, strings.Fields(s))
			}
			return out, true
		}
	}
	steps := []Step{
		{Name: "a", Run: note("run a"), Task: tasks("t.a x"), Prepare: func() error { log = append(log, "prepare a"); return nil }, Verify: note("verify a")},
		{Name: "files", Run: note("run files"), FilesOnly: true},
		{Name: "b", Run: note("run b"), Task: tasks("t.b"), Verify: note("verify b"),
			Around: func(ctx context.Context, run func(context.Context) error) error {
				log = append(log, "around b in")
				err := run(ctx)
				log = append(log, "around b out")
				return err
			}},
		{Name: "none", Run: note("run none"), Task: tasks()},
		{Name: "last", Run: note("run last")},
	}
	shared := func(_ context.Context, detail string, argv []string) error {
		log = append(log, "mix "+strings.Join(argv, " "))
		return nil
	}
	out := foldMix(steps, []string{"mix"}, shared)
	var got []string
	for _, s := range out {
		got = append(got, string(s.Name))
	}
	if strings.Join(got, " ") != "files mixdo last" {
		t.Fatalf("folded into %v", got)
	}
	for _, s := range out {
		if err := s.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := "prepare a|run files|around b in|mix mix do t.a x + t.b|around b out|verify a|verify b|run last"
	if strings.Join(log, "|") != want {
		t.Fatalf("ran\n  %s\nwant\n  %s", strings.Join(log, "|"), want)
	}
}

// A group with one task, or a step whose tasks cannot share a start, stays
// as the list has it.
func TestFoldMixKeepsStepsThatCannotShare(t *testing.T) {
	one := func() ([][]string, bool) { return [][]string{{"t.a"}}, true }
	notMix := func() ([][]string, bool) { return nil, false }
	for name, steps := range map[string][]Step{
		"one task": {{Name: "a", Task: one}, {Name: "files", FilesOnly: true}, {Name: "b", Task: func() ([][]string, bool) { return nil, true }}},
		"not mix":  {{Name: "a", Task: one}, {Name: "files", FilesOnly: true}, {Name: "b", Task: notMix}},
	} {
		out := foldMix(steps, []string{"mix"}, func(context.Context, string, []string) error { return nil })
		var got []string
		for _, s := range out {
			got = append(got, string(s.Name))
		}
		if strings.Join(got, " ") != "a files b" {
			t.Fatalf("%s: folded into %v", name, got)
		}
	}
}
