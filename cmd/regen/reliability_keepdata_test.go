package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// Issue 12: dev data survives regeneration. The rollback drops what the
// untracked migrations created, the regenerated migration re-creates it
// empty; the keep_data step puts the rows back from the run's backup and
// reports what it could not.

// sqlOne is the first column of the first row of q on the project's
// database ("<null>" for NULL).
func sqlOne(t *testing.T, p *regentest.Project, q string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+p.DB+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v sql.NullString
	if err := db.QueryRow(q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if !v.Valid {
		return "<null>"
	}
	return v.String
}

// lastJournal is the journal of the last committed run, as JSON.
func lastRunRecord(t *testing.T, p *regentest.Project) map[string]any {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(p.Root, ".git", "regen", "backup", "*", "run.json"))
	if len(matches) == 0 {
		t.Fatal("no run record under .git/regen/backup")
	}
	data, err := os.ReadFile(matches[len(matches)-1])
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	return j
}

const subtitleOf1 = `SELECT subtitle FROM posts WHERE id = '00000000-0000-0000-0000-000000000001'`

func TestReliabilityKeepDataSubtitle(t *testing.T) {
	for _, oneVM := range []string{"1", "0"} {
		t.Run("one_vm="+oneVM, func(t *testing.T) {
			p := feature(t)
			p.Env = append(p.Env, "REGEN_ONE_VM="+oneVM)
			out, code := p.Regen("add_subtitle_and_views", "-m")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			t.Log(out)
			if got := sqlOne(t, p, subtitleOf1); got != "s" {
				t.Errorf("subtitle after the run = %q, want the value from before (s)\n%s", got, out)
			}
			if !strings.Contains(out, "kept: posts.subtitle (1 row)") {
				t.Errorf("the report does not name posts.subtitle:\n%s", out)
			}
			if i, j := strings.Index(out, "kept: posts.subtitle"), strings.Index(out, "done:"); i < 0 || j < i {
				t.Errorf("the report must come before the summary:\n%s", out)
			}
			if got := sqlOne(t, p, `SELECT count(*) FROM comments`); got != "1" {
				t.Errorf("comments: %s rows, want 1", got)
			}
			rec := lastRunRecord(t, p)
			b, _ := json.Marshal(rec["keep"])
			if !strings.Contains(string(b), `"column":"subtitle"`) {
				t.Errorf("the run's record does not keep the report: %s", b)
			}
		})
	}
}
