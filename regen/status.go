package regen

import (
	"context"
	"strings"
)

// Status is `regen status`: the plan for any name, plus the state of the
// transaction machinery. It reads git and the databases only: no mix.
type Status struct {
	Plan        *Plan    `json:"plan"`
	OpenJournal *Journal `json:"open_journal,omitempty"`
	// DamagedJournal: an interrupted run's journal cannot be read.
	DamagedJournal *DamagedJournal `json:"damaged_journal,omitempty"`
	Running        *LockInfo       `json:"running,omitempty"`  // a live run holds the lock
	LastRun        string          `json:"last_run,omitempty"` // what `regen undo` would undo
	StateDir       string          `json:"state_dir"`
	Config         string          `json:"config"`
	Preset         string          `json:"preset"`
	Mix            string          `json:"mix"`
}

func (e *Engine) Status(ctx context.Context) (*Status, error) {
	st := &Status{StateDir: e.stateDir}
	j, err := loadJournal(e.stateDir)
	st.Running = e.Running()
	if st.Running == nil {
		st.OpenJournal = j
		if err != nil {
			st.DamagedJournal = e.damagedJournalStatus(err)
		}
	}
	if run, err := e.lastRun(); err == nil {
		st.LastRun = run.RunID
	}
	proj, err := e.loadProject(ctx)
	if err != nil {
		return nil, err
	}
	proj.storeReadOnly = st.Running != nil || st.OpenJournal != nil || st.DamagedJournal != nil
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
	strategy, err := resolveStrategy("", proj.cfg.RollbackStrategy)
	if err != nil {
		return nil, err
	}
	proj.predict(ctx, plan, strategy.Strategy)
	proj.resolvePhantoms(ctx, plan)
	st.Plan = plan
	return st, nil
}
