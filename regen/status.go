package regen

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Status is `regen status`: the plan for any name, plus the state of the
// transaction machinery. It reads git and the databases only: no mix.
type Status struct {
	Plan        *Plan     `json:"plan"`
	OpenJournal *Journal  `json:"open_journal,omitempty"`
	Running     *LockInfo `json:"running,omitempty"`  // a live run holds the lock
	LastRun     string    `json:"last_run,omitempty"` // what `regen undo` would undo
	StateDir    string    `json:"state_dir"`
	Config      string    `json:"config"`
	Preset      string    `json:"preset"`
	Mix         string    `json:"mix"`
}

func (e *Engine) Status(ctx context.Context) (*Status, error) {
	st := &Status{StateDir: e.stateDir}
	j, err := loadJournal(e.stateDir)
	if err != nil {
		return nil, &NeedsRecoverError{RunID: "unknown", Step: "unknown", Journal: journalPath(e.stateDir), Damaged: err}
	}
	st.Running = e.Running()
	if st.Running == nil {
		st.OpenJournal = j
	}
	if run, err := e.lastRun(); err == nil {
		st.LastRun = run.RunID
	}
	proj, err := e.loadProject(ctx)
	if err != nil {
		return nil, err
	}
	st.Config = proj.cfg.File
	if st.Config == "" {
		st.Config = "detected (no .regen.toml)"
	}
	st.Preset = proj.cfg.Preset
	st.Mix = strings.Join(proj.cfg.Mix, " ") + " (" + proj.cfg.MixFrom + ")"
	plan, err := proj.plan(ctx, "", false, false)
	if err != nil {
		return nil, err
	}
	strategy := proj.cfg.RollbackStrategy
	if strategy == "" {
		strategy = StrategyAuto
	}
	proj.predict(ctx, plan, strategy)
	st.Plan = plan
	return st, nil
}

// WritePlan renders a plan for people: per repo, what is there and what a
// run would do.
func WritePlan(w io.Writer, p *Plan) {
	for _, rp := range p.Repos {
		fmt.Fprintf(w, "repo %s  (%s, %s)\n", rp.Name, rp.Migrations, rp.Database)
		fmt.Fprintf(w, "  applied             %d version(s)\n", len(rp.Applied))
		list := func(label string, items []string) {
			if len(items) == 0 {
				return
			}
			fmt.Fprintf(w, "  %-19s %s\n", label, items[0])
			for _, it := range items[1:] {
				fmt.Fprintf(w, "  %-19s %s\n", "", it)
			}
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
		if len(rp.Tenants) > 0 {
			rolled := 0
			var lines []string
			for _, tp := range rp.Tenants {
				if len(tp.Rollback) > 0 {
					rolled++
					if len(lines) < 5 {
						lines = append(lines, fmt.Sprintf("%s: roll back %v", tp.Prefix, tp.Rollback))
					}
				}
			}
			list("tenants", append([]string{fmt.Sprintf("%d schema(s), %d to roll back", len(rp.Tenants), rolled)}, lines...))
			list("tenant notes", rp.TenantNotes)
		}
		var re []string
		for _, m := range rp.Reapply {
			re = append(re, m.Path+"  (tracked: rolled back, then applied again)")
		}
		list("will re-apply", re)
		var blocked []string
		for _, m := range rp.BlockedBy {
			blocked = append(blocked, m.Path+"  (tracked, applied after an untracked one)")
		}
		list("blocks the run", blocked)
		var orphans []string
		for _, v := range rp.Orphans {
			orphans = append(orphans, fmt.Sprintf("%d  (applied, no file: Ecto skips it)", v))
		}
		list("orphaned versions", orphans)
		list("edited (kept)", rp.ChangedMigrations)
		list("stray (kept)", rp.Stray)
		list("ignored (kept)", rp.Ignored)
		if len(rp.Holders) > 0 {
			list("database open in", append(rp.Holders, "(restores go through SQLite, so they see them; a write they keep open makes regen wait)"))
		}
		if rp.Empty() && len(rp.BlockedBy) == 0 {
			fmt.Fprintf(w, "  nothing to roll back or remove\n")
		}
	}
	if p.Blocked != "" {
		fmt.Fprintf(w, "\nA run would stop: %s\n", p.Blocked)
	}
}
