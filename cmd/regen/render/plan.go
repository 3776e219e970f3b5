package render

import (
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/regen-tool/regen/regen"
)

// PlanOptions say how much of a plan to show.
type PlanOptions struct {
	Verbose     bool // list every item of long listings
	ListApplied bool // list the applied versions (status), not only count them
}

// Plan renders a plan for people: per repo, what is there, what a run
// would do, and what would make it fail.
func Plan(w io.Writer, p *regen.Plan, o PlanOptions) {
	for _, rp := range p.Repos {
		writeRepo(w, rp, o)
	}
	if p.Blocked != "" {
		fmt.Fprintf(w, "\nA run would stop: %s\n", p.Blocked)
	}
	for _, rp := range p.Repos {
		if len(rp.Blocking()) > 0 {
			fmt.Fprintf(w, "\nA run would fail in codegen or migrate (WOULD FAIL above), so it refuses before changing anything: run the fixes first.\n")
			break
		}
	}
}

// Steps names the steps a run of the plan takes, from the engine's list
// (one mix start shows as its one step, mixdo).
func Steps(p *regen.Plan) string {
	names := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		names[i] = s.String()
	}
	return strings.Join(names, " → ")
}

func writeRepo(w io.Writer, rp regen.RepoPlan, o PlanOptions) {
	list := func(label string, items []string) {
		for i, it := range Summarize(items, o.Verbose) {
			if i > 0 {
				label = ""
			}
			fmt.Fprintf(w, "  %-19s %s\n", label, it)
		}
	}
	fmt.Fprintf(w, "repo %s  (%s, %s)\n", rp.Name, rp.Migrations, rp.Database)
	if o.ListApplied && len(rp.Applied) > 0 {
		list("applied", appliedLines(rp))
	} else {
		fmt.Fprintf(w, "  %-19s %s version(s)\n", "applied", Count(len(rp.Applied)))
	}
	var untracked []string
	for _, m := range rp.Untracked {
		state := "not applied"
		if m.Applied {
			state = "applied"
		}
		if m.Committed {
			state += ", committed since the base"
		}
		untracked = append(untracked, fmt.Sprintf("%s  (%s)", m.Path, state))
	}
	list("untracked", untracked)
	var rb []string
	for i := len(rp.Rollback) - 1; i >= 0; i-- {
		rb = append(rb, rp.Rollback[i].Path)
	}
	list("will roll back", rb)
	list("will remove", rp.Remove)
	list("will restore", rp.RestoreTracked)
	list("back to base", rp.RestoreBase)
	if rp.Strategy != "" {
		list("rollback by", []string{rp.Strategy})
	}
	list("rebuild drops", rp.WouldDrop)
	list("keep data", keepForecastLines(rp.Keep))
	if len(rp.Tenants) > 0 {
		rolled := 0
		var lines []string
		for _, tp := range rp.Tenants {
			if len(tp.Rollback) > 0 {
				rolled++
				lines = append(lines, fmt.Sprintf("%s: roll back %v", tp.Prefix, tp.Rollback))
			}
		}
		list("tenants", append([]string{fmt.Sprintf("%s schema(s), %s to roll back", Count(len(rp.Tenants)), Count(rolled))}, lines...))
		list("tenant notes", rp.TenantNotes)
	}
	var re []string
	for _, m := range rp.Reapply {
		re = append(re, m.Path+"  (tracked: rolled back, then applied again)")
	}
	list("will re-apply", re)
	list("--force drops", rp.ForceDrops)
	var blocked []string
	for _, m := range rp.BlockedBy {
		blocked = append(blocked, m.Path+"  (tracked, applied after an untracked one)")
	}
	list("blocks the run", blocked)
	var stay []string
	for _, m := range rp.BaseAfter {
		stay = append(stay, m.Path+"  (the base's, applied after the branch's: stays applied)")
	}
	for _, tp := range rp.Tenants {
		if len(tp.BaseAfter) > 0 {
			stay = append(stay, fmt.Sprintf("tenant %s: %v (the base's: stay applied)", tp.Prefix, tp.BaseAfter))
		}
	}
	list("stays applied", stay)
	if len(rp.Phantoms) > 0 || len(rp.TenantPhantoms) > 0 {
		list("phantoms", phantomLines(rp.Phantoms))
		list("tenant phantoms", phantomLines(rp.TenantPhantoms))
	} else {
		var orphans []string
		for _, v := range rp.Orphans {
			orphans = append(orphans, fmt.Sprintf("%d  (applied, no file: Ecto skips it)", v))
		}
		list("orphaned versions", orphans)
	}
	list("edited after applied", editedLines(rp.EditedAfterApplied))
	list("tenant edited after applied", editedLines(rp.TenantEditedAfterApplied))
	var fails, notes []string
	for _, pr := range rp.Problems {
		lines := []string{pr.What}
		if pr.Next != "" {
			lines = append(lines, "  fix: "+pr.Next)
		}
		if pr.Blocks {
			fails = append(fails, lines...)
		} else {
			notes = append(notes, lines...)
		}
	}
	list("WOULD FAIL", fails)
	list("note", notes)
	list("edited (kept)", rp.ChangedMigrations)
	if len(rp.StagedNew) > 0 {
		list("staged, uncommitted", append(append([]string{}, rp.StagedNew...), "(a run stops: unstage them to regenerate, or commit them)"))
	}
	list("stray (kept)", rp.Stray)
	list("ignored (kept)", rp.Ignored)
	if len(rp.Holders) > 0 {
		list("database open in", append(rp.Holders, "(restores go through SQLite, so they see them; a write they keep open makes regen wait)"))
	}
	if rp.Empty() && len(rp.BlockedBy) == 0 {
		fmt.Fprintf(w, "  nothing to roll back or remove\n")
	}
}

// appliedLines names each applied version by its file and whether git
// tracks it.
func appliedLines(rp regen.RepoPlan) []string {
	name := map[int64]string{}
	for _, m := range rp.Tracked {
		name[m.Version] = m.Path + "  (tracked)"
	}
	for _, m := range rp.Untracked {
		name[m.Version] = m.Path + "  (untracked)"
	}
	for _, ph := range rp.Phantoms {
		name[ph.Version] = "(no file here: a phantom, listed below)"
	}
	out := make([]string, 0, len(rp.Applied))
	for _, v := range rp.Applied {
		n, ok := name[v]
		if !ok {
			n = "(no file)"
		}
		out = append(out, strconv.FormatInt(v, 10)+"  "+n)
	}
	return out
}

// phantomLines names each phantom (an applied version with no file in the
// work tree) and where its file was found.
func phantomLines(ps []regen.Phantom) []string {
	out := make([]string, 0, len(ps))
	for _, ph := range ps {
		line := strconv.FormatInt(ph.Version, 10)
		if ph.File != "" {
			line += "  " + ph.File
		}
		line += "  (applied, no file here; " + ph.Where.String() + ")"
		if len(ph.Tenants) > 0 {
			line += "  in " + Count(len(ph.Tenants)) + " tenant(s): " + strings.Join(ph.Tenants, ", ")
		}
		out = append(out, line)
	}
	return out
}

// editedLines names applied migrations whose file changed since.
func editedLines(es []regen.EditedMigration) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		line := e.Path + "  (differs from what was applied"
		if e.AppliedAs != "" && e.AppliedAs != path.Base(e.Path) {
			line += " as " + e.AppliedAs
		}
		out = append(out, line+"; the database has the old version)")
	}
	return out
}
