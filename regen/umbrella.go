package regen

import "context"

// At an umbrella's root a recursive mix task (ash.codegen, ash.migrate,
// ecto.rollback, …) runs in each app's folder in turn, with that app's
// project loaded. A task driver run at the root would not do that for its
// database check (each app's repos are only known in the app, and a relative
// database path is relative to the app's folder) and Mix.Task.run at the root
// is what skips a repeated task. So a mix command given at the root runs as
// one task driver per app that has repos, in that app's folder, in the
// apps' folder-name order: each checks its own databases and really runs
// repeats (ash.migrate then ash.migrate --tenants, several
// ecto.rollback --prefix). Apps without a repo regen knows are not visited:
// nothing of theirs is backed up, so nothing of theirs may change.

// umbrellaApps are the apps a root mix command is split into, or nil when
// it runs as it is (not an umbrella root, or not a plain mix command).
func (t *txn) umbrellaApps(app string, argv []string) []string {
	cfg := t.proj.cfg
	if !cfg.Umbrella || app != "" {
		return nil
	}
	if _, ok := mixTasks(cfg.Mix, argv); !ok {
		return nil
	}
	var apps []string
	seen := map[string]bool{}
	for _, r := range cfg.Repos {
		if r.App != "" && !seen[r.App] {
			seen[r.App] = true
			apps = append(apps, r.App)
		}
	}
	return apps
}

// runInApps runs a root mix command once in each of apps' folders, stopping
// at the first failure (as the recursive task stops at the failing app).
func (t *txn) runInApps(ctx context.Context, apps []string, step StepName, argv []string) error {
	for _, a := range apps {
		if err := t.runMixIn(ctx, a, step, argv); err != nil {
			return err
		}
	}
	return nil
}
