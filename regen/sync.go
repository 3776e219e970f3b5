package regen

import (
	"context"
	"fmt"
	"strings"
)

// `regen sync`: make the database match the checked-out migrations. After a
// branch switch the database may hold versions whose files the work tree no
// longer has (phantoms: Ecto skips them and cannot roll them back) and lack
// the ones the branch added. A sync is the run's transaction with its own
// step list: roll the phantoms back, newest first, from their recovered
// files in a folder of the run's own (--migrations-path, as the rollback
// set of a regen run), verify; apply the work tree's pending migrations
// (tenants too), keep the data (issue 12), verify; commit. The issue 7
// strategies apply to the rollback (a `down` that raises on SQLite: rebuild).
// The work tree is never changed.

// SyncOptions is `regen sync [--dry-run] [--skip-missing]`.
type SyncOptions struct {
	DryRun bool
	// SkipMissing leaves a phantom whose file is nowhere applied, and syncs
	// the rest; without it such a phantom stops the sync before any change.
	SkipMissing bool
	Rollback    string // the strategy: auto, down or rebuild ("" = config, then auto)
	NoKeepData  bool
	Command     string // the command line, for the lock and the journal
}

// SyncResult says what a sync did (or, dry, would do).
type SyncResult struct {
	*RunResult
	Phantoms   []SyncPhantom // every phantom the plan found, with where its file is
	RolledBack []SyncPhantom // the ones rolled back (to be rolled back, dry)
	Skipped    []SyncPhantom // left applied (--skip-missing)
	Pending    int           // work-tree migrations applied (to be applied, dry)
	// NothingToDo: the database matched the work tree; no run was started.
	NothingToDo bool
}

// Sync rolls back the phantoms and applies the pending migrations, as one
// transaction. Nothing changes before the whole plan is known to be
// possible: a phantom whose file is found nowhere stops it first (unless
// SkipMissing).
func (e *Engine) Sync(ctx context.Context, o SyncOptions) (*SyncResult, error) {
	if o.Rollback != "" {
		if _, err := strategyOption(o.Rollback); err != nil {
			return nil, err
		}
	}
	lk, err := e.runGuard(o.DryRun, o.Command)
	if err != nil {
		return nil, err
	}
	defer lk.release()
	// The same one VM as a regen run's (vmdriver.go): the config query
	// on a cold cache, the rollback and the migrate, each verified.
	defer e.useOneVM(o.DryRun)()

	proj, err := e.loadRunProject(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := proj.plan(ctx, "", true, false)
	if err != nil {
		return nil, err
	}
	sp, err := e.planSync(ctx, proj, plan)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{RunResult: &RunResult{Plan: plan}, Phantoms: sp.phantoms, Pending: sp.pending}
	for _, ph := range sp.phantoms {
		if ph.Missing() {
			res.Skipped = append(res.Skipped, ph)
		} else {
			res.RolledBack = append(res.RolledBack, ph)
		}
	}
	strategy, err := resolveStrategy(o.Rollback, proj.cfg.RollbackStrategy)
	if err != nil {
		return res, err
	}
	proj.predict(ctx, plan, strategy.Strategy)
	if o.NoKeepData {
		plan.keepOff("--no-keep-data")
	}
	t := &txn{e: e, proj: proj, plan: plan, root: proj.cfg.Root, strategy: strategy, kind: RunSync,
		opts: RunOptions{Migrate: sp.pending > 0, DryRun: o.DryRun, Rollback: o.Rollback, Command: o.Command, NoKeepData: o.NoKeepData}}
	plan.Migrate = sp.pending > 0
	plan.Steps = t.stepNames()
	e.rep.Plan(plan)
	if missing := sp.missing(); len(missing) > 0 && !o.SkipMissing {
		res.Skipped = nil
		return res, missingError(missing)
	}
	if err := plan.problemsError(); err != nil {
		return res, err // the sync would fail and restore: refuse first
	}
	if sp.rollbackCount() == 0 && sp.pending == 0 {
		res.NothingToDo = true
		return res, nil
	}
	if o.DryRun {
		return res, nil
	}
	if err := checkMix(proj.cfg); err != nil {
		return res, err
	}
	if err := t.execute(ctx, res.RunResult); err != nil {
		return res, err
	}
	res.Timings, res.Report, res.Keep = t.j.Timings, t.j.Report, t.j.Keep
	e.reportKeep(res.Keep)
	return res, nil
}

// missingError: phantoms whose file is nowhere cannot be rolled back, so
// the sync cannot make the database match; nothing was changed.
func missingError(missing []SyncPhantom) error {
	var names []string
	for _, ph := range missing {
		names = append(names, ph.String())
	}
	return &ConflictError{
		What: fmt.Sprintf("the database has applied %s, whose migration file is in no branch, tag, stash or reflog of git, nor in regen's store, so it cannot be rolled back.", strings.Join(names, ", ")),
		Next: "Put the file back in the migrations folder and run `regen sync` again, or run `regen sync --skip-missing` to leave it applied and sync the rest.",
	}
}

// syncSteps is a sync's list (between the backup and the commit): the
// phantoms' rollback when there are any, the migrate when something is
// pending (with the keep steps around it), and the verification.
func (t *txn) syncSteps() []Step {
	var steps []Step
	if t.hasRollback() {
		steps = append(steps, Step{Name: stepRollback, Run: t.rollback, Task: t.rollbackTasks, Prepare: t.prepareRollbackDirs, Verify: t.verifyRollbackShared, Describe: t.describeRollback})
	}
	if t.opts.Migrate {
		keepPrepare := Step{Name: stepKeepPrepare, Run: t.prepareKeep}
		steps = append([]Step{keepPrepare}, steps...)
		steps = append(steps,
			Step{Name: stepMigrate, Run: t.migrate, Task: t.migrateTasks, Describe: t.describeMigrate},
			Step{Name: stepKeepData, Run: t.keepData})
	}
	steps = append(steps, Step{Name: stepVerify, Run: t.verify})
	return t.foldSteps(steps)
}

// hasRollback: the plan rolls something back (a repo's set or a tenant's).
func (t *txn) hasRollback() bool {
	for _, rp := range t.plan.Repos {
		if len(rp.Rollback) > 0 || rp.tenantWork() {
			return true
		}
	}
	return false
}
