package regen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// canonical decodes a journal's bytes and marshals them plainly: two
// encodings are the same journal when their canonical forms are equal.
func canonical(t *testing.T, data []byte) []byte {
	t.Helper()
	var j Journal
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(&j)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func inventoryOf(n int, tag string) FileSet {
	s := FileSet{Folders: []string{"priv/repo/migrations"}, Dirs: []string{"priv/repo/migrations"}}
	for i := 0; i < n; i++ {
		s.Files = append(s.Files, FileEntry{Path: fmt.Sprintf("priv/repo/migrations/%d_%s.exs", i, tag), Blob: fmt.Sprintf("%040d", i), Mode: 0o644, Size: int64(i)})
	}
	return s
}

// The cached encoding is the journal json.Marshal gives, before and after
// each way a run changes it: a step announced, the inventory replaced
// (undo, roundtrip), the after-state recorded.
func TestJournalEncodeIsTheJournal(t *testing.T) {
	j := &Journal{Format: journalFormat, RunID: "r1", Kind: RunRegen, Files: inventoryOf(3, "a"), Repos: []RepoRecord{{Name: "repo", Before: []int64{1, 2}}}}
	check := func(what string) {
		t.Helper()
		got, err := j.encode()
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(canonical(t, got), canonical(t, want)) {
			t.Fatalf("%s: the cached encoding differs from the journal:\n got %s\nwant %s", what, got, want)
		}
	}
	check("first")
	j.Step, j.Done = stepRollback, append(j.Done, stepBackup)
	check("a step later")
	j.Files = inventoryOf(3, "b") // same lengths, other arrays
	check("inventory replaced")
	j.Files = inventoryOf(4, "b")
	check("inventory grown")
	after := inventoryOf(5, "c")
	j.After = &after
	check("after recorded")
	j.Outcome = OutcomeCommitted
	check("closed")
	var decoded Journal
	data, _ := j.encode()
	if err := json.Unmarshal(data, &decoded); err != nil || decoded.After == nil || len(decoded.After.Files) != 5 || len(decoded.Files.Files) != 4 {
		t.Fatalf("decoded %+v, %v", decoded, err)
	}
}

// BenchmarkJournalSave: a journal holding the inventory of 2,000
// migrations, encoded as each step's announce does.
func BenchmarkJournalSave(b *testing.B) {
	j := &Journal{Format: journalFormat, RunID: "r1", Kind: RunRegen, Files: inventoryOf(2000, "a")}
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := j.encode(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(j); err != nil {
				b.Fatal(err)
			}
		}
	})
}
