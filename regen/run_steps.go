package regen

import (
	"context"
	"fmt"
	"github.com/regen-tool/regen/regen/project"
	"path/filepath"
	"strings"
)

// The run's steps, in one list. To add a step, write its Step (name, run,
// and, when it is a mix task that may share a start, Task and Verify) and
// put it into the list: journal, fault points, timings, compensation and
// the one-mix-start rule follow from the list.
//
// Each mix start boots the BEAM and checks the compile (1–3 s on a real
// project); the script pays it three times. So consecutive mix steps share
// one start (foldMix): the tasks are joined as `mix do a + b + …`, which
// runMixIn turns into one task driver (driver.go) that reenables each task,
// since Mix itself runs a repeated task only once per VM. What is given up
// is the check between the steps, not the check: the database is verified
// after the whole command against exactly the versions it must then hold,
// and any difference is compensated like any other failure.

// steps is the list of the run's changing steps, after the backup and
// before the commit.
func (t *txn) steps() []Step {
	if t.kind == RunSync {
		return t.syncSteps() // sync.go
	}
	steps := []Step{
		{Name: stepKeepPrepare, Run: t.prepareKeep},
		{Name: stepRollback, Run: t.rollback, Task: t.rollbackTasks, Prepare: t.prepareRollbackDirs, Verify: t.verifyRollbackShared, Describe: t.describeRollback},
		{Name: stepRemove, Run: t.remove, FilesOnly: true},
		{Name: stepCodegen, Run: t.codegen, Task: t.codegenTasks, Around: t.recordCreated, Describe: func() string { return "codegen " + t.opts.Name }},
		{Name: stepMigrate, Run: t.migrate, Task: t.migrateTasks, Describe: t.describeMigrate},
		{Name: stepKeepData, Run: t.keepData, KeepsFiles: true},
		{Name: stepVerify, Run: t.verify, KeepsFiles: true},
	}
	return t.foldSteps(steps)
}

// foldSteps is what runs of a run's (or a sync's) step list: the steps as
// they are when one VM serves each step's tasks as regen asks (each
// verified before the next: vmdriver.go) or they need separate starts,
// else the one-mix-start folding.
func (t *txn) foldSteps(steps []Step) []Step {
	if t.separateStarts() != "" || t.oneVM() {
		return steps
	}
	return foldMix(steps, t.proj.cfg.Mix, t.runShared)
}

// stepNames are the names of the steps a run takes, backup to commit.
// The tasks are only built, not prepared: a dry run names them too.
func (t *txn) stepNames() []StepName {
	names := []StepName{stepBackup}
	for _, s := range t.steps() {
		names = append(names, s.Name)
	}
	return append(names, stepCommit)
}

// separateStarts says why the run's mix steps must each have their own mix
// start ("" when they may share one).
func (t *txn) separateStarts() string {
	cfg := t.proj.cfg
	if !cfg.OneVM {
		return "one_vm = false"
	}
	if cfg.Umbrella {
		// An umbrella's repo tasks run in their app's folder: no shared start.
		return "an umbrella's tasks run in each app's folder"
	}
	for _, rp := range t.plan.Repos {
		// A rebuild needs the database in between; so does a down that will raise.
		if len(rp.Rollback) > 0 && (rp.RollbackBy != StrategyDown || rp.DownRaises != "") {
			return "the rollback of " + rp.Name + " may need a rebuild"
		}
	}
	return ""
}

// oneVM: the run's mix steps go to the one-VM driver (a dry run names
// the steps the run would take).
func (t *txn) oneVM() bool {
	return (t.e.wantVM || t.opts.DryRun) && vmUnavailable(t.proj.cfg) == ""
}

// hasTasks: one of steps runs mix tasks.
func hasTasks(steps []Step) bool {
	for _, s := range steps {
		if s.Task != nil {
			return true
		}
	}
	return false
}

// runShared runs the folded mix tasks in one start.
func (t *txn) runShared(ctx context.Context, detail string, argv []string) error {
	t.e.rep.StepStart(string(stepMixDo), detail)
	return t.runMix(ctx, stepMixDo, argv)
}

// rollbackTasks are the tenant and repo rollbacks as tasks, over the
// folders prepareRollbackDirs fills.
func (t *txn) rollbackTasks() ([][]string, bool) {
	cfg := t.proj.cfg
	var tasks [][]string
	for i, rp := range t.plan.Repos {
		if rp.tenantWork() {
			tt, err := t.tenantRollbackTasks(i)
			if err != nil {
				return nil, false
			}
			tasks = append(tasks, tt...)
		}
		if len(rp.Rollback) == 0 {
			continue
		}
		task, ok := withoutMix(project.Expand(cfg.Rollback, []string{"{mix}"}, map[string]string{"dir": t.rollbackDirPath(rp), "repo": cfg.Repos[i].Module}))
		if !ok {
			return nil, false
		}
		tasks = append(tasks, task)
	}
	return tasks, true
}

// prepareRollbackDirs copies the rollback sets into their folders.
func (t *txn) prepareRollbackDirs() error {
	for i, rp := range t.plan.Repos {
		if rp.tenantWork() {
			if err := t.prepareTenantRollbackDir(i); err != nil {
				return err
			}
		}
		if len(rp.Rollback) > 0 {
			if _, err := t.prepareRollbackDir(rp); err != nil {
				return err
			}
		}
	}
	return nil
}

// verifyRollbackShared: after a shared start, versions alone cannot tell a
// rolled-back migration from its regeneration if both carry the same version.
func (t *txn) verifyRollbackShared(context.Context) error {
	for _, rec := range t.j.Repos {
		for _, v := range rec.New {
			if containsVersion(rec.Rollback, v) {
				return fmt.Errorf("the regenerated migration reuses version %d of a rolled-back one, so one mix start cannot be verified; run again with REGEN_ONE_VM=0", v)
			}
		}
	}
	return nil
}

func (t *txn) describeRollback() string {
	var parts []string
	for _, rp := range t.plan.Repos {
		if len(rp.Rollback) > 0 {
			parts = append(parts, fmt.Sprintf("roll back %s: %s", rp.Name, describeVersions(rp.Rollback)))
		}
	}
	return strings.Join(parts, "; ")
}

func (t *txn) codegenTasks() ([][]string, bool) {
	task, ok := withoutMix(project.Expand(t.proj.cfg.Codegen, []string{"{mix}"}, map[string]string{"name": t.opts.Name}))
	if !ok {
		return nil, false
	}
	return [][]string{task}, true
}

// migrateTasks: the repos' migrate and, with tenants, the tenants'; none
// when the run applies nothing.
func (t *txn) migrateTasks() ([][]string, bool) {
	cfg := t.proj.cfg
	if !t.opts.Migrate && !t.hasReapply() {
		return nil, true
	}
	migrate, ok := withoutMix(project.Expand(cfg.Migrate, []string{"{mix}"}, nil))
	if !ok {
		return nil, false
	}
	tasks := [][]string{migrate}
	if t.hasTenants() && cfg.TenantMigrate != nil {
		tm, ok := withoutMix(project.Expand(cfg.TenantMigrate, []string{"{mix}"}, nil))
		if !ok {
			return nil, false
		}
		tasks = append(tasks, tm)
	}
	return tasks, true
}

func (t *txn) describeMigrate() string {
	if t.opts.Migrate {
		return "migrate"
	}
	return ""
}

// withoutMix strips the leading {mix} of an expanded template: only
// templates that are mix tasks can share a mix start.
func withoutMix(argv []string) ([]string, bool) {
	if len(argv) < 2 || argv[0] != "{mix}" {
		return nil, false
	}
	for _, a := range argv[1:] {
		if a == "+" {
			return nil, false
		}
	}
	return argv[1:], true
}

func (t *txn) hasReapply() bool {
	for _, rp := range t.plan.Repos {
		if len(rp.Reapply) > 0 {
			return true
		}
	}
	return false
}

func (t *txn) rollbackDirPath(rp RepoPlan) string {
	return filepath.Join(t.backupDir(), "rollback", rp.Name)
}

// backupDir is the run's backup folder ("" before the run has one: a dry
// run names its steps without preparing any).
func (t *txn) backupDir() string {
	if t.j == nil {
		return ""
	}
	return t.j.BackupDir
}
