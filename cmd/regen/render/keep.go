package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/regen-tool/regen/regen"
)

// Keep writes the keep_data step's reports (issue 12), per database:
//
//	kept: posts.subtitle (41 rows), tags (12 rows)
//	not kept: posts.rating (column gone, 41 values)
func Keep(w io.Writer, reps []regen.KeepReport) {
	for _, l := range KeepLines(reps) {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// KeepLines is Keep's lines; several databases are told apart by repo
// (and schema).
func KeepLines(reps []regen.KeepReport) []string {
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
			if n.Column != "" && n.Reason != regen.KeepNotNull {
				unit = "value"
			}
			count := "count not known"
			if n.Count >= 0 {
				count = plural(n.Count, unit)
			}
			not = append(not, fmt.Sprintf("%s (%s, %s)", keepName(n.Table, n.Column), KeepReason(n.Reason), count))
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
func KeepReason(r regen.KeepReason) string {
	switch r {
	case regen.KeepTableGone:
		return "table gone"
	case regen.KeepColumnGone:
		return "column gone"
	case regen.KeepTypeChanged:
		return "type changed, does not convert"
	case regen.KeepNotNull:
		return "NOT NULL without default"
	case regen.KeepNoPrimaryKey:
		return "no primary key"
	case regen.KeepForeignKey:
		return "parent row gone"
	case regen.KeepVirtual:
		return "virtual table"
	}
	return string(r)
}

var _ regen.KeepReporter = (*Reporter)(nil)

// Keep shows the keep_data step's reports, before the run's summary.
func (r *Reporter) Keep(reps []regen.KeepReport) { Keep(r.W, reps) }

// keepForecastLines is the plan's "keep data" listing: the rule (or why a
// run as asked keeps nothing), then the tables and columns with counts.
func keepForecastLines(fc *regen.KeepForecast) []string {
	if fc == nil {
		return nil
	}
	var items []string
	for _, it := range fc.Items {
		unit := "row"
		if it.Column != "" {
			unit = "value"
		}
		count := "count not known"
		if it.Count >= 0 {
			count = plural(it.Count, unit)
		}
		items = append(items, fmt.Sprintf("%s (%s)", keepName(it.Table, it.Column), count))
	}
	if len(items) == 0 {
		if fc.Off != "" {
			return []string{"nothing: " + fc.Off}
		}
		return []string{"nothing the rollback drops holds data"}
	}
	head := fc.Rule + ":"
	if fc.Off != "" {
		head = "nothing carried (" + fc.Off + "); left in the run's backup:"
	}
	return []string{head, strings.Join(items, ", ")}
}
