package regen

import (
	"encoding/json"
	"testing"
)

// readHints takes what a damaged journal still shows, and nothing that could
// name a folder outside the backups.
func TestReadHints(t *testing.T) {
	full, _ := json.Marshal(&Journal{Format: journalFormat, RunID: "20260102T030405Z-abcdef", Kind: RunUndo, Step: "undo",
		Repos: []RepoRecord{{Kind: KindSQLite}}, Timings: []StepTiming{{Step: "backup"}}})
	cases := []struct {
		name string
		raw  string
		want journalHints
	}{
		{"whole", string(full), journalHints{Format: 1, RunID: "20260102T030405Z-abcdef", Kind: RunUndo, Step: "undo"}},
		{"truncated after the kind", string(full[:60]), journalHints{Format: 1, RunID: "20260102T030405Z-abcdef", Kind: RunUndo}},
		{"truncated in the run id", string(full[:30]), journalHints{Format: 1}},
		{"garbage", "\x00\xff{{{", journalHints{}},
		{"empty", "", journalHints{}},
		{"a run id that is a path", `{"format":1,"run_id":"../../etc"}`, journalHints{Format: 1}},
		{"a run id with a slash", `{"run_id":"20260102T030405Z-abcdef/x"}`, journalHints{}},
	}
	for _, c := range cases {
		if got := readHints([]byte(c.raw)); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
