package regen

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/regen-tool/regen/migrator"
)

// The round trip runs on the dev database in place, not on a copy the
// project is pointed at: a project's database path lives in its own
// config/*.exs, which no environment variable can redirect in general. So it
// is a journaled transaction of kind "roundtrip" like every other change
// (roundtrip_txn.go): the database (and the repo's folders) are backed up
// first, each migration step is announced, the database is put back by the
// compensation whatever happened, and a kill -9 in between is reversed by
// `regen recover`. A database that did not exist is moved aside, never
// deleted.

// roundtripFindings migrates up, rolls back the new migrations and migrates
// up again, per repo with new migrations.
func (e *Engine) roundtripFindings(ctx context.Context, p *workspace, fresh []checkMigration) ([]Finding, []string, error) {
	if p.cfg.Preset != "ash_sqlite" {
		// The byte-for-byte swap below is a SQLite file operation.
		return nil, nil, &InputError{What: fmt.Sprintf("--roundtrip supports SQLite projects only (this one is %s).", p.cfg.Preset), Next: "Run the check without --roundtrip."}
	}
	if err := checkMix(p.cfg); err != nil {
		return nil, nil, err
	}
	if err := e.resolveDatabases(ctx, p.cfg); err != nil {
		return nil, nil, err
	}
	lk, err := e.guard("regen check --roundtrip")
	if err != nil {
		return nil, nil, err
	}
	defer lk.release()
	var out []Finding
	var notes []string
	for _, r := range p.cfg.Repos {
		var mine []checkMigration
		for _, m := range fresh {
			if m.repo.Name == r.Name {
				mine = append(mine, m)
			}
		}
		if len(mine) == 0 {
			continue
		}
		sort.Slice(mine, func(i, j int) bool { return mine[i].version < mine[j].version })
		fs, err := e.roundtripRepo(ctx, p, r, mine)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, fs...)
		notes = append(notes, fmt.Sprintf("round trip of %d new migration(s) in %s ran on %s, put back from its backup and checked afterwards", len(mine), r.Migrations, r.Database))
	}
	return out, notes, nil
}

func (e *Engine) roundtripRepo(ctx context.Context, p *workspace, r RepoConfig, mine []checkMigration) ([]Finding, error) {
	if r.Database == "" {
		return nil, &InputError{What: fmt.Sprintf("the database of repo %q is not known.", r.Name), Next: "Set `database = \"path/to/dev.db\"` for this repo in .regen.toml."}
	}
	j, err := e.beginRoundtrip(ctx, p, r)
	if err != nil {
		return nil, err
	}
	fs, err := e.roundtripSteps(ctx, p, r, mine, j)
	return e.endRoundtrip(ctx, p, j, fs, err)
}

// roundtripSteps runs up, down and up again, each announced in the journal.
func (e *Engine) roundtripSteps(ctx context.Context, p *workspace, r RepoConfig, mine []checkMigration, j *Journal) ([]Finding, error) {
	var (
		res migrator.Result
		out string
		err error
	)
	db, err := openDatabase(r, e.opts.Getenv, false, e.rep)
	if err != nil {
		return nil, err
	}
	migrate := expand(p.cfg.Migrate, p.cfg.Mix, map[string]string{"repo": r.Module})
	if err := e.roundtripStep(ctx, j, stepRoundtripUp, func() error { res, out, err = e.roundtripRun(ctx, p, r, migrate); return err }); err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		m := checkFirstUnapplied(ctx, db, mine)
		return []Finding{newCheckFinding(RuleRoundtrip, m.path, 0,
			fmt.Sprintf("migrating up fails on a copy of the dev database: %s", checkErrorLine(out)),
			"Fix the migration's `up` (or regenerate it with `regen NAME`).")}, nil
	}

	downDir := filepath.Join(j.BackupDir, "down")
	if err := os.Mkdir(downDir, 0o700); err != nil {
		return nil, err
	}
	for _, m := range mine {
		if err := checkCopyFile(filepath.Join(p.cfg.Root, filepath.FromSlash(m.path)), filepath.Join(downDir, path.Base(m.path))); err != nil {
			return nil, err
		}
	}
	rollback := expand(p.cfg.Rollback, p.cfg.Mix, map[string]string{"dir": downDir, "repo": r.Module})
	if err := e.roundtripStep(ctx, j, stepRoundtripDown, func() error { res, out, err = e.roundtripRun(ctx, p, r, rollback); return err }); err != nil {
		return nil, err
	}
	applied, aerr := db.Applied(ctx)
	if aerr != nil {
		return nil, &InputError{What: fmt.Sprintf("cannot read the applied migrations of %s: %v.", r.Database, aerr), Next: ""}
	}
	still := map[int64]bool{}
	for _, v := range applied {
		still[v] = true
	}
	for i := len(mine) - 1; i >= 0; i-- { // rollback goes newest first: the newest left applied is the one that failed
		if m := mine[i]; still[m.version] {
			why := "its version is still applied after `" + strings.Join(rollback, " ") + "`"
			if res.ExitCode != 0 {
				why = checkErrorLine(out)
			}
			return []Finding{newCheckFinding(RuleRoundtrip, m.path, 0,
				fmt.Sprintf("rolling it back fails on a copy of the dev database: %s", why),
				"Write a `down` that undoes the `up` (AshSqlite writes a raising `down` for a table with a foreign key); if it can never be rolled back, say so to the team and keep it out of feature-branch regeneration.")}, nil
		}
	}
	if res.ExitCode != 0 {
		return []Finding{newCheckFinding(RuleRoundtrip, mine[len(mine)-1].path, 0,
			fmt.Sprintf("the rollback of the new migrations fails: %s", checkErrorLine(out)),
			"Run the rollback yourself to see why.")}, nil
	}

	if err := e.roundtripStep(ctx, j, stepRoundtripUpAgain, func() error { res, out, err = e.roundtripRun(ctx, p, r, migrate); return err }); err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		m := checkFirstUnapplied(ctx, db, mine)
		return []Finding{newCheckFinding(RuleRoundtrip, m.path, 0,
			fmt.Sprintf("migrating up again after its `down` fails: the `down` leaves something behind: %s", checkErrorLine(out)),
			"Make the `down` undo everything the `up` does.")}, nil
	}
	return nil, nil
}

// checkFirstUnapplied is the oldest new migration the database lacks (the
// newest when all are applied).
func checkFirstUnapplied(ctx context.Context, db database, mine []checkMigration) checkMigration {
	applied, err := db.Applied(ctx)
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

// checkCopyFile copies a migration into the rollback folder.
func checkCopyFile(src, dst string) error {
	_, err := copyFileAtomic(src, dst, 0o600)
	return err
}
