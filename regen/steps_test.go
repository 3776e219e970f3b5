package regen_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen"
)

// A dry run names the steps from the run's list, and a real run takes
// exactly those, separately and in one mix start.
func TestDryRunStepsAreTheRunsSteps(t *testing.T) {
	for mode, want := range map[string][]regen.StepName{
		"0": {"backup", "keep_prepare", "rollback", "remove", "codegen", "migrate", "keep_data", "verify", "commit"},
		// One VM serves the steps as regen asks: they stay apart.
		"1": {"backup", "keep_prepare", "rollback", "remove", "codegen", "migrate", "keep_data", "verify", "commit"},
	} {
		t.Run("one_vm="+mode, func(t *testing.T) {
			p := feature(t)
			p.Env = append(p.Env, "REGEN_ONE_VM="+mode)
			o := regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true, Rollback: "down"}
			o.DryRun = true
			dry, err, out := run(t, p, o)
			if err != nil {
				t.Fatalf("dry run: %v\n%s", err, out)
			}
			if got := names(dry.Plan.Steps); got != names(want) {
				t.Fatalf("dry run names %s, want %s", got, names(want))
			}
			o.DryRun = false
			res, err, out := run(t, p, o)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out)
			}
			var took []regen.StepName
			for _, s := range res.Timings {
				took = append(took, s.Step)
			}
			took = append(took, "commit") // the commit closes the journal: it is never marked done
			if names(took) != names(dry.Plan.Steps) {
				t.Fatalf("the run took %s, the dry run named %s", names(took), names(dry.Plan.Steps))
			}
		})
	}
}

// Journals store step names as strings: a journal an older regen wrote
// reads the same, and is written back the same.
func TestStepNamesKeepTheirJournalForm(t *testing.T) {
	old := []byte(`{"step":"mixdo","done":["backup","remove"],"timings":[{"step":"remove","duration_ns":5}]}`)
	var j regen.Journal
	if err := json.Unmarshal(old, &j); err != nil {
		t.Fatal(err)
	}
	if j.Step != "mixdo" || len(j.Done) != 2 || j.Done[1] != "remove" || j.Timings[0].Step != "remove" {
		t.Fatalf("read %+v", j)
	}
	out, err := json.Marshal(struct {
		Step regen.StepName   `json:"step"`
		Done []regen.StepName `json:"done"`
	}{j.Step, j.Done})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"step":"mixdo","done":["backup","remove"]}`; string(out) != want {
		t.Fatalf("wrote %s, want %s", out, want)
	}
}

func names(s []regen.StepName) string {
	var out []string
	for _, n := range s {
		out = append(out, string(n))
	}
	return strings.Join(out, " ")
}
