package regen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
)

// rollbackRepo rolls back repo i's set with the chosen strategy.
func (t *txn) rollbackRepo(ctx context.Context, i int, rp RepoPlan, dir string) error {
	strategy := t.strategy.Strategy
	_, canRebuild := t.proj.dbs[i].Rebuilder()
	if strategy == StrategyRebuild && !canRebuild {
		return fmt.Errorf("%s works on SQLite only; on PostgreSQL a failing `down` rolls back in its own transaction, so use down", t.strategy.Reason())
	}
	if strategy == StrategyRebuild {
		return t.rebuild(ctx, i, rp, t.strategy.Reason())
	}
	argv := project.Expand(t.proj.cfg.Rollback, t.proj.cfg.Mix, map[string]string{"dir": dir, "repo": t.proj.cfg.Repos[i].Module})
	err := t.runMixIn(ctx, t.proj.cfg.Repos[i].App, stepRollback, argv)
	rec := &t.j.Repos[i]
	if err == nil {
		return t.expectApplied(ctx, i, minus(rec.Before, rec.Rollback), "after the rollback")
	}
	var mismatch *DatabaseMismatchError
	if ctx.Err() != nil || errors.As(err, &mismatch) {
		return err // no `down` ran: nothing to rebuild
	}
	failed := t.failedDown(ctx, i, rp)
	if failed != "" {
		err = fmt.Errorf("the `down` of %s failed: %w", failed, err)
	}
	if strategy == StrategyDown {
		return err
	}
	if !canRebuild {
		return fmt.Errorf("%w (no rebuild on PostgreSQL: the failed `down` rolled back in its transaction)", err)
	}
	// auto: put the database back as it was, then rebuild it.
	if _, rerr := t.proj.dbs[i].Restore(ctx, restoreRequest{Rec: *rec, BackupDir: t.j.BackupDir, Quarantine: filepath.Join(t.j.BackupDir, "moved-aside", "before-rebuild"), RunID: t.j.RunID}); rerr != nil {
		return fmt.Errorf("%v; restoring the database before the rebuild also failed: %w", err, rerr)
	}
	if verr := t.expectApplied(ctx, i, rec.Before, "after restoring for the rebuild"); verr != nil {
		return verr
	}
	what := "a `down` failed"
	if failed != "" {
		what = "the `down` of " + failed + " failed"
	}
	t.e.rep.Warn("%s; the database is restored, switching to rebuild (recreate from the tracked migrations, carry the data over)", what)
	return t.rebuild(ctx, i, rp, what)
}

// failedDown names the migration whose down failed: rollback goes newest
// first, so it is the newest of the set still applied.
func (t *txn) failedDown(ctx context.Context, i int, rp RepoPlan) string {
	have, err := t.proj.dbs[i].Applied(ctx)
	if err != nil {
		return ""
	}
	still := map[int64]bool{}
	for _, v := range have {
		still[v] = true
	}
	for j := len(rp.Rollback) - 1; j >= 0; j-- {
		if still[rp.Rollback[j].Version] {
			return rp.Rollback[j].Path
		}
	}
	return ""
}

// rebuild recreates repo i's SQLite database from the migrations that are
// tracked and were applied, then carries the data over from the old file for
// every table and column both have. The old file is moved into the backup
// folder, never deleted; the compensation puts the original back.
func (t *txn) rebuild(ctx context.Context, i int, rp RepoPlan, why string) error {
	rec := &t.j.Repos[i]
	if len(rp.Orphans) > 0 {
		return fmt.Errorf("cannot rebuild repo %q: applied versions %v have no migration file, so their schema cannot be recreated; restore those files, or remove the rows from schema_migrations", rp.Name, rp.Orphans)
	}
	// What stays applied: a regen run rolls back every applied untracked
	// migration, a sync keeps them (it rolls back phantoms only).
	var keep []Migration
	for _, m := range append(append([]Migration{}, rp.Tracked...), rp.Untracked...) {
		if m.Applied && !containsVersion(rec.Rollback, m.Version) {
			keep = append(keep, m)
		}
	}
	sortMigrations(keep)
	t.e.rep.StepStart("rebuild", fmt.Sprintf("%s: recreate from %d tracked migration(s), carry the data over", rp.Name, len(keep)))
	dir := filepath.Join(t.j.BackupDir, "rebuild", rp.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, m := range keep {
		if _, err := copyFileAtomic(filepath.Join(t.root, filepath.FromSlash(m.Path)), filepath.Join(dir, path.Base(m.Path)), 0o600); err != nil {
			return fmt.Errorf("cannot prepare the rebuild folder: %w", err)
		}
	}
	db, ok := t.proj.dbs[i].Rebuilder()
	if !ok {
		return fmt.Errorf("repo %q: its database %s is not rebuilt", rp.Name, t.proj.dbs[i])
	}
	old := filepath.Join(t.j.BackupDir, "rebuild", rp.Name+"-old.db")
	if err := db.EmptyForRebuild(ctx, old); err != nil {
		return fmt.Errorf("cannot set the database aside for the rebuild: %w", err)
	}
	argv := project.Expand(t.proj.cfg.RebuildMigrate, t.proj.cfg.Mix, map[string]string{"dir": dir, "repo": t.proj.cfg.Repos[i].Module})
	if err := t.runMixIn(ctx, t.proj.cfg.Repos[i].App, stepRollback, argv); err != nil {
		return fmt.Errorf("recreating the database from the tracked migrations failed: %w", err)
	}
	if err := t.expectApplied(ctx, i, versions(keep), "after recreating the database"); err != nil {
		return err
	}
	report, err := db.CarryRebuilt(ctx, old)
	if err != nil {
		return fmt.Errorf("carrying the data over failed: %w", err)
	}
	if err := t.expectApplied(ctx, i, minus(rec.Before, rec.Rollback), "after the rebuild"); err != nil {
		return err
	}
	lines := carryLines(rp.Name, report)
	if t.keepWanted() && t.migrated(i) {
		lines = keptAfterMigrate(lines) // keepdata.go
	}
	t.j.Report = append(t.j.Report, fmt.Sprintf("repo %s rebuilt (%s)", rp.Name, why))
	t.j.Report = append(t.j.Report, lines...)
	if err := t.j.save(t.e.stateDir); err != nil {
		return err
	}
	for _, l := range lines {
		t.e.rep.Note("%s", l)
	}
	return nil
}

func carryLines(repo string, r *migrator.CarryReport) []string {
	var out []string
	var kept []string
	for _, t := range r.Tables {
		kept = append(kept, fmt.Sprintf("%s (%d)", t.Name, t.Rows))
	}
	if len(kept) > 0 {
		out = append(out, "carried over: "+strings.Join(kept, ", "))
	}
	for _, t := range r.DroppedTables {
		out = append(out, fmt.Sprintf("not carried over: table %s with %d row(s): only the rolled-back migrations created it", t.Name, t.Rows))
	}
	for _, c := range r.DroppedColumns {
		out = append(out, fmt.Sprintf("not carried over: column %s.%s (%d value(s)): only the rolled-back migrations created it", c.Table, c.Column, c.NonNull))
	}
	if len(r.DroppedTables)+len(r.DroppedColumns) == 0 {
		out = append(out, "nothing was dropped")
	}
	return out
}

func containsVersion(vs []int64, v int64) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

var (
	downSection = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)def down do(.*?)\n  end\n`) })
	upSection   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)def (?:up|change) do(.*?)\n  end\n`) })
	createTable = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`create(?:_if_not_exists)? table\(:"?([A-Za-z0-9_]+)"?`)
	})
	alterTable = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?s)alter table\(:"?([A-Za-z0-9_]+)"?[^)]*\) do(.*?)\n    end`)
	})
	addColumn   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\badd(?:_if_not_exists)? :"?([A-Za-z0-9_]+)"?`) })
	raiseInDown = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\braise\b`) })
)

// migrationEffects reads a migration's file for the plan: whether its
// `down` raises, the tables its up creates and the columns it adds
// ("table.column"). ok is false when the file cannot be read.
func migrationEffects(root string, m Migration) (raises bool, tables, columns []string, ok bool) {
	data, err := m.bytes(root)
	if err != nil {
		return false, nil, nil, false
	}
	src := string(data)
	if d := downSection().FindStringSubmatch(src); d != nil && raiseInDown().MatchString(d[1]) {
		raises = true
	}
	if u := upSection().FindStringSubmatch(src); u != nil {
		for _, c := range createTable().FindAllStringSubmatch(u[1], -1) {
			tables = append(tables, c[1])
		}
		for _, a := range alterTable().FindAllStringSubmatch(u[1], -1) {
			for _, c := range addColumn().FindAllStringSubmatch(a[2], -1) {
				columns = append(columns, a[1]+"."+c[1])
			}
		}
	}
	return raises, tables, columns, true
}

// predictRollback reads the rollback set's files for --dry-run: whether a
// `down` raises (so auto would rebuild), and what a rebuild would drop.
func predictRollback(root string, rp *RepoPlan, strategy Strategy, dbRows map[string]int64) {
	rp.RollbackBy, rp.DownRaises, rp.Strategy = strategyNone, "", ""
	raising := ""
	var tables, columns []string
	for _, m := range rp.Rollback {
		raises, ts, cs, ok := migrationEffects(root, m)
		if !ok {
			continue
		}
		if raises && raising == "" {
			raising = m.Path
		}
		for _, t := range ts {
			tables = append(tables, fmt.Sprintf("table %s (%d rows now)", t, dbRows[t]))
		}
		for _, c := range cs {
			columns = append(columns, "column "+c)
		}
	}
	if len(rp.Rollback) == 0 {
		return
	}
	rp.RollbackBy, rp.DownRaises = strategy, raising
	if strategy == StrategyAuto {
		rp.RollbackBy = StrategyDown
		if raising != "" {
			rp.RollbackBy = StrategyRebuild
		}
	}
	rp.Strategy = strategyText(strategy, rp.RollbackBy, raising)
	if rp.RollbackBy == StrategyRebuild {
		rp.WouldDrop = append(tables, columns...)
	}
}

// strategyText says for people how the rollback will go (chosen: the
// run's strategy; by: what it comes to for this repo).
func strategyText(chosen, by Strategy, raising string) string {
	switch {
	case chosen == StrategyAuto && by == StrategyRebuild:
		return "rebuild (auto: the `down` of " + raising + " raises)"
	case by == StrategyDown && raising != "":
		return "down (will fail: the `down` of " + raising + " raises)"
	}
	return by.String()
}
