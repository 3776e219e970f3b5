package regen

import (
	"fmt"
	"os"
	"path/filepath"
)

// DamagedJournal is what `regen status` says about an interrupted run's
// journal that cannot be read: where it is, what recover will do with it
// (the same decisions recoverDamaged takes, read-only here), and the way on.
type DamagedJournal struct {
	Journal  string  `json:"journal"`
	Problem  string  `json:"problem"`
	RunID    string  `json:"run_id,omitempty"` // what is still readable
	Kind     RunKind `json:"kind,omitempty"`
	Step     string  `json:"step,omitempty"`
	Manifest string  `json:"manifest,omitempty"` // recover reverses the run from it
	Recover  string  `json:"recover"`            // what `regen recover` will do
	Next     string  `json:"next"`               // the command to run
	// RecoverExit is the exit code `regen recover` will give (0 done, 5 when
	// it cannot and changes nothing).
	RecoverExit int `json:"recover_exit"`
}

func (e *Engine) damagedJournalStatus(cause error) *DamagedJournal {
	raw, _ := os.ReadFile(journalPath(e.stateDir))
	h := readHints(raw)
	d := &DamagedJournal{Journal: journalPath(e.stateDir), Problem: cause.Error(), RunID: h.RunID, Kind: h.Kind, Step: string(h.Step), Next: "regen recover"}
	m, folder, why := e.manifestFor(h)
	switch {
	case folder != "" && exists(filepath.Join(folder, "run.json")):
		d.Recover = fmt.Sprintf("the run was closed (%s exists): recover moves the leftover journal into %s and changes nothing else", filepath.Join(folder, "run.json"), folder)
	case m == nil && folder != "" && h.Step == stepBackup && !exists(filepath.Join(folder, manifestName)):
		d.Recover = "the run stopped during its backup and had changed nothing: recover moves the journal into " + folder
	case m == nil:
		d.Next, d.RecoverExit = "regen recover --discard-journal", 5
		d.Recover = fmt.Sprintf("recover cannot reverse the run (%s) and exits 5 changing nothing; `regen recover --discard-journal` moves the journal into %s (nothing is deleted) and says what to check", why, e.asideFolder(h, folder))
	default:
		d.Manifest = filepath.Join(folder, manifestName)
		d.Recover = fmt.Sprintf("recover reverses run %s (%s) from the manifest of its backup, %s, and keeps the damaged journal there (exit 0 when everything is restored and checked, 5 if not)", m.RunID, m.Kind, d.Manifest)
	}
	return d
}
