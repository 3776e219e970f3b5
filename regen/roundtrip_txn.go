package regen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
)

// `regen check --roundtrip` as a transaction: journal, backup (with its
// manifest), announced steps, and the compensation as its normal end, so the
// dev database comes back whatever happens and `regen recover` reverses a
// round trip killed half-way.

const (
	stepRoundtripUp      StepName = "up"
	stepRoundtripDown    StepName = "down"
	stepRoundtripUpAgain StepName = "up-again"
)

// beginRoundtrip writes the journal and backs up the repo's folders and its
// database. Nothing has changed if it fails.
func (e *Engine) beginRoundtrip(ctx context.Context, p *workspace, r project.RepoConfig) (*Journal, error) {
	now := e.opts.Now()
	id := newRunID(now)
	j := &Journal{Format: journalFormat, RunID: id, Kind: RunRoundtrip, Command: "regen check --roundtrip", Started: now,
		Root: p.cfg.Root, BackupDir: filepath.Join(e.stateDir, "backup", id), GitPrefix: p.prefix}
	e.live = j
	if err := os.MkdirAll(j.BackupDir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the backup folder: %w", err)
	}
	fail := func(err error) (*Journal, error) {
		j.Problems = append(j.Problems, err.Error())
		j.close(e.stateDir, OutcomeAbandoned, e.opts.Now())
		var ie *InputError
		if errors.As(err, &ie) {
			return nil, err
		}
		return nil, &InputError{What: fmt.Sprintf("the backup before the round trip failed: %v.", err), Next: "Stop whatever is writing to the database, or run without --roundtrip."}
	}
	err := (stepper{e: e, j: j, quiet: true}).run(ctx, stepBackup, func(ctx context.Context) error {
		set, err := backupFiles(p.cfg.Root, r.Folders(), j.BackupDir, p)
		if err != nil {
			return err
		}
		j.Files = set
		db, err := openDatabase(r, e.opts.Getenv, false, e.rep)
		if err != nil {
			return err
		}
		rec, err := db.Backup(ctx, j.BackupDir)
		if err != nil {
			return err
		}
		rec.Name, rec.Source = r.Name, r.MigrationSource
		if rec.Before, err = db.Applied(ctx); err != nil {
			return err
		}
		j.Repos = append(j.Repos, rec)
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return j, nil
}

// roundtripStep runs a step of the round trip through the run's step machinery.
func (e *Engine) roundtripStep(ctx context.Context, j *Journal, name StepName, do func() error) error {
	return (stepper{e: e, j: j, quiet: true}).run(ctx, name, func(context.Context) error { return do() })
}

// endRoundtrip puts the database and the folders back from the backup
// (always: the round trip is a check) and turns the outcome into the result.
func (e *Engine) endRoundtrip(ctx context.Context, p *workspace, j *Journal, cause error) error {
	if problems := e.compensate(context.WithoutCancel(ctx), j, OutcomeChecked); len(problems) > 0 {
		if cause != nil {
			problems = append([]string{"the round trip itself failed: " + cause.Error()}, problems...)
		}
		return &UnrestoredError{Step: "check --roundtrip", Cause: fmt.Errorf("the database could not be put back (%s)", strings.Join(j.RepoNames(), ", ")), Problems: problems, BackupDir: j.BackupDir}
	}
	var sig *migrator.SignalCause
	if errors.As(context.Cause(ctx), &sig) {
		return &InterruptedError{Signal: sig.Signal, Restored: true}
	}
	var ie *InputError
	if errors.As(cause, &ie) {
		return cause // e.g. mix could not start: true as said, the database is back
	}
	if cause != nil {
		return &RestoredError{Step: "check --roundtrip", Cause: cause}
	}
	keep := ""
	if run, err := e.lastRun(); err == nil {
		keep = run.RunID // the run `regen undo` would reverse keeps its backup
	}
	e.pruneBackups(ctx, p.cfg.Keep, keep)
	return nil
}

// RepoNames lists the databases a journal records.
func (j *Journal) RepoNames() []string {
	var out []string
	for _, r := range j.Repos {
		out = append(out, r.Database)
	}
	return out
}
