package regen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// UndoResult says what `regen undo` put back.
type UndoResult struct {
	Run     *Journal // the run that was undone
	RunID   string   // the undo's own id (its backup holds what undo replaced)
	Changed []string
}

// lastRun reads the record of the last committed run.
func (e *Engine) lastRun() (*Journal, error) {
	id, err := os.ReadFile(filepath.Join(e.stateDir, "last"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNothingToUndo
	}
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(string(id))
	if !runIDShape().MatchString(name) {
		return nil, fmt.Errorf("the record of the last run, %s, is damaged (it names no run)", e.lastMarker())
	}
	p := filepath.Join(e.stateDir, "backup", name, "run.json")
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the backup of the last run (%s) is missing: %s does not exist", name, p)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the record of the last run: %w", err)
	}
	run, err := decodeJournal(data)
	if err != nil {
		return nil, fmt.Errorf("the record of the last run, %s, cannot be used: %w", p, err)
	}
	return run, nil
}

// Undo puts back exactly what the last successful regen replaced: the files
// and databases as they were before it started. It is itself a transaction:
// it first backs up the present state, and a failure puts that back. It
// refuses when files or databases changed since the run (that work would be
// lost) unless force is set.
func (e *Engine) Undo(ctx context.Context, command string, force bool) (*UndoResult, error) {
	lk, err := e.guard(command)
	if err != nil {
		return nil, err
	}
	defer lk.release()
	proj, _ := e.loadProject(ctx) // PostgreSQL passwords, as for recover
	run, err := e.lastRun()
	if errors.Is(err, ErrNothingToUndo) {
		return nil, &InputError{What: "there is no regen run to undo (none has completed here, or the last one was already undone).", Next: ""}
	}
	if err != nil {
		return nil, &InputError{What: err.Error(), Next: e.damagedLastHint()}
	}
	if run.After == nil {
		return nil, &InputError{What: "the last run's record has no after-state; it cannot be undone safely.", Next: ""}
	}

	// Has anything changed since the run? Then undo would lose that work.
	now, err := inventory(run.Root, run.After.Folders)
	if err != nil {
		return nil, err
	}
	drift := diffSets(run.Root, *run.After, now)
	for _, rec := range run.Repos {
		have, err := e.databaseFor(rec).Applied(ctx)
		if err != nil {
			return nil, &InputError{What: fmt.Sprintf("cannot read %s: %v", rec.Database, err), Next: "Check the database file."}
		}
		if missing, extra := setDiff(rec.After, have); len(missing)+len(extra) > 0 {
			drift = append(drift, fmt.Sprintf("database %s: applied versions changed since the run", rec.Database))
		}
		changes, err := e.dataChanges(ctx, rec, rec.State)
		if err != nil {
			return nil, &InputError{What: fmt.Sprintf("cannot read %s: %v", rec.Database, err), Next: "Check the database."}
		}
		if len(changes) > 0 {
			drift = append(drift, fmt.Sprintf("database %s: data changed since the run: %s", rec.Database, strings.Join(changes, "; ")))
		}
	}
	if len(drift) > 0 && force {
		e.rep.Warn("undoing anyway (--force), although since the run:\n  - %s\nThe present files and database are kept first (where is said below).", strings.Join(drift, "\n  - "))
	}
	if len(drift) > 0 && !force {
		return nil, &ConflictError{
			What: "files or databases changed since the last regen run (" + run.RunID + "):\n  - " + strings.Join(drift, "\n  - ") + "\nUndo would replace that newer work.",
			Next: "Run `regen undo --force` to go back anyway (the present state is backed up first).",
		}
	}

	// The undo's own journal: its baseline is the present state.
	id := newRunID(e.opts.Now())
	j := &Journal{Format: journalFormat, RunID: id, Kind: RunUndo, Command: command, Started: e.opts.Now(), Root: run.Root,
		BackupDir: filepath.Join(e.stateDir, "backup", id), UndoOf: run.RunID, GitPrefix: run.GitPrefix}
	e.live = j
	if err := os.MkdirAll(j.BackupDir, 0o700); err != nil {
		return nil, err
	}
	steps := stepper{e: e, j: j}
	var set FileSet
	err = steps.run(ctx, stepBackup, func(ctx context.Context) error {
		e.rep.StepStart(string(stepBackup), "the present state → "+j.BackupDir)
		var err error
		if set, err = e.backupPresent(run, j.BackupDir); err != nil {
			return fmt.Errorf("the backup before undo failed: %w", err)
		}
		j.Files = set
		for _, rec := range run.Repos {
			cur, err := e.databaseFor(rec).Backup(ctx, j.BackupDir)
			if err != nil {
				return err
			}
			cur.Name, cur.Kind, cur.Source = rec.Name, rec.Kind, rec.Source
			cur.Before, _ = e.databaseFor(rec).Applied(ctx)
			j.Repos = append(j.Repos, cur)
		}
		return nil
	})
	if err != nil {
		// Nothing was changed yet.
		j.close(e.stateDir, OutcomeAbandoned, e.opts.Now())
		if sig := signalOf(ctx); sig != nil {
			return nil, &InterruptedError{Signal: sig.Signal, Restored: true}
		}
		next := "Fix the cause and run `regen undo` again."
		if s := storageIn(err); s != nil && s.journal {
			next = "Fix the cause (disk space, permissions of " + e.stateDir + ") and run `regen undo` again."
		}
		return nil, &InputError{What: err.Error(), Next: next}
	}

	// Put the pre-run state back. Interrupted while restoring, the undo is
	// not committed, so it is taken back, as an interrupted run is.
	err = steps.run(ctx, stepUndo, func(ctx context.Context) error {
		if sig := signalOf(ctx); sig != nil {
			return sig
		}
		e.rep.StepStart(string(stepUndo), "files and databases as before run "+run.RunID)
		quarantine := filepath.Join(j.BackupDir, "moved-aside")
		if problems := e.restoreState(ctx, run, quarantine); len(problems) > 0 {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	})
	if err != nil {
		return nil, e.undoFailed(ctx, j, err)
	}

	// Commit, announced first (see undo_commit.go): the run is undone; its
	// backup stays until pruned.
	if err := e.enter(j, stepCommit); err != nil {
		return nil, e.undoFailed(ctx, j, err)
	}
	if err := e.finishUndo(j); err != nil {
		return nil, &UnrestoredError{Step: "undo", Cause: err, BackupDir: j.BackupDir,
			Problems: []string{"files and databases are as they were before run " + run.RunID + ", but the undo's records could not be completed; `regen recover` completes them"}}
	}
	run.Outcome = OutcomeUndone
	proj.rememberState(ctx, run, true) // the files undo brought back (regen's store)
	return &UndoResult{Run: run, RunID: id, Changed: describeTransition(run.Root, set, run.Files)}, nil
}

// backupPresent backs up the folders as they are now, before undo changes
// them, so that a failed undo can come back here.
func (e *Engine) backupPresent(run *Journal, backupDir string) (FileSet, error) {
	p := &workspace{git: e.git, prefix: run.GitPrefix}
	return backupFiles(run.Root, run.After.Folders, backupDir, p)
}

func (e *Engine) undoFailed(ctx context.Context, j *Journal, cause error) error {
	e.rep.Warn("undo failed: putting back the state it started from…")
	problems := e.compensate(context.WithoutCancel(ctx), j, OutcomeCompensated)
	if sig := signalOf(ctx); sig != nil {
		return &InterruptedError{Signal: sig.Signal, Restored: len(problems) == 0, Problems: problems}
	}
	if len(problems) > 0 {
		return &UnrestoredError{Step: "undo", Cause: cause, Problems: problems, BackupDir: j.BackupDir}
	}
	return &RestoredError{Step: "undo", Cause: cause}
}

// describeTransition says, per file, how the folders went from one state to
// the other, in words for the user. It runs after the folders were verified
// equal to `to`, so a file both states have is compared by content against
// what is on disk now (one side may be identified by the index's blob hash,
// the other by sha256): only files whose bytes or mode changed are listed.
func describeTransition(root string, from, to FileSet) []string {
	var out []string
	fm, tm := from.lookup(), to.lookup()
	for _, f := range from.Files {
		t, ok := tm[f.Path]
		switch {
		case !ok:
			out = append(out, "moved aside  "+f.Path)
		case !sameEntry(root, f, *t):
			out = append(out, "restored     "+f.Path)
		}
	}
	for _, t := range to.Files {
		if _, ok := fm[t.Path]; !ok {
			out = append(out, "brought back "+t.Path)
		}
	}
	return out
}
