package check

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/regen-tool/regen/regen"
)

// The round trip itself is the engine's journaled transaction
// (regen.CheckView.RoundTrips): backed up first, put back afterwards,
// reversed by `regen recover` after a crash. Here: what runs and what the
// outcome means.

// roundtripFindings migrates up, rolls back the new migrations and migrates
// up again, per repo with new migrations.
func (c *checker) roundtripFindings(ctx context.Context, fresh []checkMigration) ([]Finding, []string, error) {
	byRepo := map[string][]checkMigration{}
	var repos []string
	for _, m := range fresh {
		if byRepo[m.repo.Name] == nil {
			repos = append(repos, m.repo.Name)
		}
		byRepo[m.repo.Name] = append(byRepo[m.repo.Name], m)
	}
	var out []Finding
	var notes []string
	err := c.v.RoundTrips(ctx, repos, func(ctx context.Context, rt *regen.RoundTrip) error {
		mine := byRepo[rt.Repo().Name]
		sort.Slice(mine, func(i, j int) bool { return mine[i].version < mine[j].version })
		fs, err := roundtripSteps(ctx, rt, mine)
		if err != nil {
			return err
		}
		r := rt.Repo()
		out = append(out, fs...)
		notes = append(notes, fmt.Sprintf("round trip of %d new migration(s) in %s ran on %s, put back from its backup and checked afterwards", len(mine), r.Migrations, r.Database))
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, notes, nil
}

// roundtripSteps runs up, down and up again.
func roundtripSteps(ctx context.Context, rt *regen.RoundTrip, mine []checkMigration) ([]Finding, error) {
	res, err := rt.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		m := checkFirstUnapplied(ctx, rt, mine)
		return []Finding{newCheckFinding(RuleRoundtrip, m.path, 0,
			fmt.Sprintf("migrating up fails on a copy of the dev database: %s", checkErrorLine(res.Output)),
			"Fix the migration's `up` (or regenerate it with `regen NAME`).")}, nil
	}

	paths := make([]string, len(mine))
	for i, m := range mine {
		paths[i] = m.path
	}
	res, err = rt.Rollback(ctx, paths)
	if err != nil {
		return nil, err
	}
	applied, aerr := rt.Applied(ctx)
	if aerr != nil {
		return nil, &regen.InputError{What: fmt.Sprintf("cannot read the applied migrations of %s: %v.", rt.Repo().Database, aerr), Next: ""}
	}
	still := map[int64]bool{}
	for _, v := range applied {
		still[v] = true
	}
	for i := len(mine) - 1; i >= 0; i-- { // rollback goes newest first: the newest left applied is the one that failed
		if m := mine[i]; still[m.version] {
			why := "its version is still applied after `" + strings.Join(res.Command, " ") + "`"
			if res.ExitCode != 0 {
				why = checkErrorLine(res.Output)
			}
			return []Finding{newCheckFinding(RuleRoundtrip, m.path, 0,
				fmt.Sprintf("rolling it back fails on a copy of the dev database: %s", why),
				"Write a `down` that undoes the `up` (AshSqlite writes a raising `down` for a table with a foreign key); if it can never be rolled back, say so to the team and keep it out of feature-branch regeneration.")}, nil
		}
	}
	if res.ExitCode != 0 {
		return []Finding{newCheckFinding(RuleRoundtrip, mine[len(mine)-1].path, 0,
			fmt.Sprintf("the rollback of the new migrations fails: %s", checkErrorLine(res.Output)),
			"Run the rollback yourself to see why.")}, nil
	}

	if res, err = rt.MigrateAgain(ctx); err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		m := checkFirstUnapplied(ctx, rt, mine)
		return []Finding{newCheckFinding(RuleRoundtrip, m.path, 0,
			fmt.Sprintf("migrating up again after its `down` fails: the `down` leaves something behind: %s", checkErrorLine(res.Output)),
			"Make the `down` undo everything the `up` does.")}, nil
	}
	return nil, nil
}

// checkFirstUnapplied is the oldest new migration the database lacks (the
// newest when all are applied).
func checkFirstUnapplied(ctx context.Context, rt *regen.RoundTrip, mine []checkMigration) checkMigration {
	applied, err := rt.Applied(ctx)
	if err == nil {
		have := map[int64]bool{}
		for _, v := range applied {
			have[v] = true
		}
		for _, m := range mine {
			if !have[m.version] {
				return m
			}
		}
	}
	return mine[len(mine)-1]
}

// checkErrorLine picks the first `** (…)` line of a mix run, else the last line.
func checkErrorLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for _, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "** (") {
			return t
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}
