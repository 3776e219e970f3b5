package regen

import (
	"context"
	"strings"

	"github.com/regen-tool/regen/migrator"
)

// The keep_data step's forecast for --dry-run and `regen status` (issue
// 12). A dry run cannot run codegen, so which columns and tables the
// regenerated migration has again is not known. The rule: the tables and
// columns the `up` of the rollback set's files creates (create table,
// alter table … add; the same reading as the rebuild's "drops"), that
// exist in the database now, with their rows (tables) and non-NULL values
// (columns) now. Each is kept if the regenerated migration has it again;
// else it is not kept and stays in the run's backup for `regen undo`.

// KeepRule is the forecast's rule, for people and --json readers.
const KeepRule = "kept if the regenerated migration has them again, else left in the run's backup"

// KeepForecast is what a run would carry over, per repo.
type KeepForecast struct {
	Rule string `json:"rule"`
	// Off says why a run as asked carries nothing (no -m, keep_data off,
	// --no-keep-data); the items are then what it leaves in the backup.
	Off   string             `json:"off,omitempty"`
	Items []KeepForecastItem `json:"items"`
}

// KeepForecastItem is one table (Column empty: Count rows) or column
// (Count non-NULL values) the rollback drops; Count -1: not known.
type KeepForecastItem struct {
	Table  string `json:"table"`
	Column string `json:"column,omitempty"`
	Count  int64  `json:"count"`
}

// forecastKeep fills rp.Keep from the rollback set's files and the
// database (read only).
func (p *workspace) forecastKeep(ctx context.Context, db database, pl *Plan, rp *RepoPlan, rows map[string]int64) {
	rp.Keep = nil
	if len(rp.Rollback) == 0 {
		return
	}
	fc := &KeepForecast{Rule: KeepRule, Items: []KeepForecastItem{}}
	switch {
	case !p.cfg.KeepData:
		fc.Off = "keep_data = false in .regen.toml"
	case pl.Name != "" && !pl.Migrate && len(rp.Reapply) == 0:
		fc.Off = "no -m: nothing is migrated, so nothing is carried over"
	}
	seen := map[string]bool{}
	var cols []migrator.TableColumn
	for _, m := range rp.Rollback {
		_, tables, columns, ok := migrationEffects(p.cfg.Root, m)
		if !ok {
			continue
		}
		for _, t := range tables {
			n, known := rows[t]
			if seen[t] || (!known && rows != nil) {
				continue // already listed, or not in the database
			}
			seen[t] = true
			if !known {
				n = -1
			}
			fc.Items = append(fc.Items, KeepForecastItem{Table: t, Count: n})
		}
		for _, c := range columns {
			t, col, _ := strings.Cut(c, ".")
			if seen[c] || seen[t] {
				continue // a column of a table the set creates is in the table's rows
			}
			seen[c] = true
			cols = append(cols, migrator.TableColumn{Table: t, Column: col})
		}
	}
	var values map[migrator.TableColumn]int64
	if len(cols) > 0 {
		values, _ = db.NonNullCounts(ctx, cols) // unknown counts show as -1
	}
	for _, c := range cols {
		n, known := values[c]
		if !known {
			if values != nil {
				continue // not in the database now
			}
			n = -1
		}
		fc.Items = append(fc.Items, KeepForecastItem{Table: c.Table, Column: c.Column, Count: n})
	}
	rp.Keep = fc
}

// keepOff marks every repo's forecast off for the reason (--no-keep-data).
func (pl *Plan) keepOff(why string) {
	for i := range pl.Repos {
		if fc := pl.Repos[i].Keep; fc != nil && fc.Off == "" {
			fc.Off = why
		}
	}
}
