package regen

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// splitJournal is an open journal of a run over 2,000 migrations, saved
// into a fresh state directory.
func splitJournal(t *testing.T) (*Journal, string) {
	t.Helper()
	stateDir := t.TempDir()
	j := &Journal{Format: journalFormat, RunID: "20260102T030405Z-abcdef", Kind: RunRegen, Root: "/p", BackupDir: filepath.Join(stateDir, "backup", "r1"),
		Step: stepRollback, Done: []StepName{stepBackup}, Files: inventoryOf(2000, "a"), Repos: []RepoRecord{{Name: "repo", Before: []int64{1, 2}}}}
	if err := j.save(stateDir); err != nil {
		t.Fatal(err)
	}
	return j, stateDir
}

// The open journal names its inventory by a file written once; every step
// writes only the rest, and the journal reads back whole.
func TestOpenJournalNamesItsInventory(t *testing.T) {
	j, stateDir := splitJournal(t)
	side := inventoryFiles(stateDir)
	if len(side) != 1 || !strings.HasPrefix(side[0], "journal-files-") {
		t.Fatalf("inventory files %v, want one journal-files-*", side)
	}
	fi, err := os.Stat(journalPath(stateDir))
	if err != nil {
		t.Fatal(err)
	}
	inv, _ := os.Stat(filepath.Join(stateDir, side[0]))
	if fi.Size() > 4096 || inv.Size() < 100_000 {
		t.Fatalf("journal %d bytes, inventory %d bytes: the inventory is not kept apart", fi.Size(), inv.Size())
	}
	stamp := inv.ModTime()
	time.Sleep(10 * time.Millisecond)
	j.Step, j.Done = stepCodegen, append(j.Done, stepRollback)
	if err := j.save(stateDir); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.Stat(filepath.Join(stateDir, side[0])); !again.ModTime().Equal(stamp) {
		t.Fatal("a step rewrote the unchanged inventory")
	}
	got, err := loadJournal(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Step != stepCodegen || !reflect.DeepEqual(got.Files, j.Files) || got.After != nil {
		t.Fatalf("read back step %s, %d files, after %v", got.Step, len(got.Files.Files), got.After)
	}

	// The after-state gets a file of its own; the closed record carries
	// both inline, and the state directory keeps no inventory file.
	after := inventoryOf(2001, "b")
	got.After = &after
	if err := got.save(stateDir); err != nil {
		t.Fatal(err)
	}
	if n := len(inventoryFiles(stateDir)); n != 2 {
		t.Fatalf("%d inventory files, want files and after", n)
	}
	back, err := loadJournal(stateDir)
	if err != nil || back.After == nil || len(back.After.Files) != 2001 {
		t.Fatalf("after-state read back: %v, %v", back, err)
	}
	if err := back.close(stateDir, OutcomeCommitted, time.Now()); err != nil {
		t.Fatal(err)
	}
	if left := inventoryFiles(stateDir); len(left) != 0 || exists(journalPath(stateDir)) {
		t.Fatalf("after close: journal %v, inventory files %v", exists(journalPath(stateDir)), left)
	}
	data, err := os.ReadFile(filepath.Join(j.BackupDir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := decodeJournal(data)
	if err != nil || len(run.Files.Files) != 2000 || run.After == nil || len(run.After.Files) != 2001 || strings.Contains(string(data), "files_ref") {
		t.Fatalf("run.json is not self-contained: %v", err)
	}
}

// An inventory file that is not the one the journal recorded (changed,
// cut short, gone, a symlink, a name outside the state directory) makes
// the journal damaged: recover then reverses from the manifest.
func TestOpenJournalInventoryDamaged(t *testing.T) {
	cases := map[string]func(t *testing.T, stateDir, side string){
		"changed": func(t *testing.T, stateDir, side string) {
			p := filepath.Join(stateDir, side)
			data, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(data), "priv/repo/migrations/7_a.exs", "priv/repo/migrations/7_b.exs", 1)), 0o600)
		},
		"cut short": func(t *testing.T, stateDir, side string) {
			p := filepath.Join(stateDir, side)
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)/2], 0o600)
		},
		"gone": func(t *testing.T, stateDir, side string) { os.Remove(filepath.Join(stateDir, side)) },
		"a symlink": func(t *testing.T, stateDir, side string) {
			p := filepath.Join(stateDir, side)
			elsewhere := filepath.Join(t.TempDir(), "inv.json")
			os.Rename(p, elsewhere)
			if err := os.Symlink(elsewhere, p); err != nil {
				t.Fatal(err)
			}
		},
		"named outside": func(t *testing.T, stateDir, side string) {
			data, _ := os.ReadFile(journalPath(stateDir))
			os.WriteFile(journalPath(stateDir), []byte(strings.Replace(string(data), `"file":"`+side, `"file":"../`+side, 1)), 0o600)
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			_, stateDir := splitJournal(t)
			side := inventoryFiles(stateDir)
			if len(side) != 1 {
				t.Fatalf("inventory files %v", side)
			}
			damage(t, stateDir, side[0])
			j, err := loadJournal(stateDir)
			if err == nil || !strings.Contains(err.Error(), "damaged") {
				t.Fatalf("loaded %v, error %v; want a damaged journal", j, err)
			}
			if h := readHints(mustRead(t, journalPath(stateDir))); h.RunID != "20260102T030405Z-abcdef" || h.Step != stepRollback {
				t.Fatalf("hints %+v: recover could not find the run's manifest", h)
			}
		})
	}
}

// A record in a backup folder never names inventory files; a format-1
// journal of an older regen still reads.
func TestJournalFormats(t *testing.T) {
	_, stateDir := splitJournal(t)
	split := mustRead(t, journalPath(stateDir))
	if _, err := decodeJournal(split); err == nil {
		t.Fatal("a record naming inventory files was read without them")
	}
	j := &Journal{Format: journalFormat, RunID: "r1", Root: "/p", BackupDir: "/p/b", Files: inventoryOf(3, "a")}
	inline, err := j.encode()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeJournalIn(stateDir, inline); err != nil || len(got.Files.Files) != 3 {
		t.Fatalf("format-1 journal: %v, %v", got, err)
	}
	if got, err := decodeJournal([]byte(strings.Replace(string(inline), `"format":1`, `"format":3`, 1))); err == nil {
		t.Fatalf("format 3 read: %v", got)
	}
}

// Moving the journal aside (--discard-journal, a leftover) keeps its
// inventory beside it, and none in the state directory.
func TestJournalMovedAsideKeepsItsInventory(t *testing.T) {
	_, stateDir := splitJournal(t)
	e := &Engine{stateDir: stateDir}
	folder := filepath.Join(stateDir, "backup", "r1")
	to, err := e.moveJournalAside(folder, discardedJournalName)
	if err != nil {
		t.Fatal(err)
	}
	if left := inventoryFiles(stateDir); len(left) != 0 {
		t.Fatalf("inventory files left in the state directory: %v", left)
	}
	got, err := decodeJournalIn(folder, mustRead(t, to))
	if err != nil || len(got.Files.Files) != 2000 {
		t.Fatalf("the journal moved aside does not read whole: %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A small inventory (a project with tens of migrations) stays inline: a
// file of its own would cost another fsync.
func TestSmallInventoryStaysInline(t *testing.T) {
	stateDir := t.TempDir()
	j := &Journal{Format: journalFormat, RunID: "20260102T030405Z-abcdef", Kind: RunRegen, Root: "/p", BackupDir: filepath.Join(stateDir, "backup", "r1"),
		Files: inventoryOf(50, "a")}
	after := inventoryOf(51, "b")
	j.After = &after
	if err := j.save(stateDir); err != nil {
		t.Fatal(err)
	}
	data := mustRead(t, journalPath(stateDir))
	if side := inventoryFiles(stateDir); len(side) != 0 || !strings.Contains(string(data), `"format":1`) {
		t.Fatalf("inventory files %v for 50 migrations; journal %.80s", side, data)
	}
	got, err := loadJournal(stateDir)
	if err != nil || len(got.Files.Files) != 50 || got.After == nil || len(got.After.Files) != 51 {
		t.Fatalf("read back: %v", err)
	}
}
