package regen

import (
	"encoding/json"
	"strings"
	"testing"
)

// The journal and the config are read back from disk and from people: no
// input may panic, and whatever loads must be safe to act on.

func FuzzDecodeJournal(f *testing.F) {
	good, _ := json.Marshal(Journal{Format: journalFormat, RunID: "r1", Root: "/p", BackupDir: "/p/.git/regen/backup/r1",
		Step: stepCodegen, Files: FileSet{Folders: []string{"priv/repo/migrations"}, Files: []FileEntry{{Path: "priv/repo/migrations/1_a.exs", SHA256: "00"}}}})
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":1,"run_id":"x","root":"/r","backup_dir":"/b","files":{"files":[{"path":"../../etc/passwd"}]}}`))
	f.Add([]byte(`{"format":1,"run_id":"x","root":"relative","backup_dir":"/b"}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := decodeJournal(data)
		if err != nil {
			return
		}
		// Whatever loads names only paths inside the project.
		for _, fe := range j.Files.Files {
			if checkRelative(fe.Path) != nil {
				t.Fatalf("loaded a journal with path %q", fe.Path)
			}
		}
		if j.RunID == "" || !strings.HasPrefix(j.BackupDir, "/") || !strings.HasPrefix(j.Root, "/") {
			t.Fatalf("loaded an incomplete journal: %+v", j)
		}
	})
}
