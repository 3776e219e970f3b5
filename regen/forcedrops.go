package regen

import (
	"context"
	"fmt"
)

// rowsForPlan counts, read-only, the rows of the tables the rollback set
// creates (SQLite: every table, one cheap query each), for the plan's
// "drops" lines. An unreadable count is left out rather than guessed.
func (p *workspace) rowsForPlan(ctx context.Context, db database, rp *RepoPlan) map[string]int64 {
	if len(rp.Rollback) == 0 {
		return nil
	}
	var tables []string
	for _, m := range append(append([]Migration{}, rp.Rollback...), rp.BlockedBy...) {
		_, ts, _, _ := migrationEffects(p.cfg.Root, m)
		tables = append(tables, ts...)
	}
	return db.RowCounts(ctx, tables)
}

// predictForceDrops names, for --force, what rolling back a teammate's
// tracked migration and applying it again costs: its `down` drops the
// tables it created and the columns it added; migrate re-creates them
// empty, and keep_data (unless off) puts their rows back. Without --force, the same for the migrations that
// block the run, so that status says what --force would cost.
func predictForceDrops(root string, rp *RepoPlan, rows map[string]int64, keepData bool) {
	rp.ForceDrops = nil
	ms := rp.Reapply
	if len(ms) == 0 {
		ms = rp.BlockedBy
	}
	for _, m := range ms {
		_, tables, columns, ok := migrationEffects(root, m)
		if !ok {
			continue
		}
		for _, t := range tables {
			n, known := rows[t]
			count := "its rows"
			if known {
				count = fmt.Sprintf("%d row(s) now", n)
			}
			comes := "it comes back empty"
			if keepData {
				comes = "it is re-created empty and keep_data puts its rows back from the backup (not with --no-keep-data)"
			}
			rp.ForceDrops = append(rp.ForceDrops, fmt.Sprintf("table %s (%s): created by the tracked %s; rolled back, %s", t, count, m.Path, comes))
		}
		for _, c := range columns {
			comes := "its values do not come back"
			if keepData {
				comes = "keep_data puts its values back from the backup (not with --no-keep-data)"
			}
			rp.ForceDrops = append(rp.ForceDrops, fmt.Sprintf("column %s: added by the tracked %s; %s", c, m.Path, comes))
		}
	}
}
