package regen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/regen-tool/regen/migrator"
)

// The journal is the write-ahead record of a run. Each step is written (and
// fsynced) before the action it announces, so after a crash `regen recover`
// knows the furthest point the run may have reached and what to restore.

// journalFormat is the format of a journal made in memory; what is written
// is journalFormatInline or journalFormatSplit (journal_inventory.go).
const journalFormat = journalFormatInline

// The step names are in steps.go.

type Journal struct {
	// writeErr is the last failed write of this journal, for the message:
	// when the disk is full, that is the real cause of what follows.
	writeErr error
	// cache holds the inventories' encodings (journal_encode.go); side,
	// the inventory files the open journal names (journal_inventory.go).
	cache struct{ files, after inventoryCache }
	side  struct{ files, after inventoryFile }

	Format    int           `json:"format"`
	RunID     string        `json:"run_id"`
	Kind      RunKind       `json:"kind"` // regen, undo, roundtrip
	Command   string        `json:"command"`
	Started   time.Time     `json:"started"`
	Root      string        `json:"root"`
	BackupDir string        `json:"backup_dir"`
	GitPrefix string        `json:"git_prefix,omitempty"` // project root relative to the git top
	Name      string        `json:"name,omitempty"`
	Migrate   bool          `json:"migrate,omitempty"`
	Step      StepName      `json:"step"`
	Done      []StepName    `json:"done"`
	Repos     []RepoRecord  `json:"repos"`
	Files     FileSet       `json:"files"`           // the state to come back to on failure
	After     *FileSet      `json:"after,omitempty"` // the state the run left (for undo)
	UndoOf    string        `json:"undo_of,omitempty"`
	Report    []string      `json:"report,omitempty"`
	Finished  time.Time     `json:"finished,omitempty"`
	Outcome   Outcome       `json:"outcome,omitempty"` // committed, compensated, recovered, undone, abandoned; open when zero
	Timings   []StepTiming  `json:"timings,omitempty"`
	Created   []string      `json:"created,omitempty"` // files codegen wrote
	Problems  []string      `json:"problems,omitempty"`
	Extra     *ExtraRecords `json:"extra,omitempty"`
	// Children are the mix processes the run started, recorded as each
	// starts: a later regen stops whatever of them is still running.
	Children []migrator.Child `json:"children,omitempty"`
	// PrevLast is the last-run marker as the run found it ("" when there
	// was none; nil in journals of older regens): see lastmark.go.
	PrevLast *string `json:"prev_last,omitempty"`
	// Keep is what the keep_data step carried over and could not (issue 12).
	Keep []migrator.KeepReport `json:"keep,omitempty"`
}

// ExtraRecords holds facts that are only informative.
type ExtraRecords struct {
	Warnings []string `json:"warnings,omitempty"`
}

type StepTiming struct {
	Step     StepName      `json:"step"`
	Duration time.Duration `json:"duration_ns"`
}

// RepoRecord is what the journal keeps per repo for the database.
type RepoRecord struct {
	Name      string        `json:"name"`
	Kind      DBKind        `json:"kind"` // sqlite, postgres
	Database  string        `json:"database"`
	Source    string        `json:"migration_source,omitempty"`
	DBBackup  string        `json:"db_backup,omitempty"` // file under BackupDir
	DBAbsent  bool          `json:"db_absent,omitempty"`
	Before    []int64       `json:"before"`
	Rollback  []int64       `json:"rollback"`
	Reapply   []int64       `json:"reapply,omitempty"`
	New       []int64       `json:"new,omitempty"`
	After     []int64       `json:"after,omitempty"`
	DBRestore RestoreMethod `json:"db_restore,omitempty"` // how the database comes back: copy, template, remigrate
	// DBKept names the PostgreSQL databases that hold what this database
	// was before a restore replaced it; dropped when the run is pruned.
	DBKept []string `json:"db_kept,omitempty"`
	Note   string   `json:"note,omitempty"`
	// InsertedAt keeps schema_migrations.inserted_at of the versions a
	// re-migration would stamp anew.
	InsertedAt map[int64]string `json:"inserted_at,omitempty"`
	// Tenant schemas: applied versions before, and each one's rollback set.
	TenantBefore   map[string][]int64 `json:"tenant_before,omitempty"`
	TenantRollback map[string][]int64 `json:"tenant_rollback,omitempty"`
	// State is the database's data as the run last recorded it (after each
	// step that changes it, and at commit): undo and recover compare it.
	State *DBState `json:"state,omitempty"`
	// Remigrate holds what the compensation runs when the database comes
	// back by re-migration (recorded so `regen recover` needs no config).
	Remigrate *Remigrate `json:"remigrate,omitempty"`

	// Issue 12, PostgreSQL without a template copy: the run whose keep
	// schemas (regen_keep_<run>_<n>, marked) hold the pre-run tables, and
	// which schema each copies. Dropped at commit, compensation, recover
	// and pruning (keep_pg.go).
	KeepRun     string            `json:"keep_run,omitempty"`
	KeepSchemas map[string]string `json:"keep_schemas,omitempty"`
}

// Remigrate: command templates with {dir}, run in Dir; Migrations is the
// repo's migrations folder (project-relative).
type Remigrate struct {
	Dir        string   `json:"dir"`
	Rollback   []string `json:"rollback"`
	Migrate    []string `json:"migrate"`
	Migrations string   `json:"migrations"`
}

func journalPath(stateDir string) string { return filepath.Join(stateDir, "journal.json") }

func (j *Journal) save(stateDir string) error {
	// Compact, and without its inventories: it is written before every step.
	data, err := j.encodeSplit(stateDir)
	if err != nil {
		j.writeErr = &JournalWriteError{Path: journalPath(stateDir), Err: err}
		return j.writeErr
	}
	if err := writeFileAtomic(journalPath(stateDir), append(data, '\n'), 0o600); err != nil {
		j.writeErr = &JournalWriteError{Path: journalPath(stateDir), Err: err}
		return j.writeErr
	}
	return nil
}

// announce records the step about to start: write-ahead.
func (j *Journal) announce(stateDir string, step StepName) error {
	j.Step = step
	return j.save(stateDir)
}

// markDone records a finished step in memory; the next announce writes it.
// A crash in between leaves the step looking unfinished, which recovery
// treats conservatively (it reverses instead of finishing), so the extra
// fsync per step buys nothing. A finished backup also writes its manifest
// (see manifest.go) before any step can change anything.
func (j *Journal) markDone(stateDir string, step StepName, d time.Duration) error {
	j.Done = append(j.Done, step)
	j.Timings = append(j.Timings, StepTiming{Step: step, Duration: d})
	if step == stepBackup {
		return j.writeManifest()
	}
	return nil
}

func (j *Journal) did(step StepName) bool {
	for _, s := range j.Done {
		if s == step {
			return true
		}
	}
	return false
}

// loadJournal returns the open journal, or nil when there is none.
func loadJournal(stateDir string) (*Journal, error) {
	read := func() ([]byte, error) {
		data, err := os.ReadFile(journalPath(stateDir))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("cannot read the journal %s: %w", journalPath(stateDir), err)
		}
		return data, err
	}
	data, err := read()
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	j, derr := decodeJournalIn(stateDir, data)
	if derr == nil {
		return j, nil
	}
	// A run closing meanwhile removes the journal, then its inventory
	// files: read once more before calling what was read damaged.
	again, err := read()
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case err != nil || string(again) == string(data):
		return nil, derr
	}
	return decodeJournalIn(stateDir, again)
}

// decodeJournal decodes a self-contained journal (run.json, a manifest).
func decodeJournal(data []byte) (*Journal, error) { return decodeJournalIn("", data) }

// decodeJournalIn decodes a journal whose inventory files, if it names
// any, are in dir ("": it may name none).
func decodeJournalIn(dir string, data []byte) (*Journal, error) {
	var j Journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("the journal is damaged (%v)", err)
	}
	switch j.Format {
	case journalFormatInline:
	case journalFormatSplit:
		var refs struct {
			FilesRef *inventoryRef `json:"files_ref"`
			AfterRef *inventoryRef `json:"after_ref"`
		}
		if err := json.Unmarshal(data, &refs); err != nil {
			return nil, fmt.Errorf("the journal is damaged (%v)", err)
		}
		if dir == "" && (refs.FilesRef != nil || refs.AfterRef != nil) {
			return nil, fmt.Errorf("the journal names inventory files, which a record in a backup folder never does")
		}
		if refs.FilesRef != nil {
			set, err := readInventory(dir, refs.FilesRef)
			if err != nil {
				return nil, fmt.Errorf("the journal is damaged: %v", err)
			}
			j.Files, j.side.files.ref = set, refs.FilesRef
		}
		if refs.AfterRef != nil {
			set, err := readInventory(dir, refs.AfterRef)
			if err != nil {
				return nil, fmt.Errorf("the journal is damaged: %v", err)
			}
			j.After, j.side.after.ref = &set, refs.AfterRef
		}
	default:
		return nil, fmt.Errorf("the journal has format %d; this regen reads formats %d and %d", j.Format, journalFormatInline, journalFormatSplit)
	}
	j.Format = journalFormat
	if j.RunID == "" || j.BackupDir == "" || j.Root == "" {
		return nil, fmt.Errorf("the journal is incomplete (run id, backup folder or root missing)")
	}
	if !filepath.IsAbs(j.BackupDir) || !filepath.IsAbs(j.Root) {
		return nil, fmt.Errorf("the journal names relative paths")
	}
	for _, f := range j.Files.Files {
		if err := checkRelative(f.Path); err != nil {
			return nil, fmt.Errorf("the journal names a file outside the project: %v", err)
		}
	}
	return &j, nil
}

func checkRelative(p string) error {
	if p == "" || filepath.IsAbs(p) {
		return fmt.Errorf("%q is not a relative path", p)
	}
	c := filepath.ToSlash(filepath.Clean(p))
	if c != p || c == ".." || len(c) >= 3 && c[:3] == "../" {
		return fmt.Errorf("%q is not a clean path inside the project", p)
	}
	return nil
}

// close moves the finished journal next to its backup, so the backup folder
// tells its own story and the state directory has no open journal.
func (j *Journal) close(stateDir string, outcome Outcome, now time.Time) error {
	j.Outcome, j.Finished, j.Step = outcome, now, ""
	data, err := j.encode()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(j.BackupDir, 0o700); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(j.BackupDir, "run.json"), append(data, '\n'), 0o600); err != nil {
		j.writeErr = &JournalWriteError{Path: filepath.Join(j.BackupDir, "run.json"), Err: err}
		return j.writeErr
	}
	if err := os.Remove(journalPath(stateDir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// The inventory files go with the journal that named them; one left
	// by a failed removal is named by no journal, and the next close
	// removes it.
	_ = removeInventoryFiles(stateDir)
	return syncDir(stateDir)
}
