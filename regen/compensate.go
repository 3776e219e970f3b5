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
	"github.com/regen-tool/regen/migrator/fsatomic"
	"github.com/regen-tool/regen/snapshots"
)

// fail runs the compensation after a failed or interrupted step and turns
// the outcome into the error the user sees.
func (t *txn) fail(ctx context.Context, name StepName, cause error) error {
	step := string(name)
	t.awaitAfterInventory() // it reads the files the compensation puts back
	t.e.closeVM()           // the compensation's mix commands start VMs of their own
	var sig *migrator.SignalCause
	// A step may be the first to see an interruption (mix regen's VM gone:
	// its socket closed) before the context says so.
	interrupted := errors.As(context.Cause(ctx), &sig) || errors.As(cause, &sig)
	if interrupted {
		t.e.rep.Warn("interrupted by %s during %s: restoring everything…", migrator.SignalDescription(sig.Signal), step)
	} else if s := storageIn(cause); s != nil && s.journal {
		t.e.rep.Warn("regen could not write its journal during %s (%s): restoring everything…", step, s.what)
	} else {
		t.e.rep.Warn("%s failed: restoring everything…", step)
	}
	// The compensation must finish even though ctx is cancelled; further
	// signals are ignored by cmd while it runs.
	problems := t.e.compensate(context.WithoutCancel(ctx), t.j, OutcomeCompensated)
	var mismatch *DatabaseMismatchError
	var verification *VerificationError
	switch {
	case interrupted:
		return &InterruptedError{Signal: sig.Signal, Restored: len(problems) == 0, Problems: problems}
	case len(problems) == 0 && errors.As(cause, &mismatch) && mismatch.First:
		return t.e.mismatchInput(mismatch)
	case len(problems) == 0 && errors.As(cause, &mismatch):
		// A later driver (another app of an umbrella) found it: tasks had
		// run, all restored; the stale answer must not fail the next run too.
		t.e.dropRepoCache()
		return &RestoredError{Step: step, Cause: cause}
	case len(problems) == 0 && errors.As(cause, &verification) && len(t.unproven) > 0:
		// A command ran without the database check: what regen restored
		// is what it backed up, and mix may have changed another database.
		return &UnrestoredError{Step: step, Cause: cause, Problems: t.otherDatabases(context.WithoutCancel(ctx)), BackupDir: t.j.BackupDir}
	case len(problems) == 0:
		return &RestoredError{Step: step, Cause: cause}
	default:
		return &UnrestoredError{Step: step, Cause: cause, Problems: problems, BackupDir: t.j.BackupDir, Storage: storageIn(cause, t.j.writeErr)}
	}
}

// compensate puts back the state the journal recorded before the run: every
// file byte for byte (new files moved aside into the backup folder, never
// deleted) and every database from its copy; then checks both. On success the
// journal is closed; on failure it stays open for `regen recover`, and the
// backup is kept.
func (e *Engine) compensate(ctx context.Context, j *Journal, outcome Outcome) []string {
	if err := e.enter(j, stepCompensate); err != nil {
		return []string{err.Error()}
	}
	e.closeVM() // the VM must be gone before what it left is looked for
	straggling := e.stragglersOfFailure(j)
	if err := e.putBackLast(j); err != nil {
		return []string{err.Error()}
	}
	start := time.Now()
	e.rep.StepStart("restore", "files and databases from "+j.BackupDir)
	quarantine := filepath.Join(j.BackupDir, "moved-aside", e.opts.Now().UTC().Format("20060102T150405.000"))
	problems := e.restoreState(ctx, j, quarantine)
	if straggling != "" {
		problems = append(problems, straggling)
	}
	if len(problems) > 0 {
		e.rep.StepEnd("restore", time.Since(start), errors.New("incomplete"))
		j.Problems = problems
		j.save(e.stateDir)
		return problems
	}
	e.rep.StepEnd("restore", time.Since(start), nil)
	e.releaseCopies(ctx, j, false)
	if movedFiles(quarantine) {
		e.rep.Note("files the run had written were moved to %s", quarantine)
	}
	if err := j.close(e.stateDir, outcome, e.opts.Now()); err != nil {
		return []string{fmt.Sprintf("everything was restored, but the journal could not be closed: %v", err)}
	}
	return nil
}

// restoreState brings the folders and databases back to what the record j
// holds (j.Files, each repo's Before), and checks both. New files go into
// quarantine. It is the compensation, recover, and undo (with the run's
// record) alike.
func (e *Engine) restoreState(ctx context.Context, j *Journal, quarantine string) []string {
	var problems []string
	// While the run's migration files are still in place (a re-migration
	// first rolls back what the run applied).
	for _, rec := range j.Repos {
		db := e.databaseFor(rec)
		if err := db.PrepareRestore(ctx, restoreRequest{Rec: rec, BackupDir: j.BackupDir, Remigrate: e.remigrator(j, rec)}); err != nil {
			problems = append(problems, fmt.Sprintf("database %s: %v", db, err))
		}
	}
	problems = append(problems, restoreFiles(j.Root, j.Files, j.BackupDir, quarantine, e.indexSource(j.GitPrefix))...)
	for _, rec := range j.Repos {
		db := e.databaseFor(rec)
		res, err := e.restoreDB(ctx, j, rec, db, filepath.Join(quarantine, "database"))
		if err != nil {
			where, _ := db.BackupWhere(rec, j.BackupDir)
			problems = append(problems, fmt.Sprintf("database %s: %v (backup: %s)", db, err, where))
			continue
		}
		if res.Kept != "" {
			e.rep.Note("database %s: as it was before this restore, it is kept %s", db, res.Kept)
		}
		if res.Moved != "" {
			e.rep.Note("database %s: the run had created it; it was moved to %s", db, res.Moved)
		}
		have, err := db.Applied(ctx)
		if err != nil {
			problems = append(problems, fmt.Sprintf("database %s: cannot read it after restoring: %v", db, err))
			continue
		}
		if missing, extra := setDiff(rec.Before, have); len(missing)+len(extra) > 0 {
			problems = append(problems, fmt.Sprintf("database %s: after restoring, missing %v, unexpected %v", db, missing, extra))
		}
		if len(rec.TenantBefore) > 0 {
			var prefixes []string
			for p := range rec.TenantBefore {
				prefixes = append(prefixes, p)
			}
			var tenants map[string][]int64
			ts, ok := db.Tenants()
			if !ok {
				err = fmt.Errorf("the journal records tenant schemas, and it has none")
			} else {
				tenants, err = ts.TenantApplied(ctx, prefixes)
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("database %s: cannot read the tenants after restoring: %v", db, err))
				continue
			}
			for _, p := range prefixes {
				got := tenants[p]
				if missing, extra := setDiff(rec.TenantBefore[p], got); len(missing)+len(extra) > 0 {
					problems = append(problems, fmt.Sprintf("tenant %s: after restoring, missing %v, unexpected %v", p, missing, extra))
				}
			}
		}
	}
	now, err := inventory(j.Root, j.Files.Folders)
	if err != nil {
		problems = append(problems, fmt.Sprintf("cannot check the files after restoring: %v", err))
	} else if diff := diffSets(j.Root, j.Files, now); len(diff) > 0 {
		problems = append(problems, "files still differ after restoring: "+strings.Join(diff, ", "))
	}
	return problems
}

// databaseFor opens the database a journal record names, with the loaded
// project's connection of that repo when there is one (openRecorded).
func (e *Engine) databaseFor(rec RepoRecord) database {
	return openRecorded(rec, e.liveDBs[rec.Name], e.opts.Getenv, e.rep)
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
	Action  RecoverAction
	// The journal was damaged: the manifest the run was reversed from, and
	// where the damaged journal is kept.
	FromManifest, JournalKept string
}

// Recover completes an interrupted run from its journal: a run that had
// verified everything and was committing is finished; a run that had not yet
// changed anything is closed; any other is reversed. Running it again after
// it succeeded does nothing.
func (e *Engine) Recover(ctx context.Context, command string) (res *RecoverResult, err error) {
	lk, err := acquireLock(e.stateDir, command, e.opts.Now())
	if err != nil {
		return nil, err
	}
	defer lk.release()
	// First, before mix runs for the project's config below: no process of
	// the interrupted run may still be running (it could write after the
	// restore, or hold mix's build lock).
	if pre, err := loadJournal(e.stateDir); err != nil {
		e.stopLeftoversOfUnfinished()
	} else if pre != nil {
		if err := e.stopLeftovers(pre); err != nil {
			return nil, &UnrestoredError{Step: "recover", Cause: err, Problems: []string{"a process of the interrupted run is still running, so nothing was restored yet (it could still write files or the database)"}, BackupDir: pre.BackupDir}
		}
	}
	// The project gives PostgreSQL passwords back (journals hold none);
	// recover goes on without it when the project does not load.
	proj, _ := e.loadProject(ctx)
	defer func() {
		if err == nil && res != nil {
			proj.rememberState(ctx, res.Journal, true) // what it put back or finished (regen's store)
		}
	}()
	j, err := loadJournal(e.stateDir)
	if err != nil {
		return e.recoverDamaged(ctx, err)
	}
	if j == nil {
		return &RecoverResult{Action: RecoverNone}, nil
	}
	e.live = j
	res = &RecoverResult{Journal: j}
	switch {
	case j.Step == stepBackup && !j.did(stepBackup):
		// Write-ahead: no changing step was announced, so nothing changed.
		j.Problems = append(j.Problems, "interrupted during the backup; nothing had been changed")
		if err := j.close(e.stateDir, OutcomeRecovered, e.opts.Now()); err != nil {
			return nil, recoverBookkeeping(j, "had changed nothing", err)
		}
		res.Action = RecoverNothingChanged
		return res, nil
	case j.Step == stepCommit && j.did(stepVerify) && j.Kind.isRun():
		// Everything was done and verified; only the bookkeeping was cut off.
		applied := func(i int) ([]int64, error) { return e.databaseFor(j.Repos[i]).Applied(ctx) }
		if err := e.finishRun(j, inventory, applied, nil); err != nil {
			return nil, recoverBookkeeping(j, "had completed and verified its work", err)
		}
		res.Action = RecoverFinished
		return res, nil
	case j.Step == stepCommit && j.did(stepUndo) && j.Kind == RunUndo:
		// The undo had restored and verified everything.
		if err := e.finishUndo(j); err != nil {
			return nil, err
		}
		res.Action = RecoverFinished
		return res, nil
	}
	return e.reverse(ctx, j)
}

// recoverBookkeeping types an error of recover's own record keeping: the
// run's files and database are as what says; the journal stays open.
func recoverBookkeeping(j *Journal, what string, err error) error {
	return &UnrestoredError{Step: "recover", Cause: err, BackupDir: j.BackupDir,
		Problems: []string{fmt.Sprintf("run %s %s, but recover could not finish its record, so its journal stays open", j.RunID, what)}}
}

// releaseCopies frees what each database of j holds outside the backup
// folder: after a verified restore (the database now is its copy), and
// more when the run is pruned (database.Release).
func (e *Engine) releaseCopies(ctx context.Context, j *Journal, pruned bool) {
	for _, rec := range j.Repos {
		e.databaseFor(rec).Release(ctx, rec, pruned)
	}
	e.dropKeeps(ctx, j)
}

// pruneBackups keeps the newest keep backup folders (and always the one
// named by keepID), dropping the database copies of those it removes. A
// folder without run.json belongs to a run that did not finish and is never
// pruned here.
func (e *Engine) pruneBackups(ctx context.Context, keep int, keepID string) {
	stateDir := e.stateDir
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
		if data, err := os.ReadFile(filepath.Join(dir, name, "run.json")); err == nil {
			if old, err := decodeJournal(data); err == nil {
				e.releaseCopies(ctx, old, true)
			}
		}
		// Renamed first: a crash mid-removal must not leave what looks like
		// an unfinished run's folder (no run.json, an old manifest).
		gone := filepath.Join(dir, name+".pruned")
		if os.Rename(filepath.Join(dir, name), gone) == nil {
			os.RemoveAll(gone)
		}
	}
}

// remigrator runs rec's recorded re-migration commands for its database
// (database.PrepareRestore, Restore): over copies of the versions' files,
// in a folder of their own, with the engine's mix runner.
func (e *Engine) remigrator(j *Journal, rec RepoRecord) remigrateFunc {
	if rec.Remigrate == nil {
		return nil
	}
	return func(ctx context.Context, command []string, versions []int64, phase string) error {
		dir := filepath.Join(j.BackupDir, "remigrate", rec.Name, phase)
		if err := collectMigrations(j, rec.Remigrate.Migrations, versions, dir); err != nil {
			return err
		}
		err := e.runRecorded(ctx, command, dir, rec.Remigrate.Dir)
		// What it left running would change the database after the check.
		if problem := e.stragglersOfFailure(j); problem != "" {
			err = errors.Join(err, errors.New(problem))
		}
		return err
	}
}

// collectMigrations copies the files of the given versions into dir, from
// the migrations folder, or from where a compensation moved them aside.
func collectMigrations(j *Journal, folder string, versions []int64, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	want := map[int64]bool{}
	for _, v := range versions {
		want[v] = true
	}
	places := []string{filepath.Join(j.Root, filepath.FromSlash(folder))}
	aside, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(j.BackupDir), "moved-aside", "*", fsatomic.QuoteGlob(filepath.FromSlash(folder))))
	places = append(places, aside...)
	places = append(places, filepath.Join(j.BackupDir, "files", filepath.FromSlash(folder)))
	// A sync's phantoms are in no folder of the project: their recovered
	// files are in the run's rollback folders.
	rolled, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(j.BackupDir), "rollback", "*"))
	places = append(places, rolled...)
	for _, place := range places {
		entries, _ := os.ReadDir(place)
		for _, en := range entries {
			v, _, ok := snapshots.ParseMigrationName(en.Name())
			if !ok || !want[v] || !en.Type().IsRegular() {
				continue
			}
			if _, err := copyFileAtomic(filepath.Join(place, en.Name()), filepath.Join(dir, en.Name()), 0o600); err != nil {
				return err
			}
			delete(want, v)
		}
	}
	if len(want) > 0 {
		var left []int64
		for v := range want {
			left = append(left, v)
		}
		sort.Slice(left, func(a, b int) bool { return left[a] < left[b] })
		return fmt.Errorf("no migration file found for versions %v, so they cannot be re-migrated", left)
	}
	return nil
}

func (e *Engine) runRecorded(ctx context.Context, template []string, dir, cwd string) error {
	var argv []string
	for _, a := range template {
		argv = append(argv, strings.ReplaceAll(a, "{dir}", dir))
	}
	res, err := e.mix(ctx, mixCall{Argv: argv, Dir: cwd})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return errors.New(mixFailure(argv, res.ExitCode, res.Stderr, 800))
	}
	return nil
}
