package regen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/regen-tool/regen/migrator"
)

// fail runs the compensation after a failed or interrupted step and turns
// the outcome into the error the user sees.
func (t *txn) fail(ctx context.Context, step string, cause error) error {
	var sig *migrator.SignalCause
	interrupted := errors.As(context.Cause(ctx), &sig)
	if interrupted {
		t.e.rep.Warn("interrupted by %v during %s: restoring everything…", sig.Signal, step)
	} else {
		t.e.rep.Warn("%s failed: restoring everything…", step)
	}
	// The compensation must finish even though ctx is cancelled; further
	// signals are ignored by cmd while it runs.
	problems := t.e.compensate(context.WithoutCancel(ctx), t.j, "compensated")
	switch {
	case interrupted:
		return &InterruptedError{Signal: sig.Signal, Restored: len(problems) == 0, Problems: problems}
	case len(problems) == 0:
		return &RestoredError{Step: step, Cause: cause}
	default:
		return &UnrestoredError{Step: step, Cause: cause, Problems: problems, BackupDir: t.j.BackupDir}
	}
}

// compensate puts back the state the journal recorded before the run: every
// file byte for byte (new files moved aside into the backup folder, never
// deleted) and every database from its copy; then checks both. On success the
// journal is closed; on failure it stays open for `regen recover`, and the
// backup is kept.
func (e *Engine) compensate(ctx context.Context, j *Journal, outcome string) []string {
	if err := j.announce(e.stateDir, stepCompensate); err != nil {
		return []string{err.Error()}
	}
	start := time.Now()
	e.rep.StepStart("restore", "files and databases from "+j.BackupDir)
	quarantine := filepath.Join(j.BackupDir, "moved-aside", e.opts.Now().UTC().Format("20060102T150405.000"))
	problems := restoreFiles(j.Root, j.Files, j.BackupDir, quarantine, e.indexSource(j.GitPrefix))
	for _, rec := range j.Repos {
		db := databaseFor(rec)
		if err := db.Restore(ctx, rec, j.BackupDir, filepath.Join(quarantine, "database")); err != nil {
			problems = append(problems, fmt.Sprintf("database %s: %v (backup: %s)", rec.Database, err, filepath.Join(j.BackupDir, rec.DBBackup)))
			continue
		}
		have, err := db.Applied(ctx)
		if err != nil {
			problems = append(problems, fmt.Sprintf("database %s: cannot read it after restoring: %v", rec.Database, err))
			continue
		}
		if missing, extra := setDiff(rec.Before, have); len(missing)+len(extra) > 0 {
			problems = append(problems, fmt.Sprintf("database %s: after restoring, missing %v, unexpected %v", rec.Database, missing, extra))
		}
	}
	now, err := inventory(j.Root, j.Files.Folders)
	if err != nil {
		problems = append(problems, fmt.Sprintf("cannot check the files after restoring: %v", err))
	} else if diff := diffSets(j.Files, now); len(diff) > 0 {
		problems = append(problems, "files still differ after restoring: "+strings.Join(diff, ", "))
	}
	if len(problems) > 0 {
		e.rep.StepEnd("restore", time.Since(start), errors.New("incomplete"))
		j.Problems = problems
		j.save(e.stateDir)
		return problems
	}
	e.rep.StepEnd("restore", time.Since(start), nil)
	if exists(quarantine) {
		e.rep.Note("files the run had written were moved to %s", quarantine)
	}
	if err := j.close(e.stateDir, outcome, e.opts.Now()); err != nil {
		return []string{fmt.Sprintf("everything was restored, but the journal could not be closed: %v", err)}
	}
	return nil
}

func databaseFor(rec RepoRecord) database {
	return &sqliteDB{path: rec.Database, source: rec.Source}
}

func (e *Engine) indexSource(prefix string) indexSource {
	return func(rel string) ([]byte, os.FileMode, error) {
		p := rel
		if prefix != "" {
			p = path.Join(prefix, rel)
		}
		return e.git.IndexBlob(p)
	}
}

// RecoverResult says what `regen recover` did.
type RecoverResult struct {
	Journal *Journal
	Action  string // "none", "restored", "finished", "nothing-changed"
}

// Recover completes an interrupted run from its journal: a run that had
// verified everything and was committing is finished; a run that had not yet
// changed anything is closed; any other is reversed. Running it again after
// it succeeded does nothing.
func (e *Engine) Recover(ctx context.Context, command string) (*RecoverResult, error) {
	lk, err := acquireLock(e.stateDir, command, e.opts.Now())
	if err != nil {
		return nil, err
	}
	defer lk.release()
	j, err := loadJournal(e.stateDir)
	if err != nil {
		return nil, &UnrestoredError{Step: "recover", Cause: err, Problems: []string{"the journal cannot be read, so regen cannot tell what to restore"}, BackupDir: filepath.Join(e.stateDir, "backup")}
	}
	if j == nil {
		return &RecoverResult{Action: "none"}, nil
	}
	res := &RecoverResult{Journal: j}
	switch {
	case j.Step == stepBackup && !j.did(stepBackup):
		// Write-ahead: no changing step was announced, so nothing changed.
		j.Problems = append(j.Problems, "interrupted during the backup; nothing had been changed")
		if err := j.close(e.stateDir, "recovered", e.opts.Now()); err != nil {
			return nil, err
		}
		res.Action = "nothing-changed"
		return res, nil
	case j.Step == stepCommit && j.did(stepVerify) && j.Kind == "regen":
		// Everything was done and verified; only the bookkeeping was cut off.
		if j.After == nil {
			after, err := inventory(j.Root, j.Files.Folders)
			if err != nil {
				return nil, err
			}
			j.After = &after
			for i, rec := range j.Repos {
				v, err := databaseFor(rec).Applied(ctx)
				if err != nil {
					return nil, err
				}
				j.Repos[i].After = v
			}
		}
		if err := writeFileAtomic(filepath.Join(e.stateDir, "last"), []byte(j.RunID+"\n"), 0o600); err != nil {
			return nil, err
		}
		if err := j.close(e.stateDir, "committed", e.opts.Now()); err != nil {
			return nil, err
		}
		res.Action = "finished"
		return res, nil
	}
	if problems := e.compensate(ctx, j, "recovered"); len(problems) > 0 {
		return nil, &UnrestoredError{Step: "recover", Cause: fmt.Errorf("run %s", j.RunID), Problems: problems, BackupDir: j.BackupDir}
	}
	res.Action = "restored"
	return res, nil
}

// pruneBackups keeps the newest keep backup folders (and always the one
// named by keepID). A folder without run.json belongs to a run that did not
// finish and is never pruned here.
func pruneBackups(stateDir string, keep int, keepID string) {
	dir := filepath.Join(stateDir, "backup")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var finished []string
	for _, en := range entries {
		if en.IsDir() && exists(filepath.Join(dir, en.Name(), "run.json")) {
			finished = append(finished, en.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(finished)))
	for i, name := range finished {
		if i < keep || name == keepID {
			continue
		}
		os.RemoveAll(filepath.Join(dir, name))
	}
}
