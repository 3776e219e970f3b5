package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen"
)

// Keep writes the keep_data step's reports (issue 12), per database:
//
//	kept: posts.subtitle (41 rows), tags (12 rows)
//	not kept: posts.rating (column gone, 41 values)
func Keep(w io.Writer, reps []migrator.KeepReport) {
	for _, l := range KeepLines(reps) {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// KeepLines is Keep's lines; several databases are told apart by repo
// (and schema).
func KeepLines(reps []migrator.KeepReport) []string {
	var out []string
	for _, r := range reps {
		prefix := ""
		if len(reps) > 1 {
			prefix = r.Repo
			if r.Schema != "" {
				prefix += " (" + r.Schema + ")"
			}
			prefix += ": "
		}
		if r.Note != "" {
			out = append(out, prefix+r.Note)
		}
		var kept, not []string
		for _, k := range r.Kept {
			kept = append(kept, fmt.Sprintf("%s (%s)", keepName(k.Table, k.Column), plural(k.Rows, "row")))
		}
		for _, n := range r.NotKept {
			unit := "row"
			if n.Column != "" && n.Reason != migrator.KeepNotNull {
				unit = "value"
			}
			not = append(not, fmt.Sprintf("%s (%s, %s)", keepName(n.Table, n.Column), KeepReason(n.Reason), plural(n.Count, unit)))
		}
		if len(kept) > 0 {
			out = append(out, prefix+"kept: "+strings.Join(kept, ", "))
		}
		if len(not) > 0 {
			out = append(out, prefix+"not kept: "+strings.Join(not, ", "))
		}
		if len(kept)+len(not) == 0 && r.Note == "" {
			out = append(out, prefix+"kept: nothing to carry over (no data the run had changed)")
		}
	}
	return out
}

func keepName(table, col string) string {
	if col == "" {
		return table
	}
	return table + "." + col
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return Count(int(n)) + " " + unit + "s"
}

// KeepReason is a reason in words.
func KeepReason(r migrator.KeepReason) string {
	switch r {
	case migrator.KeepTableGone:
		return "table gone"
	case migrator.KeepColumnGone:
		return "column gone"
	case migrator.KeepTypeChanged:
		return "type changed, does not convert"
	case migrator.KeepNotNull:
		return "NOT NULL without default"
	case migrator.KeepNoPrimaryKey:
		return "no primary key"
	case migrator.KeepForeignKey:
		return "parent row gone"
	}
	return string(r)
}

var _ regen.KeepReporter = (*Reporter)(nil)

// Keep shows the keep_data step's reports, before the run's summary.
func (r *Reporter) Keep(reps []migrator.KeepReport) { Keep(r.W, reps) }
