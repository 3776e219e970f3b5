package regen

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/regen-tool/regen/regen/project"
)

// The round trip runs on the dev database in place, not on a copy the
// project is pointed at: a project's database path lives in its own
// config/*.exs, which no environment variable can redirect in general. So it
// is a journaled transaction of kind "roundtrip" like every other change
// (roundtrip_txn.go): the database (and the repo's folders) are backed up
// first, each migration step is announced, the database is put back by the
// compensation whatever happened, and a kill -9 in between is reversed by
// `regen recover`. A database that did not exist is moved aside, never
// deleted. regen/check decides what to run and what the outcome means;
// this file is the transaction around it.

// RoundTrip is one repo's round trip in progress: its database and folders
// are backed up, and each of its steps is announced in the journal.
type RoundTrip struct {
	e  *Engine
	p  *workspace
	r  project.RepoConfig
	j  *Journal
	db database
}

// RoundTrips takes the project lock and, for each configured repo named in
// repos (in the configuration's order), runs each inside a journaled
// transaction whose end always puts the database and the folders back.
// An error of each, or a database that could not be put back, ends the
// round trips with that error (a *RestoredError, *UnrestoredError,
// *InterruptedError or *InputError).
func (v *CheckView) RoundTrips(ctx context.Context, repos []string, each func(ctx context.Context, rt *RoundTrip) error) error {
	e, p := v.e, v.p
	if p.cfg.Preset != "ash_sqlite" {
		// The byte-for-byte swap is a SQLite file operation.
		return &InputError{What: fmt.Sprintf("--roundtrip supports SQLite projects only (this one is %s).", p.cfg.Preset), Next: "Run the check without --roundtrip."}
	}
	if err := checkMix(p.cfg); err != nil {
		return err
	}
	if err := e.resolveDatabases(ctx, p.cfg); err != nil {
		return err
	}
	lk, err := e.guard("regen check --roundtrip")
	if err != nil {
		return err
	}
	defer lk.release()
	want := map[string]bool{}
	for _, name := range repos {
		want[name] = true
	}
	for _, r := range p.cfg.Repos {
		if !want[r.Name] {
			continue
		}
		if err := e.roundtripRepo(ctx, p, r, each); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) roundtripRepo(ctx context.Context, p *workspace, r project.RepoConfig, each func(context.Context, *RoundTrip) error) error {
	if r.Database == "" {
		return &InputError{What: fmt.Sprintf("the database of repo %q is not known.", r.Name), Next: "Set `database = \"path/to/dev.db\"` for this repo in .regen.toml."}
	}
	j, err := e.beginRoundtrip(ctx, p, r)
	if err != nil {
		return err
	}
	db, err := openDatabase(r, e.opts.Getenv, false, e.rep)
	if err == nil {
		err = each(ctx, &RoundTrip{e: e, p: p, r: r, j: j, db: db})
	}
	return e.endRoundtrip(ctx, p, j, err)
}

// Repo is the repo whose database the round trip runs on (its database
// resolved).
func (rt *RoundTrip) Repo() project.RepoConfig { return rt.r }

// Migrate runs the configured migrate command: the step "up".
func (rt *RoundTrip) Migrate(ctx context.Context) (MixResult, error) {
	return rt.step(ctx, stepRoundtripUp, rt.migrateCommand())
}

// MigrateAgain runs the migrate command once more: the step "up-again".
func (rt *RoundTrip) MigrateAgain(ctx context.Context) (MixResult, error) {
	return rt.step(ctx, stepRoundtripUpAgain, rt.migrateCommand())
}

// Rollback rolls back the given migrations (project-relative paths): they
// are copied into a folder of the backup, and the configured rollback
// command runs on that folder as the step "down".
func (rt *RoundTrip) Rollback(ctx context.Context, migrations []string) (MixResult, error) {
	downDir := filepath.Join(rt.j.BackupDir, "down")
	if err := os.Mkdir(downDir, 0o700); err != nil {
		return MixResult{}, err
	}
	for _, m := range migrations {
		if _, err := copyFileAtomic(filepath.Join(rt.p.cfg.Root, filepath.FromSlash(m)), filepath.Join(downDir, path.Base(m)), 0o600); err != nil {
			return MixResult{}, err
		}
	}
	cfg := rt.p.cfg
	return rt.step(ctx, stepRoundtripDown, project.Expand(cfg.Rollback, cfg.Mix, map[string]string{"dir": downDir, "repo": rt.r.Module}))
}

// Applied lists the versions the repo's database has applied now.
func (rt *RoundTrip) Applied(ctx context.Context) ([]int64, error) { return rt.db.Applied(ctx) }

func (rt *RoundTrip) migrateCommand() []string {
	return project.Expand(rt.p.cfg.Migrate, rt.p.cfg.Mix, map[string]string{"repo": rt.r.Module})
}

// step runs one announced step of the round trip.
func (rt *RoundTrip) step(ctx context.Context, name StepName, argv []string) (MixResult, error) {
	res := MixResult{Command: argv}
	err := rt.e.roundtripStep(ctx, rt.j, name, func() error {
		r, out, err := rt.e.roundtripRun(ctx, rt.p, rt.r, argv)
		res.ExitCode, res.Output = r.ExitCode, out
		return err
	})
	return res, err
}
