package regen

import (
	"context"
	"path/filepath"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
)

// The round trip's mix commands go through the task driver like a run's
// (driver.go): the VM first proves that the repo's database is the one the
// round trip backed up (a stale cached answer or another MIX_ENV would
// otherwise migrate a database nobody backed up), and each task is
// reenabled. They run in the repo's app folder (the project root outside an
// umbrella), where a task that names the repo acts on it alone.

// roundtripRun runs one of the round trip's commands; a database mismatch
// is an InputError: the driver stopped before its task, and the
// compensation that ends every round trip puts the backup back.
func (e *Engine) roundtripRun(ctx context.Context, p *workspace, r project.RepoConfig, argv []string) (migrator.Result, string, error) {
	run := argv
	if tasks, ok := mixTasks(p.cfg.Mix, argv); ok {
		var expected []string
		if r.Identity != "" && r.Module != "" {
			expected = []string{r.Module, r.Identity}
		}
		run = append(append([]string{}, p.cfg.Mix...), "run", "--no-start", "-e", driverScript(expected, tasks))
	}
	res, out, err := e.checkRunIn(ctx, filepath.Join(p.cfg.Root, filepath.FromSlash(r.App)), run, argv)
	if err == nil && res.ExitCode == driverMismatchExit {
		if m := parseMismatch(out); m != nil {
			return res, out, e.mismatchInput(m)
		}
	}
	return res, out, err
}
