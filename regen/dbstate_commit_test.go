package regen_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// The commit takes the database's state recorded after the run's last
// step that changed it (not a second full read): the closed journal's
// state must still be exactly the database as the run left it, and a
// change made after the run must show against it.
func TestCommittedStateIsTheDatabaseTheRunLeft(t *testing.T) {
	p := featureOf(t, regentest.SQLite)
	res, err, out := run(t, p, regen.RunOptions{Name: "add_subtitle_and_views", Migrate: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(res.BackupDir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var j regen.Journal
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	if len(j.Repos) != 1 || j.Repos[0].State == nil {
		t.Fatalf("no state recorded at commit: %+v", j.Repos)
	}
	st := j.Repos[0].State
	if st.After == "" || st.After == "commit" {
		t.Fatalf("state recorded after %q; want the last step that changed the database", st.After)
	}
	ctx := context.Background()
	now, err := migrator.SQLiteTableStates(ctx, p.DB)
	if err != nil {
		t.Fatal(err)
	}
	if d := migrator.DiffTableStates(st.Tables, now); len(d) != 0 {
		t.Fatalf("recorded state differs from the database the run left: %v", d)
	}
	p.SQL(fmt.Sprintf(`INSERT INTO comments (id, body, post_id) VALUES ('%s', 'later', '%s')`,
		"00000000-0000-0000-0000-000000000009", "00000000-0000-0000-0000-000000000001"))
	now, err = migrator.SQLiteTableStates(ctx, p.DB)
	if err != nil {
		t.Fatal(err)
	}
	if d := migrator.DiffTableStates(st.Tables, now); len(d) != 1 {
		t.Fatalf("a row added after the run: differences %v, want one (comments)", d)
	}
}
