package regen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The manifest is the journal as it stood when the backup was complete: what
// run, which files with their hashes and copies, which database copies, the
// versions applied before. It is written (and fsynced) into the run's backup
// folder before any step can change anything, so a run whose journal is
// damaged can still be reversed from its backup alone.

const (
	manifestName         = "manifest.json"
	damagedJournalName   = "journal.damaged.json"   // a copy kept when recovering from the manifest
	discardedJournalName = "journal.discarded.json" // where --discard-journal moves the journal
)

func (j *Journal) writeManifest() error {
	data, err := j.encode()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(j.BackupDir, manifestName), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("cannot write the backup's manifest: %w", err)
	}
	return nil
}

func readManifest(folder string) (*Journal, error) {
	data, err := os.ReadFile(filepath.Join(folder, manifestName))
	if err != nil {
		return nil, err
	}
	return decodeJournal(data)
}

// journalHints are the fields still readable in a damaged journal.
type journalHints struct {
	Format int
	RunID  string
	Kind   RunKind
	Step   StepName
}

var (
	hintField  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`"(run_id|kind|step)"\s*:\s*"([^"\\]{0,80})"`) })
	hintFormat = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`"format"\s*:\s*([0-9]{1,6})`) })
	runIDShape = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$`) })
)

// readHints picks the first occurrence of each top-level field: the journal
// writes them before the per-repo records that reuse some names.
func readHints(raw []byte) journalHints {
	var h journalHints
	for _, m := range hintField().FindAllSubmatch(raw, -1) {
		v := string(m[2])
		switch string(m[1]) {
		case "run_id":
			if h.RunID == "" && runIDShape().MatchString(v) {
				h.RunID = v
			}
		case "kind":
			if h.Kind == runKindUnknown {
				h.Kind = parseRunKind(v)
			}
		case "step":
			if h.Step == "" {
				h.Step = StepName(v)
			}
		}
	}
	if m := hintFormat().FindSubmatch(raw); m != nil {
		h.Format, _ = strconv.Atoi(string(m[1]))
	}
	return h
}

func (e *Engine) backupRoot() string { return filepath.Join(e.stateDir, "backup") }

// unfinishedFolders lists, newest first, the backup folders of runs that
// never closed (no run.json) and whose journal was not discarded.
func (e *Engine) unfinishedFolders() []string {
	entries, err := os.ReadDir(e.backupRoot())
	if err != nil {
		return nil
	}
	var out []string
	for _, en := range entries {
		dir := filepath.Join(e.backupRoot(), en.Name())
		if en.IsDir() && runIDShape().MatchString(en.Name()) && !exists(filepath.Join(dir, "run.json")) && !exists(filepath.Join(dir, discardedJournalName)) {
			out = append(out, dir)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}

// manifestFor finds the record of the run a damaged journal belongs to: the
// folder its readable run id names, else the newest unfinished backup
// folder (a run creates its folder before its journal, and only one journal
// is open at a time). folder is that run's backup folder when known; m is
// nil when no usable manifest is there, and why says what was found.
func (e *Engine) manifestFor(h journalHints) (m *Journal, folder, why string) {
	if h.RunID != "" {
		folder = filepath.Join(e.backupRoot(), h.RunID)
		if !exists(folder) {
			return nil, "", fmt.Sprintf("its run id reads %s, but the backup folder %s does not exist", h.RunID, folder)
		}
	} else {
		dirs := e.unfinishedFolders()
		if len(dirs) == 0 {
			if exists(e.backupRoot()) {
				return nil, "", fmt.Sprintf("no run id is readable in it, and no backup folder under %s belongs to an unfinished run", e.backupRoot())
			}
			return nil, "", "no run id is readable in it, and there is no backup folder"
		}
		folder = dirs[0]
	}
	m, err := readManifest(folder)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, folder, fmt.Sprintf("the backup folder %s has no %s (the run stopped during its backup, or an older regen wrote it)", folder, manifestName)
	case err != nil:
		return nil, folder, fmt.Sprintf("the manifest %s cannot be used either: %v", filepath.Join(folder, manifestName), err)
	case h.RunID != "" && m.RunID != h.RunID, h.Kind != runKindUnknown && m.Kind != h.Kind:
		return nil, folder, fmt.Sprintf("the manifest in %s is of run %s (%s), which does not match what the journal still shows (%s %s)", folder, m.RunID, m.Kind, h.RunID, h.Kind)
	case filepath.Clean(m.BackupDir) != filepath.Clean(folder):
		return nil, folder, fmt.Sprintf("the manifest in %s names another backup folder (%s)", folder, m.BackupDir)
	}
	return m, folder, ""
}

// recoverDamaged is recover when the journal cannot be used: the run is
// reversed from its backup's manifest (a reversal is always safe; finishing
// needs the journal's word that everything was verified), or, when even that
// is not possible, the error says what was found and the way out.
func (e *Engine) recoverDamaged(ctx context.Context, cause error) (*RecoverResult, error) {
	raw, _ := os.ReadFile(journalPath(e.stateDir))
	h := readHints(raw)
	m, folder, why := e.manifestFor(h)
	if folder != "" && exists(filepath.Join(folder, "run.json")) {
		// The run was closed (its record is written before the journal is
		// removed): the journal is a leftover, and reversing would undo a
		// finished run behind the user's back.
		to, err := e.moveJournalAside(folder, damagedJournalName)
		if err != nil {
			return nil, err
		}
		return &RecoverResult{Journal: &Journal{RunID: filepath.Base(folder), Kind: h.Kind}, Action: RecoverAlreadyClosed, JournalKept: to}, nil
	}
	if m == nil {
		if folder != "" && h.Step == stepBackup && !exists(filepath.Join(folder, manifestName)) {
			// Write-ahead: a run still in its backup had changed nothing.
			to, err := e.moveJournalAside(folder, discardedJournalName)
			if err != nil {
				return nil, err
			}
			return &RecoverResult{Journal: &Journal{RunID: h.RunID, Kind: h.Kind}, Action: RecoverNothingChanged, JournalKept: to}, nil
		}
		return nil, &DamagedJournalError{Journal: journalPath(e.stateDir), Cause: cause, Found: why, Aside: e.asideFolder(h, folder)}
	}
	// Keep the damaged journal beside the backup; recovery then writes a
	// sound one from the manifest (a crash in between finds either).
	kept := filepath.Join(folder, damagedJournalName)
	if err := writeFileAtomic(kept, raw, 0o600); err != nil {
		return nil, fmt.Errorf("cannot keep a copy of the damaged journal in %s: %w", folder, err)
	}
	e.rep.Warn("the journal is damaged (%v); reversing run %s from the manifest of its backup %s", cause, m.RunID, folder)
	res, err := e.reverse(ctx, m)
	if res != nil {
		res.FromManifest, res.JournalKept = filepath.Join(folder, manifestName), kept
	}
	return res, err
}

// reverse puts back the state before the run j records. An undo that is
// reversed leaves the run it undid undoable again.
func (e *Engine) reverse(ctx context.Context, j *Journal) (*RecoverResult, error) {
	if !exists(j.BackupDir) {
		return nil, &DamagedJournalError{Journal: journalPath(e.stateDir), Cause: fmt.Errorf("its backup folder %s does not exist", j.BackupDir),
			Found: fmt.Sprintf("run %s (%s) cannot be reversed without the copies taken before it", j.RunID, j.Kind), Aside: e.asideFolder(journalHints{RunID: j.RunID}, "")}
	}
	if err := e.keepUndoable(j); err != nil {
		return nil, &UnrestoredError{Step: "recover", Cause: err, BackupDir: j.BackupDir,
			Problems: []string{"nothing was reversed yet; the journal of run " + j.RunID + " stays open"}}
	}
	e.warnDiscard(ctx, j)
	e.keepPresent = true // time passed since the crash: keep what is there
	// A signal does not cut the reversal short (cmd absorbs later ones);
	// it is reported, with whether everything was restored.
	problems := e.compensate(context.WithoutCancel(ctx), j, OutcomeRecovered)
	if sig := signalOf(ctx); sig != nil {
		return nil, &InterruptedError{Signal: sig.Signal, Restored: len(problems) == 0, Problems: problems}
	}
	if len(problems) > 0 {
		problems = append(problems, "if this cannot succeed, `regen recover --discard-journal` moves the journal aside (nothing is deleted) and says what to check")
		return nil, &UnrestoredError{Step: "recover", Cause: fmt.Errorf("run %s", j.RunID), Problems: problems, BackupDir: j.BackupDir, Storage: storageIn(j.writeErr)}
	}
	return &RecoverResult{Journal: j, Action: RecoverRestored}, nil
}

// asideFolder is where --discard-journal will put the journal.
func (e *Engine) asideFolder(h journalHints, folder string) string {
	if folder != "" {
		return folder
	}
	if h.RunID != "" {
		return filepath.Join(e.backupRoot(), h.RunID)
	}
	// Named after the journal's time, so the hint and the move agree.
	stamp := e.opts.Now()
	if fi, err := os.Stat(journalPath(e.stateDir)); err == nil {
		stamp = fi.ModTime()
	}
	return filepath.Join(e.backupRoot(), "discarded-"+stamp.UTC().Format("20060102T150405Z"))
}

// moveJournalAside moves the open journal into folder under name (never over
// another file), and returns where it went.
func (e *Engine) moveJournalAside(folder, name string) (string, error) {
	if err := os.MkdirAll(folder, 0o700); err != nil {
		return "", fmt.Errorf("cannot create %s: %w", folder, err)
	}
	to := filepath.Join(folder, name)
	for i := 1; exists(to); i++ {
		to = filepath.Join(folder, fmt.Sprintf("%s.%d", name, i))
	}
	if err := linkInventoryFiles(e.stateDir, folder); err != nil {
		return "", err
	}
	if err := os.Rename(journalPath(e.stateDir), to); err != nil {
		return "", fmt.Errorf("cannot move the journal to %s: %w", to, err)
	}
	if err := syncDir(folder); err != nil {
		return "", err
	}
	_ = removeInventoryFiles(e.stateDir) // no open journal names them now
	return to, syncDir(e.stateDir)
}

// DiscardResult says where `regen recover --discard-journal` put the
// journal and what may be half-way.
type DiscardResult struct {
	RunID   string // "" when unreadable
	Kind    RunKind
	MovedTo string
	State   []string // what to check, in words
}

// DiscardJournal moves the open journal aside into its run's backup folder
// (never deleting it or any backup) so regen can be used again, and says what
// the interrupted run may have left half-way.
func (e *Engine) DiscardJournal(ctx context.Context) (*DiscardResult, error) {
	lk, err := acquireLock(e.stateDir, "regen recover --discard-journal", e.opts.Now())
	if err != nil {
		return nil, err
	}
	defer lk.release()
	// Once the journal is aside nothing would look for the run's children.
	if j, err := loadJournal(e.stateDir); err == nil && j != nil {
		if err := e.stopLeftovers(j); err != nil {
			return nil, &UnrestoredError{Step: "recover --discard-journal", Cause: err, BackupDir: j.BackupDir,
				Problems: []string{"a process of the interrupted run is still running, so the journal was left in place"}}
		}
	} else if err != nil {
		e.stopLeftoversOfUnfinished()
	}
	raw, err := os.ReadFile(journalPath(e.stateDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the journal %s: %w", journalPath(e.stateDir), err)
	}
	rec, derr := decodeJournalIn(e.stateDir, raw)
	var folder string
	if derr == nil {
		folder = rec.BackupDir
	} else {
		h := readHints(raw)
		var m *Journal
		m, folder, _ = e.manifestFor(h)
		rec = m
		folder = e.asideFolder(h, folder)
		if rec == nil {
			rec = &Journal{RunID: h.RunID, Kind: h.Kind, Step: h.Step}
		}
	}
	to, err := e.moveJournalAside(folder, discardedJournalName)
	if err != nil {
		return nil, err
	}
	return &DiscardResult{RunID: rec.RunID, Kind: rec.Kind, MovedTo: to, State: e.describeDiscarded(rec, folder)}, nil
}

// describeDiscarded says what the run may have left half-way, and where the
// copies of the state before it are.
func (e *Engine) describeDiscarded(j *Journal, folder string) []string {
	var out []string
	if j.Root == "" {
		out = append(out, "what the run changed is not known: the migrations, snapshots and databases of this project may be half-way through it")
	} else {
		if len(j.Files.Folders) > 0 {
			out = append(out, fmt.Sprintf("files under %s (in %s) may be half-way between before and after the run", strings.Join(j.Files.Folders, ", "), j.Root))
		}
		for _, r := range j.Repos {
			switch {
			case r.DBAbsent:
				out = append(out, fmt.Sprintf("database %s did not exist before the run; if it exists now, the run created it", r.Database))
			case r.DBBackup != "":
				if where, gone := e.databaseFor(r).BackupWhere(r, folder); gone {
					out = append(out, fmt.Sprintf("database %s may be half-way, and its copy from before the run is gone (%s does not exist; versions then: %v)", r.Database, where, r.Before))
				} else {
					out = append(out, fmt.Sprintf("database %s may be half-way; its copy from before the run is %s (versions then: %v)", r.Database, where, r.Before))
				}
			default:
				out = append(out, fmt.Sprintf("database %s may be half-way (versions before the run: %v)", r.Database, r.Before))
			}
		}
	}
	if exists(filepath.Join(folder, "files")) {
		out = append(out, fmt.Sprintf("copies of the files git cannot give back are in %s; files git tracks come back with `git checkout -- PATH`", filepath.Join(folder, "files")))
	}
	if j.Kind == RunUndo {
		out = append(out, "this was an undo: `regen undo` may no longer know the run it was undoing ("+j.UndoOf+")")
	}
	out = append(out, "`regen status` shows what regen sees now")
	return out
}

// DamagedJournalError: the journal cannot be used and the backup holds no
// usable manifest for it; nothing was changed by this command.
type DamagedJournalError struct {
	Journal string // the journal file (it exists)
	Cause   error
	Found   string // what regen found beside the backups
	Aside   string // where --discard-journal will move it
}

func (e *DamagedJournalError) Error() string {
	return joinMessage(
		fmt.Sprintf("the journal %s cannot be used: %v.", e.Journal, e.Cause),
		"regen cannot recover without it: "+e.Found+".",
		"Nothing was changed by this command; files and database may be half-way through the interrupted run.",
		fmt.Sprintf("Run `regen recover --discard-journal` to move the journal into %s (nothing is deleted) and use regen again; it says what to check.", e.Aside))
}

func (e *DamagedJournalError) Unwrap() error { return e.Cause }
