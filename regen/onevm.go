package regen

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// Each mix start boots the BEAM and checks the compile (1–3 s on a real
// project); the script pays it three times. Here rollback, codegen and
// migrate share one start: the tasks are joined as `mix do a + b + …`,
// which runMixIn turns into one task driver (driver.go) that reenables
// each task, since Mix itself runs a repeated task only once per VM. What is given up is the
// check between the steps, not the check: the database is verified after
// the whole command against exactly the versions it must then hold, and any
// difference is compensated like any other failure.

// oneVM builds the combined command, or says why the steps must stay apart.
func (t *txn) oneVM() ([]string, bool) {
	cfg := t.proj.cfg
	if !cfg.OneVM || cfg.Umbrella {
		// An umbrella's repo tasks run in their app's folder: no shared start.
		return nil, false
	}
	for _, rp := range t.plan.Repos {
		// A rebuild needs the database in between; so does a down that will raise.
		if len(rp.Rollback) > 0 && (rp.RollbackBy != StrategyDown || rp.DownRaises != "") {
			return nil, false
		}
	}
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
		dir := t.rollbackDirPath(rp)
		task, ok := withoutMix(expand(cfg.Rollback, []string{"{mix}"}, map[string]string{"dir": dir, "repo": cfg.Repos[i].Module}))
		if !ok {
			return nil, false
		}
		tasks = append(tasks, task)
	}
	codegen, ok := withoutMix(expand(cfg.Codegen, []string{"{mix}"}, map[string]string{"name": t.opts.Name}))
	if !ok {
		return nil, false
	}
	tasks = append(tasks, codegen)
	if t.opts.Migrate || t.hasReapply() {
		migrate, ok := withoutMix(expand(cfg.Migrate, []string{"{mix}"}, nil))
		if !ok {
			return nil, false
		}
		tasks = append(tasks, migrate)
		if t.hasTenants() && cfg.TenantMigrate != nil {
			tm, ok := withoutMix(expand(cfg.TenantMigrate, []string{"{mix}"}, nil))
			if !ok {
				return nil, false
			}
			tasks = append(tasks, tm)
		}
	}
	if len(tasks) < 2 {
		return nil, false // nothing to share
	}
	argv := append(append([]string{}, cfg.Mix...), "do")
	for i, task := range tasks {
		if i > 0 {
			argv = append(argv, "+")
		}
		argv = append(argv, task...)
	}
	return argv, true
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
	return filepath.Join(t.j.BackupDir, "rollback", rp.Name)
}

// mixDo prepares the rollback folders (from the backup: the files are
// already removed), runs the one combined command and records what codegen
// wrote.
func (t *txn) mixDo(ctx context.Context, argv []string) error {
	var parts []string
	for _, rp := range t.plan.Repos {
		if len(rp.Rollback) > 0 {
			parts = append(parts, fmt.Sprintf("roll back %s: %s", rp.Name, describeVersions(rp.Rollback)))
		}
	}
	parts = append(parts, "codegen "+t.opts.Name)
	if t.opts.Migrate {
		parts = append(parts, "migrate")
	}
	t.e.rep.StepStart(stepMixDo, strings.Join(parts, "; "))
	return t.generate(ctx, stepMixDo, argv)
}
