package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// TestReliabilityEveryTerminatingSignalAtEveryChildStep
// (reliability_signals_test.go) covers every terminating signal at every
// step that runs a child.

func fileHas(p string) bool {
	data, err := os.ReadFile(p)
	return err == nil && len(bytes.TrimSpace(data)) > 0
}

// The crash matrix without -m: the same guarantees when the new migration
// is not applied.
func TestCrashWithoutMigrateIsRecoverable(t *testing.T) {
	for _, kind := range regentest.Kinds {
		for _, step := range []string{"rollback", "remove", "codegen", "verify", "commit"} {
			t.Run(kind+"/before-"+step, func(t *testing.T) {
				p := featureOf(t, kind)
				before := p.Capture()
				cmd := p.RegenCmd("add_subtitle_and_views")
				cmd.Env = append(cmd.Env, "REGEN_ONE_VM=0", "REGEN_TEST_FAULT=kill:before:"+step)
				if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
					t.Fatalf("want SIGKILL, got %v\n%s", err, out)
				}
				got, code := p.Regen("recover")
				if code != 0 {
					t.Fatalf("recover: exit %d\n%s", code, got)
				}
				if step == "commit" {
					p.Regen("undo")
				}
				mustSame(t, before, p.Capture())
			})
		}
	}
}

// The lock cannot go stale: it is an flock the kernel drops with its holder.
// A lock file left by a dead process (any content) does not block a run.
func TestLockFileOfADeadProcessDoesNotBlock(t *testing.T) {
	p := feature(t)
	state := filepath.Join(p.Root, ".git", "regen")
	os.MkdirAll(state, 0o700)
	os.WriteFile(filepath.Join(state, "lock"), []byte(`{"pid":999999,"host":"gone","started":"2020-01-01T00:00:00Z","command":"regen x"}`), 0o600)
	if got, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
		t.Fatalf("exit %d\n%s", code, got)
	}
}

// When recovery itself cannot complete (a backup copy damaged, the database
// copy gone), it says exactly what could not be restored and where the
// backup is, keeps the journal for another try, and deletes no backup.
func TestRecoveryThatCannotCompleteSaysWhatAndKeepsEverything(t *testing.T) {
	for _, damage := range []string{"file copy", "database copy"} {
		t.Run(damage, func(t *testing.T) {
			p := feature(t)
			cmd := p.RegenCmd("add_subtitle_and_views", "-m")
			cmd.Env = append(cmd.Env, "REGEN_ONE_VM=0", "REGEN_TEST_FAULT=kill:before:codegen")
			cmd.CombinedOutput()
			backups, _ := filepath.Glob(filepath.Join(p.Root, ".git", "regen", "backup", "*"))
			if len(backups) != 1 {
				t.Fatalf("backups: %v", backups)
			}
			var victim string
			if damage == "file copy" {
				copies, _ := filepath.Glob(filepath.Join(backups[0], "files", "priv", "repo", "migrations", "*.exs"))
				victim = copies[0]
				os.WriteFile(victim, []byte("damaged"), 0o600)
			} else {
				dbs, _ := filepath.Glob(filepath.Join(backups[0], "db-*"))
				victim = dbs[0]
				os.Remove(victim)
			}
			got, code := p.Regen("recover")
			if code != 5 {
				t.Fatalf("exit %d, want 5\n%s", code, got)
			}
			if !strings.Contains(got, backups[0]) {
				t.Fatalf("the message should say where the backup is:\n%s", got)
			}
			if damage == "file copy" && !strings.Contains(got, "does not match its recorded sha256") {
				t.Fatalf("the message should say what is wrong:\n%s", got)
			}
			if _, err := os.Stat(backups[0]); err != nil {
				t.Fatal("the backup folder was deleted")
			}
			if _, code := p.Regen("add_x"); code != 4 {
				t.Fatalf("the journal should still be open (exit 4), got %d", code)
			}
		})
	}
}
