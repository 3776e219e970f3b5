package regen

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
)

// RunOptions is `regen NAME [-m] [--dry-run] [--force]`.
type RunOptions struct {
	Name    string
	Migrate bool
	DryRun  bool
	Force   bool
	// Rollback is the strategy: auto, down or rebuild ("" = config, then auto).
	Rollback string
	// Base: also regenerate migrations committed since the merge base with
	// this ref (feature-branch mode).
	Base    string
	Command string // the command line, for the lock and the journal
	// NoKeepData: no carry-over of dev data after migrate (issue 12).
	NoKeepData bool
	// Terminal is the user's terminal: codegen's questions (Ash's "Are you
	// renaming …?") are relayed to it while codegen runs. nil (no
	// terminal, --yes): codegen reads end of input and Ash takes "no".
	Terminal *os.File
}

// RunResult says what a run did.
type RunResult struct {
	Plan      *Plan
	RunID     string
	BackupDir string
	Created   []string              // files codegen wrote, project-relative
	NoChanges bool                  // codegen detected no changes
	Report    []string              // what a rebuild carried over and dropped
	Keep      []migrator.KeepReport // what the keep_data step kept and could not
	Timings   []StepTiming
	// For --timings: the whole run, the time spent in child processes and
	// in database backups; the rest is regen's own cost.
	Total, Children, DBBackup time.Duration
	// Unanswered are codegen's rename questions that had no one to answer
	// (Ash took "no"; CodegenQuestion.Consequence says what that means).
	Unanswered []CodegenQuestion
}

// Regenerate is the transaction of DESIGN.md:
//
//	plan → lock + journal + backup → rollback exactly the set → verify →
//	remove files, restore tracked generated files → codegen → migrate →
//	verify → commit
//
// Any failure or interruption after the backup runs the compensation, which
// puts back every file byte for byte and the database from its copy.
func (e *Engine) Regenerate(ctx context.Context, o RunOptions) (*RunResult, error) {
	if err := ValidateName(o.Name); err != nil {
		return nil, err
	}
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
	e.useTerminal(o.Terminal)
	e.questions.take()
	// One BEAM for the run's mix tasks, the config query included (vmdriver.go).
	defer e.useOneVM(o.DryRun)()

	// 1. Plan (read only).
	proj, err := e.loadRunProject(ctx)
	if err != nil {
		return nil, err
	}
	if o.Base != "" {
		mb, err := proj.git.MergeBase(o.Base)
		if err != nil {
			return nil, &InputError{What: fmt.Sprintf("--base %s: %v", o.Base, err), Next: "Name a branch or commit this branch shares history with, e.g. --base main."}
		}
		proj.base = mb
	}
	plan, err := proj.plan(ctx, o.Name, o.Migrate, o.Force)
	if err != nil {
		return nil, err
	}
	plan.Base = proj.base
	res := &RunResult{Plan: plan}
	strategy, err := resolveStrategy(o.Rollback, proj.cfg.RollbackStrategy)
	if err != nil {
		return res, err
	}
	proj.predict(ctx, plan, strategy.Strategy)
	if o.NoKeepData {
		plan.keepOff("--no-keep-data")
	}
	plan.Steps = (&txn{e: e, proj: proj, plan: plan, opts: o, root: proj.cfg.Root, strategy: strategy}).stepNames()
	e.rep.Plan(plan)
	if err := proj.refuseStagedNew(plan); err != nil {
		return res, err
	}
	if err := plan.problemsError(); err != nil {
		return res, err // the run would fail and restore: refuse first
	}
	if plan.Blocked != "" {
		return res, &ConflictError{What: plan.Blocked, Next: "Roll back by hand, or run again with --force to roll those tracked migrations back too and apply them again afterwards."}
	}
	if o.DryRun {
		return res, nil
	}
	if err := checkMix(proj.cfg); err != nil {
		return res, err
	}
	t := &txn{e: e, proj: proj, plan: plan, opts: o, root: proj.cfg.Root, strategy: strategy}

	if err := t.execute(ctx, res); err != nil {
		return res, err
	}
	res.Created, res.NoChanges, res.Timings, res.Report = t.j.Created, len(t.j.Created) == 0, t.j.Timings, t.j.Report
	res.Keep = t.j.Keep
	res.Unanswered = unanswered(e.questions.take())
	e.reportKeep(res.Keep)
	return res, nil
}

// execute is the transaction once the plan is known to be possible: journal
// and backup (nothing has changed if they fail), the steps that change
// things (a failure in any is compensated), the commit. A sync runs it too.
func (t *txn) execute(ctx context.Context, res *RunResult) error {
	started := time.Now()
	defer func() { res.Total, res.Children, res.DBBackup = time.Since(started), t.children+t.vmWait, t.dbBackup }()
	if err := t.begin(ctx); err != nil {
		err = t.abandon(err)
		var sig *migrator.SignalCause
		if errors.As(context.Cause(ctx), &sig) {
			// Interrupted before anything changed: nothing to restore.
			return &InterruptedError{Signal: sig.Signal, Restored: true}
		}
		return err
	}
	res.RunID, res.BackupDir = t.j.RunID, t.j.BackupDir
	if err := t.proveFirst(ctx); err != nil {
		return t.abandon(err)
	}
	steps := t.steps()
	for i, s := range steps {
		if err := t.step(ctx, s); err != nil {
			return t.fail(ctx, s.Name, err)
		}
		if !hasTasks(steps[i+1:]) {
			// The run's last task ran: the driver's VM is told to quit and
			// halts while regen checks and commits; the command's end
			// (useOneVM), or a compensation, waits for it.
			t.e.releaseVM()
			if s.Task != nil {
				// Nothing else the tasks started may still run.
				if err := t.e.tasksDone(t.j); err != nil {
					return t.fail(ctx, s.Name, err)
				}
			}
		}
		t.startAfterInventory(steps[i+1:])
	}
	if len(steps) == 0 || steps[len(steps)-1].Name != stepVerify {
		t.verified = nil // a step after verify could have changed the versions
	}

	if err := t.commit(); err != nil {
		return t.fail(ctx, stepCommit, err)
	}
	return nil
}

// txn is one run in progress.
type txn struct {
	e    *Engine
	proj *workspace
	plan *Plan
	opts RunOptions
	root string
	j    *Journal
	// kind is what the run is (RunRegen when zero; RunSync: sync.go).
	kind RunKind
	// strategy is the rollback strategy, resolved once (resolveStrategy).
	strategy StrategyChoice
	// children and dbBackup add up time that is not regen's own.
	children, dbBackup time.Duration
	// vmWait is the wait for the driver VM's boot and its identity
	// answer: mix's time, as a separate start's boot is (children says
	// whether a task ran, so it is kept apart).
	vmWait time.Duration
	// after is the commit's inventory, taken while the last steps run
	// (after_inventory.go); nil until then.
	after *pendingInventory
	// verified holds, per repo, the applied versions verify read (the
	// commit records them: the steps since only read the databases).
	verified map[int][]int64
	drivers  int      // mix driver scripts written (driver.go)
	unproven []string // commands run without the database check
}

func (t *txn) runKind() RunKind {
	if t.kind == runKindUnknown {
		return RunRegen
	}
	return t.kind
}

func (t *txn) folders() []string {
	var fs []string
	for _, r := range t.proj.cfg.Repos {
		fs = append(fs, r.Folders()...)
	}
	return fs
}

// step runs one announced step of the run (steps.go), and records the
// databases' state after one that changed them.
func (t *txn) step(ctx context.Context, s Step) error {
	return t.stepper().run(ctx, s.Name, s.Run)
}

func (t *txn) stepper() stepper {
	return stepper{e: t.e, j: t.j, done: t.recordState}
}

// begin writes the journal, then backs up every file the run may touch and
// every database.
func (t *txn) begin(ctx context.Context) error {
	e := t.e
	now := e.opts.Now()
	id := newRunID(now)
	if e.runID != "" {
		id = e.runID // the driver started before the journal carries it
	}
	t.j = &Journal{
		Format: journalFormat, RunID: id, Kind: t.runKind(), Command: t.opts.Command, Started: now,
		Root: t.root, BackupDir: filepath.Join(e.stateDir, "backup", id), Name: t.opts.Name, Migrate: t.opts.Migrate,
		GitPrefix: t.proj.prefix,
	}
	if err := e.notePrevLast(t.j); err != nil {
		return err
	}
	e.live = t.j
	if vm := e.vm; vm != nil && vm.proc != nil && !vm.closed {
		c := vm.child
		c.Marker = runMarker(t.j)
		t.j.Children = append(t.j.Children, c)
	}
	if err := os.MkdirAll(t.j.BackupDir, 0o700); err != nil {
		return fmt.Errorf("cannot create the backup folder: %w", err)
	}
	return t.stepper().run(ctx, stepBackup, t.backup)
}

// backup copies every file the run may touch and every database.
func (t *txn) backup(ctx context.Context) error {
	e := t.e
	e.rep.StepStart(string(stepBackup), "files and database → "+t.j.BackupDir)
	set, err := backupFiles(t.root, t.folders(), t.j.BackupDir, t.proj)
	if err != nil {
		return err
	}
	t.j.Files = set
	for i, rp := range t.plan.Repos {
		dbStart := time.Now()
		rec, err := t.proj.dbs[i].Backup(ctx, t.j.BackupDir)
		t.dbBackup += time.Since(dbStart)
		if err != nil {
			return err
		}
		rec.Name, rec.Source = rp.Name, t.proj.cfg.Repos[i].MigrationSource
		if rec.DBRestore == RestoreRemigrate {
			cfg := t.proj.cfg
			vars := map[string]string{"repo": cfg.Repos[i].Module}
			rec.Remigrate = &Remigrate{Dir: filepath.Join(t.root, filepath.FromSlash(cfg.Repos[i].App)), Migrations: cfg.Repos[i].Migrations,
				Rollback: project.Expand(cfg.Rollback, cfg.Mix, vars), Migrate: project.Expand(cfg.Remigrate, cfg.Mix, vars)}
			e.rep.Warn("%s", rec.Note)
		}
		rec.Before, rec.Rollback, rec.Reapply = rp.Applied, versions(rp.Rollback), versions(rp.Reapply)
		tenantRecords(rp, &rec)
		if rp.tenantWork() && rec.DBRestore == RestoreRemigrate {
			return &InputError{What: rec.Note, Next: "Tenant schemas are only restored from a full copy: stop the other sessions, or run again with --terminate-connections."}
		}
		t.j.Repos = append(t.j.Repos, rec)
	}
	return nil
}

// backupFiles inventories the folders and copies every file git cannot give
// back (untracked, or changed since the index) into the backup folder.
func backupFiles(root string, folders []string, backupDir string, p *workspace) (FileSet, error) {
	scan, err := p.git.Scan(p.gitPaths(folders))
	if err != nil {
		return FileSet{}, err
	}
	tracked, changed := scan.Tracked, scan.Changed
	// The index's blob of a file git sees as unmodified holds the file's
	// bytes, except where a content filter (autocrlf, eol, ident, a filter
	// driver) converts them: IndexHashes leaves those out, and they are
	// copied like any other file.
	hashes, err := p.git.IndexHashes(p.gitPaths(folders))
	if err != nil {
		return FileSet{}, err
	}
	clean := map[string]bool{}
	for _, g := range tracked {
		if _, ok := hashes[g]; ok {
			clean[p.projectPath(g)] = true
		}
	}
	for _, c := range changed {
		// A work-tree change, or a merge conflict (the index holds no single
		// blob to restore from), needs its own copy.
		if !c.Staged || c.Kind == gitops.Unmerged {
			delete(clean, p.projectPath(c.Path))
		}
	}
	if p.hasher != nil {
		// Files git sees as unmodified are identified by the index's blob
		// hash instead of being read and hashed.
		trusted := map[string]string{}
		for g, h := range hashes {
			if rel := p.projectPath(g); clean[rel] {
				trusted[filepath.Join(root, filepath.FromSlash(rel))] = h
			}
		}
		p.hasher.trustIndex(trusted)
	}
	// The scan has just listed the folders and stat'ed every tracked file:
	// the inventory takes those rather than reading them again.
	known := &knownFS{
		lstat:   func(rel string) (fs.FileInfo, bool) { return scan.Lstat(p.gitPath(rel)) },
		listing: func(rel string) ([]fs.DirEntry, bool) { return scan.Listing(p.gitPath(rel)) },
	}
	set, err := p.hasher.inventoryStat(root, folders, known)
	if err != nil {
		return set, fmt.Errorf("cannot read the folders: %w", err)
	}
	for i := range set.Files {
		f := &set.Files[i]
		if !f.Mode.IsRegular() {
			continue // links and special files are never touched, so never restored
		}
		if clean[f.Path] {
			f.Index = true
			continue
		}
		f.Backup = path.Join("files", f.Path)
		sum, err := copyFileAtomic(filepath.Join(root, filepath.FromSlash(f.Path)), filepath.Join(backupDir, filepath.FromSlash(f.Backup)), 0o600)
		if err != nil {
			return set, fmt.Errorf("cannot back up %s: %w", f.Path, err)
		}
		if sum != f.SHA256 {
			return set, fmt.Errorf("%s changed while it was being backed up; run again", f.Path)
		}
	}
	return set, nil
}

// abandon handles a failure before anything was changed: the journal and the
// partial backup go, the message says nothing was changed.
func (t *txn) abandon(cause error) error {
	if t.j != nil {
		t.j.Problems = append(t.j.Problems, cause.Error())
		t.j.close(t.e.stateDir, OutcomeAbandoned, t.e.opts.Now())
	}
	var ie *InputError
	if errors.As(cause, &ie) {
		return cause
	}
	what, next := fmt.Sprintf("the backup failed: %v", cause), "Fix the cause and run again."
	if s := storageIn(cause); s != nil {
		what = fmt.Sprintf("the backup failed: %s.\n%v", s.what, cause)
		next = s.advice("run again")
	}
	return &InputError{What: what, Next: next}
}

// rollback rolls back exactly the rollback set of each repo: the set's files
// are copied into a folder of their own, and the rollback runs with
// --migrations-path on that folder, so Ecto can touch no other version.
func (t *txn) rollback(ctx context.Context) error {
	any := false
	for i, rp := range t.plan.Repos {
		if rp.tenantWork() {
			any = true
			if err := t.rollbackTenants(ctx, i); err != nil {
				return err
			}
		}
		if len(rp.Rollback) == 0 {
			continue
		}
		any = true
		dir, err := t.prepareRollbackDir(rp)
		if err != nil {
			return err
		}
		t.e.rep.StepStart(string(stepRollback), fmt.Sprintf("%s: %s", rp.Name, describeVersions(rp.Rollback)))
		if err := t.rollbackRepo(ctx, i, rp, dir); err != nil {
			return err
		}
	}
	if !any {
		t.e.rep.Note("rollback: no untracked migration is applied; nothing to roll back")
		return errSkip
	}
	return nil
}

// prepareRollbackDir puts exactly the rollback set's files into a folder of
// their own: `--migrations-path` on it lets Ecto touch no other version.
func (t *txn) prepareRollbackDir(rp RepoPlan) (string, error) {
	dir := t.rollbackDirPath(rp)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	for _, m := range rp.Rollback {
		if err := m.copyTo(t.root, filepath.Join(dir, path.Base(m.Path))); err != nil {
			return "", fmt.Errorf("cannot prepare the rollback folder: %w", err)
		}
	}
	return dir, nil
}

// remove deletes the untracked migrations and snapshots (their copies are
// in the backup) and puts tracked generated files back as the index has them.
func (t *txn) remove(ctx context.Context) error {
	t.e.rep.StepStart(string(stepRemove), "untracked migrations and snapshots; tracked snapshots back to the index")
	for _, rp := range t.plan.Repos {
		for _, rel := range rp.Remove {
			p := filepath.Join(t.root, filepath.FromSlash(rel))
			fi, err := os.Lstat(p)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				continue // never a link or a folder
			}
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("cannot remove %s: %w", rel, err)
			}
			removeEmptyParents(filepath.Dir(p), filepath.Join(t.root, filepath.FromSlash(rp.Snapshots)))
		}
		for _, rel := range rp.RestoreBase {
			data, mode, err := t.proj.git.BlobAt(t.proj.base, t.proj.gitPath(rel))
			if err == nil {
				data, err = t.proj.checkoutBytes(rel, data, mode)
			}
			if err != nil {
				return fmt.Errorf("cannot read %s at the merge base: %w", rel, err)
			}
			if err := replaceFile(filepath.Join(t.root, filepath.FromSlash(rel)), data, mode); err != nil {
				return fmt.Errorf("cannot restore %s: %w", rel, err)
			}
		}
		for _, rel := range rp.RestoreTracked {
			data, mode, err := t.proj.git.IndexBlob(t.proj.gitPath(rel))
			if err == nil {
				data, err = t.proj.checkoutBytes(rel, data, mode)
			}
			if err != nil {
				return fmt.Errorf("cannot read %s from the git index: %w", rel, err)
			}
			if err := replaceFile(filepath.Join(t.root, filepath.FromSlash(rel)), data, mode); err != nil {
				return fmt.Errorf("cannot restore %s: %w", rel, err)
			}
		}
	}
	return nil
}

// removeEmptyParents removes dir and its parents while empty, stopping at
// (and never removing) stop.
func removeEmptyParents(dir, stop string) {
	for dir != stop && strings.HasPrefix(dir, stop+string(filepath.Separator)) {
		if err := os.Remove(dir); err != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// codegen runs the project's code generation under the new name.
func (t *txn) codegen(ctx context.Context) error {
	t.e.rep.StepStart(string(stepCodegen), t.opts.Name)
	argv := project.Expand(t.proj.cfg.Codegen, t.proj.cfg.Mix, map[string]string{"name": t.opts.Name})
	return t.recordCreated(ctx, func(ctx context.Context) error { return t.runMix(ctx, stepCodegen, argv) })
}

// recordCreated runs the mix tasks that include codegen and records the
// files they wrote and the new migration versions.
func (t *txn) recordCreated(ctx context.Context, run func(context.Context) error) error {
	// Names are enough to see what codegen wrote (contents are checked
	// by the inventories of the backup and the commit).
	before, err := listFiles(t.root, t.folders())
	if err != nil {
		return err
	}
	if err := run(ctx); err != nil {
		return err
	}
	after, err := listFiles(t.root, t.folders())
	if err != nil {
		return err
	}
	old := map[string]bool{}
	for _, p := range before {
		old[p] = true
	}
	for _, p := range after {
		if !old[p] {
			t.j.Created = append(t.j.Created, p)
		}
	}
	for i, r := range t.proj.cfg.Repos {
		for _, p := range t.j.Created {
			if m, ok := migrationAt(p, r.Migrations); ok {
				t.j.Repos[i].New = append(t.j.Repos[i].New, m.Version)
			}
		}
	}
	if len(t.j.Created) == 0 {
		t.e.rep.Note("codegen detected no changes: no migration was written")
	}
	return t.j.save(t.e.stateDir)
}

// migrate applies the new migrations (-m), and with --force applies again
// the tracked migrations it rolled back.
func (t *txn) migrate(ctx context.Context) error {
	reapply := false
	for _, rp := range t.plan.Repos {
		if len(rp.Reapply) > 0 {
			reapply = true
		}
	}
	if !t.opts.Migrate && !reapply {
		t.e.rep.Note("migrate skipped (no -m): the new migration is not applied")
		return errSkip
	}
	t.e.rep.StepStart(string(stepMigrate), "")
	return t.runMix(ctx, stepMigrate, t.migrateCommand())
}

// migrateCommand migrates the repos and, when a repo has tenant
// migrations, the tenants too, in one mix start.
func (t *txn) migrateCommand() []string {
	cfg := t.proj.cfg
	tasks := [][]string{}
	if task, ok := withoutMix(project.Expand(cfg.Migrate, []string{"{mix}"}, nil)); ok {
		tasks = append(tasks, task)
	} else {
		return project.Expand(cfg.Migrate, cfg.Mix, nil)
	}
	if t.hasTenants() && cfg.TenantMigrate != nil {
		if task, ok := withoutMix(project.Expand(cfg.TenantMigrate, []string{"{mix}"}, nil)); ok {
			tasks = append(tasks, task)
		}
	}
	return doCommand(cfg.Mix, tasks)
}

func (t *txn) hasTenants() bool {
	for _, rp := range t.plan.Repos {
		if len(rp.Tenants) > 0 {
			return true
		}
	}
	return false
}

// verify checks each database holds exactly the versions the run promises.
func (t *txn) verify(ctx context.Context) error {
	t.e.rep.StepStart(string(stepVerify), "applied versions in each database")
	for i, r := range t.proj.cfg.Repos {
		rec := &t.j.Repos[i]
		want := minus(rec.Before, rec.Rollback)
		if t.opts.Migrate || len(rec.Reapply) > 0 {
			// `migrate` applies every migration that has a file.
			files, err := t.migrationNames(r.Migrations)
			if err != nil {
				return err
			}
			for _, p := range files {
				if m, ok := migrationAt(p, r.Migrations); ok {
					want = append(want, m.Version)
				}
			}
		}
		have, err := t.expectAppliedRead(ctx, i, uniqueSorted(want), "after the run")
		if err != nil {
			return err
		}
		if t.verified == nil {
			t.verified = map[int][]int64{}
		}
		t.verified[i] = have
		if err := t.expectTenants(ctx, i, t.opts.Migrate); err != nil {
			return err
		}
	}
	return nil
}

// runMix runs one mix command and turns a non-zero exit into an error that
// quotes the end of its stderr.
func (t *txn) runMix(ctx context.Context, step StepName, argv []string) error {
	return t.runMixIn(ctx, "", step, argv)
}

// runMixIn runs a mix command in an umbrella app's folder (app "" is the
// project root): tasks that name one repo run where that repo's app is.
// When it fails, what its tasks left running is stopped before anything
// is restored or rebuilt.
func (t *txn) runMixIn(ctx context.Context, app string, step StepName, argv []string) error {
	err := t.runMixOnce(ctx, app, step, argv)
	if err != nil {
		if problem := t.e.stragglersOfFailure(t.j); problem != "" {
			err = fmt.Errorf("%w; %s", err, problem)
		}
	}
	return err
}

// runMixOnce is runMixIn without the stragglers' stop.
func (t *txn) runMixOnce(ctx context.Context, app string, step StepName, argv []string) error {
	if apps := t.umbrellaApps(app, argv); len(apps) > 0 {
		return t.runInApps(ctx, apps, step, argv) // umbrella.go
	}
	ask := t.asks(step, argv)
	if handled, err := t.runInVM(ctx, app, argv, ask); handled {
		return err
	}
	first := t.children == 0 // no child has run: no database changed yet
	run, err := t.asDriver(app, argv)
	if err != nil {
		return err
	}
	res, err := t.e.mix(ctx, mixCall{Argv: run, Dir: filepath.Join(t.root, filepath.FromSlash(app)), Ask: ask})
	t.children += res.Duration
	if err != nil {
		return err
	}
	if res.Interrupted {
		return context.Cause(ctx)
	}
	if res.TimedOut {
		return fmt.Errorf("`%s` did not finish within %s and was stopped", strings.Join(argv, " "), t.e.opts.Timeout)
	}
	if res.ExitCode == driverMismatchExit {
		if m := parseMismatch(res.Stderr); m != nil {
			m.First = first
			return m
		}
	}
	if res.ExitCode != 0 {
		return errors.New(mixFailure(argv, res.ExitCode, res.Stderr, 1500))
	}
	return nil
}

// expectApplied is the verification between steps: the database must hold
// exactly want, no more, no less.
func (t *txn) expectApplied(ctx context.Context, repo int, want []int64, when string) error {
	_, err := t.expectAppliedRead(ctx, repo, want, when)
	return err
}

// expectAppliedRead is expectApplied that also returns the versions read.
func (t *txn) expectAppliedRead(ctx context.Context, repo int, want []int64, when string) ([]int64, error) {
	have, err := t.proj.dbs[repo].Applied(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot read the applied versions %s: %w", when, err)
	}
	missing, extra := setDiff(want, have)
	if len(missing) == 0 && len(extra) == 0 {
		return have, nil
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("expected applied but not: %v", missing))
	}
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("applied but not expected: %v", extra))
	}
	return nil, &VerificationError{fmt.Sprintf("verification %s failed for repo %q: %s", when, t.j.Repos[repo].Name, strings.Join(parts, "; "))}
}

func describeVersions(ms []Migration) string {
	var s []string
	for _, m := range ms {
		s = append(s, fmt.Sprintf("%d_%s", m.Version, m.Slug))
	}
	return strings.Join(s, ", ")
}

func minus(a, b []int64) []int64 {
	drop := map[int64]bool{}
	for _, v := range b {
		drop[v] = true
	}
	var out []int64
	for _, v := range a {
		if !drop[v] {
			out = append(out, v)
		}
	}
	return out
}

func uniqueSorted(v []int64) []int64 {
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	var out []int64
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// setDiff returns what want has that have lacks, and the reverse.
func setDiff(want, have []int64) (missing, extra []int64) {
	w, h := map[int64]bool{}, map[int64]bool{}
	for _, v := range want {
		w[v] = true
	}
	for _, v := range have {
		h[v] = true
		if !w[v] {
			extra = append(extra, v)
		}
	}
	for _, v := range want {
		if !h[v] {
			missing = append(missing, v)
		}
	}
	return missing, extra
}
