package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen/regentest"
)

// The journal's own failure modes: kills during undo and during
// `check --roundtrip`, a damaged journal of every kind, and undo's summary.

func stateDir(p *regentest.Project) string { return filepath.Join(p.Root, ".git", "regen") }

func journalFile(p *regentest.Project) string { return filepath.Join(stateDir(p), "journal.json") }

// inventoryFile is the open journal's inventory of the files (kept beside
// it, named by its hash).
func inventoryFile(t *testing.T, p *regentest.Project) string {
	t.Helper()
	fs, _ := filepath.Glob(filepath.Join(stateDir(p), "journal-files-*.json"))
	if len(fs) != 1 {
		t.Fatalf("inventory files beside the journal: %v", fs)
	}
	return fs[0]
}

// killed runs regen with a fault and wants it dead of SIGKILL.
func killed(t *testing.T, p *regentest.Project, fault string, args ...string) {
	t.Helper()
	cmd := p.RegenCmd(args...)
	cmd.Env = append(cmd.Env, "REGEN_ONE_VM=0", "REGEN_TEST_FAULT="+fault)
	out, err := cmd.CombinedOutput()
	if code := exitCode(err); code != 128+9 {
		t.Fatalf("regen %v with %s: want SIGKILL, got exit %d\n%s", args, fault, code, out)
	}
}

func mustRegen(t *testing.T, p *regentest.Project, code int, args ...string) string {
	t.Helper()
	got, c := p.Regen(args...)
	if c != code {
		t.Fatalf("regen %v: exit %d, want %d\n%s", args, c, code, got)
	}
	return got
}

// A kill -9 at every point of `regen undo`, then recover: either the undo is
// finished (the exact pre-run state, the run recorded undone) or it is
// reversed (the exact post-run state) and the run can still be undone, to
// the exact pre-run state.
func TestReliabilityKillDuringUndo(t *testing.T) {
	points := []struct {
		fault    string
		finished bool // recover finishes the undo rather than reversing it
	}{
		{"kill:before:backup", false},
		{"kill:after:backup", false},
		{"kill:before:undo", false},
		{"kill:after:undo", false},
		{"kill:before:commit", true},
		{"kill:after:unmark", true}, // the last-run marker is gone, the journal still open
		{"kill:after:commit", true},
	}
	for _, kind := range regentest.Kinds {
		for _, pt := range points {
			t.Run(kind+"/"+strings.ReplaceAll(pt.fault, ":", "-"), func(t *testing.T) {
				p := featureOf(t, kind)
				before := p.Capture()
				mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
				after := p.Capture()
				killed(t, p, pt.fault, "undo")
				if got, code := p.Regen("undo"); code != 4 || !strings.Contains(got, "regen recover") {
					t.Fatalf("undo after the crash: exit %d, want 4 naming `regen recover`\n%s", code, got)
				}
				got := mustRegen(t, p, 0, "recover")
				if pt.finished {
					if !strings.Contains(got, "finished") {
						t.Fatalf("recover should finish the undo:\n%s", got)
					}
					mustSame(t, before, p.Capture())
					if got := mustRegen(t, p, 2, "undo"); !strings.Contains(got, "no regen run to undo") {
						t.Fatalf("the run was undone; a second undo should say so:\n%s", got)
					}
				} else {
					if strings.Contains(pt.fault, "backup") {
						if !strings.Contains(got, "before it changed anything") {
							t.Fatalf("recover:\n%s", got)
						}
					} else if !strings.Contains(got, "`regen undo` can still undo it") {
						t.Fatalf("recover should reverse the undo and say the run stays undoable:\n%s", got)
					}
					mustSame(t, after, p.Capture())
					mustRegen(t, p, 0, "undo")
					mustSame(t, before, p.Capture())
				}
				if got := mustRegen(t, p, 0, "recover"); !strings.Contains(got, "nothing to recover") {
					t.Fatalf("second recover:\n%s", got)
				}
				mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
			})
		}
	}
}

// pathsIn lists the absolute paths a message names.
func pathsIn(msg string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?:^|[\s(])(/[^\s,;()'"`+"`"+`]+)`).FindAllStringSubmatch(msg, -1) {
		out = append(out, strings.TrimRight(m[1], ".:"))
	}
	return out
}

// hintsHold checks every path a message names exists, except the folder the
// hint says the journal goes into (checked once the hint was followed).
func hintsHold(t *testing.T, msg string) (into string) {
	t.Helper()
	if m := regexp.MustCompile(`into (/\S+) \(`).FindStringSubmatch(msg); m != nil {
		into = m[1]
	}
	for _, p := range pathsIn(msg) {
		if p == into || strings.Contains(msg, p+" does not exist") {
			continue
		}
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("the message names %s, which does not exist:\n%s", p, msg)
		}
	}
	return into
}

// Each way a journal can be damaged, with and without the backup's manifest:
// recover reverses the run from the manifest when it can (the exact pre-run
// state), and otherwise says so with hints that name existing files and a
// command that works (`regen recover --discard-journal`, which moves the
// journal into the backup folder and deletes nothing).
func TestReliabilityDamagedJournal(t *testing.T) {
	type damage struct {
		name     string
		fault    string
		spoil    func(t *testing.T, p *regentest.Project, journal []byte)
		restored bool   // recover reverses the run from the manifest
		says     string // what recover's output says
	}
	// In these the folders hold 500 more (tracked) files, so that the open
	// journal keeps its inventory in a file of its own.
	big := map[string]bool{"inventory-changed": true, "inventory-missing": true, "inventory-missing-no-manifest": true}
	garble := func(data []byte) func(t *testing.T, p *regentest.Project, journal []byte) {
		return func(t *testing.T, p *regentest.Project, _ []byte) {
			if err := os.WriteFile(journalFile(p), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	truncate := func(t *testing.T, p *regentest.Project, j []byte) { garble(j[:len(j)/2])(t, p, nil) }
	backupFolder := func(t *testing.T, p *regentest.Project) string {
		dirs, _ := filepath.Glob(filepath.Join(stateDir(p), "backup", "*"))
		if len(dirs) != 1 {
			t.Fatalf("backup folders: %v", dirs)
		}
		return dirs[0]
	}
	reformat := func(t *testing.T, p *regentest.Project, j []byte) {
		var m map[string]any
		if err := json.Unmarshal(j, &m); err != nil {
			t.Fatal(err)
		}
		m["format"] = 99
		data, _ := json.Marshal(m)
		garble(data)(t, p, nil)
	}
	cases := []damage{
		{"truncated", "kill:before:codegen", truncate, true, "recovered from"},
		{"garbage", "kill:before:codegen", garble([]byte("\x00\x17 not json at all \xff\xfe")), true, "recovered from"},
		{"empty", "kill:before:codegen", garble(nil), true, "recovered from"},
		{"wrong-format", "kill:before:codegen", reformat, true, "recovered from"},
		{"truncated-during-backup", "kill:after:backup", func(t *testing.T, p *regentest.Project, j []byte) {
			i := strings.Index(string(j), `"step":"backup"`)
			garble(j[:i+len(`"step":"backup"`)+3])(t, p, nil)
		}, false, "before it changed anything"},
		{"truncated-no-backup-folder", "kill:before:codegen", func(t *testing.T, p *regentest.Project, j []byte) {
			os.RemoveAll(backupFolder(t, p))
			truncate(t, p, j)
		}, false, ""},
		{"garbage-no-backup-folder", "kill:before:codegen", func(t *testing.T, p *regentest.Project, j []byte) {
			os.RemoveAll(backupFolder(t, p))
			garble([]byte("{{{"))(t, p, nil)
		}, false, ""},
		{"sound-journal-no-backup-folder", "kill:before:codegen", func(t *testing.T, p *regentest.Project, j []byte) {
			os.RemoveAll(backupFolder(t, p))
		}, false, ""},
		{"wrong-format-no-manifest", "kill:before:codegen", func(t *testing.T, p *regentest.Project, j []byte) {
			os.Remove(filepath.Join(backupFolder(t, p), "manifest.json"))
			reformat(t, p, j)
		}, false, ""},
		// The open journal's inventory lives in a file of its own beside it.
		{"inventory-changed", "kill:before:codegen", func(t *testing.T, p *regentest.Project, j []byte) {
			f := inventoryFile(t, p)
			data, _ := os.ReadFile(f)
			os.WriteFile(f, []byte(strings.Replace(string(data), `"path":"`, `"path":"x`, 1)), 0o600)
		}, true, "recovered from"},
		{"inventory-missing", "kill:before:migrate", func(t *testing.T, p *regentest.Project, j []byte) {
			os.Remove(inventoryFile(t, p))
		}, true, "recovered from"},
		{"inventory-missing-no-manifest", "kill:before:codegen", func(t *testing.T, p *regentest.Project, j []byte) {
			os.Remove(filepath.Join(backupFolder(t, p), "manifest.json"))
			os.Remove(inventoryFile(t, p))
		}, false, ""},
		{"truncated-manifest-of-another-run", "kill:before:codegen", func(t *testing.T, p *regentest.Project, j []byte) {
			mf := filepath.Join(backupFolder(t, p), "manifest.json")
			data, _ := os.ReadFile(mf)
			os.WriteFile(mf, []byte(strings.Replace(string(data), `"kind":"regen"`, `"kind":"undo"`, 1)), 0o600)
			truncate(t, p, j)
		}, false, ""},
	}
	for _, kind := range regentest.Kinds {
		for _, c := range cases {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				p := featureOf(t, kind)
				if big[c.name] {
					for i := 0; i < 500; i++ {
						p.Write(fmt.Sprintf("priv/repo/migrations/notes/note_%03d.md", i), "a note kept beside the migrations\n")
					}
					p.Git("add", "priv/repo/migrations/notes")
					p.Git("commit", "-qm", "notes")
				}
				before := p.Capture()
				killed(t, p, c.fault, "add_subtitle_and_views", "-m")
				journal, err := os.ReadFile(journalFile(p))
				if err != nil {
					t.Fatal(err)
				}
				c.spoil(t, p, journal)
				got := mustRegen(t, p, 4, "add_subtitle_and_views", "-m")
				if !strings.Contains(got, "regen recover") {
					t.Fatalf("a run should point at `regen recover`:\n%s", got)
				}
				hintsHold(t, got)
				got, code := p.Regen("recover")
				switch {
				case c.says != "":
					if code != 0 || !strings.Contains(got, c.says) {
						t.Fatalf("recover: exit %d, want 0 saying %q\n%s", code, c.says, got)
					}
					hintsHold(t, got)
					mustSame(t, before, p.Capture())
					if left, _ := filepath.Glob(filepath.Join(stateDir(p), "journal-*.json")); len(left) != 0 {
						t.Fatalf("the closed journal's inventory files stay: %v", left)
					}
					if c.restored {
						kept, _ := filepath.Glob(filepath.Join(stateDir(p), "backup", "*", "journal.damaged.json"))
						if len(kept) != 1 {
							t.Fatalf("the damaged journal should be kept beside the backup: %v", kept)
						}
					}
				default:
					if code != 5 || !strings.Contains(got, "regen recover --discard-journal") || strings.Contains(got, "to try again") {
						t.Fatalf("recover: exit %d, want 5 offering --discard-journal\n%s", code, got)
					}
					into := hintsHold(t, got)
					if into == "" {
						t.Fatalf("the hint should say where the journal goes:\n%s", got)
					}
					if _, err := os.Stat(journalFile(p)); err != nil {
						t.Fatal("recover removed the journal it could not use")
					}
					got = mustRegen(t, p, 0, "recover", "--discard-journal")
					hintsHold(t, got)
					if _, err := os.Stat(filepath.Join(into, "journal.discarded.json")); err != nil {
						t.Fatalf("the journal should now be in %s:\n%s", into, got)
					}
					if !strings.Contains(got, "Check by hand") {
						t.Fatalf("discarding should say what may be half-way:\n%s", got)
					}
					// The journal is gone from the way, nothing is restored.
					mustRegen(t, p, 0, "status")
				}
				if got := mustRegen(t, p, 0, "recover"); !strings.Contains(got, "nothing to recover") {
					t.Fatalf("second recover:\n%s", got)
				}
				if c.says != "" {
					mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
				}
			})
		}
	}
}

// A damaged journal of an undo is reversed from its manifest and the run
// stays undoable.
func TestReliabilityDamagedUndoJournal(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
	after := p.Capture()
	killed(t, p, "kill:after:undo", "undo")
	os.WriteFile(journalFile(p), []byte(`{"format":1,"run_id":"`), 0o600)
	got := mustRegen(t, p, 0, "recover")
	if !strings.Contains(got, "recovered from") || !strings.Contains(got, "can still undo") {
		t.Fatalf("recover:\n%s", got)
	}
	mustSame(t, after, p.Capture())
	mustRegen(t, p, 0, "undo")
	mustSame(t, before, p.Capture())
}

// fileState is the project's files (priv, lib) by content, and whether the
// database file exists (Capture needs one).
func fileState(t *testing.T, p *regentest.Project) map[string]string {
	t.Helper()
	st := map[string]string{}
	for _, dir := range []string{"priv", "lib"} {
		filepath.WalkDir(filepath.Join(p.Root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			rel, _ := filepath.Rel(p.Root, path)
			st[rel] = hex.EncodeToString(sum[:])
			return nil
		})
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if _, err := os.Stat(p.DB + suffix); err == nil {
			st["database"+suffix] = "exists"
		}
	}
	return st
}

func roundtripProject(t *testing.T) *regentest.Project {
	p := regentest.NewProject(t)
	p.Write("lib/blog/post.ex", post("attribute :subtitle, :string, public?: true"))
	p.Mix("ash.codegen", "add_subtitle") // new: not committed, not applied
	p.Git("add", "-A")
	p.SQL(`INSERT INTO posts (id, title, body) VALUES ('00000000-0000-0000-0000-000000000001', 'Hello', 'b')`)
	return p
}

// `regen check --roundtrip` is a journaled transaction: a kill -9 at every
// step, then recover, gives the exact prior state, with and without a
// database before it (one that did not exist is moved aside, not deleted).
func TestReliabilityKillDuringRoundtrip(t *testing.T) {
	var faults []string
	for _, step := range []string{"backup", "up", "down", "up-again", "compensate"} {
		faults = append(faults, "kill:before:"+step)
		if step != "compensate" {
			faults = append(faults, "kill:after:"+step)
		}
	}
	for _, absent := range []bool{false, true} {
		for _, fault := range faults {
			name := "with-db/"
			if absent {
				name = "no-db/"
			}
			t.Run(name+strings.ReplaceAll(fault, ":", "-"), func(t *testing.T) {
				p := roundtripProject(t)
				if absent {
					os.Remove(p.DB)
				}
				var before regentest.State
				if !absent {
					before = p.Capture()
				}
				files := fileState(t, p)
				killed(t, p, fault, "check", "--roundtrip")
				if got, code := p.Regen("check", "--roundtrip"); code != 4 || !strings.Contains(got, "regen recover") {
					t.Fatalf("check after the crash: exit %d, want 4\n%s", code, got)
				}
				got := mustRegen(t, p, 0, "recover")
				if !strings.Contains(got, "before it changed anything") && !strings.Contains(got, "the database is as it was before it") {
					t.Fatalf("recover:\n%s", got)
				}
				if d := diffMaps(files, fileState(t, p)); d != "" {
					t.Fatalf("after recover:\n%s", d)
				}
				if !absent {
					mustSame(t, before, p.Capture())
				}
				mustRegen(t, p, 0, "check", "--roundtrip")
				if d := diffMaps(files, fileState(t, p)); d != "" {
					t.Fatalf("after a full round trip:\n%s", d)
				}
				if !absent {
					mustSame(t, before, p.Capture())
				}
				if absent {
					aside, _ := filepath.Glob(filepath.Join(stateDir(p), "backup", "*", "moved-aside", "*", "database", filepath.Base(p.DB)))
					if len(aside) == 0 {
						t.Fatal("the database the round trip created should be moved aside, not deleted")
					}
				}
			})
		}
	}
}

func diffMaps(a, b map[string]string) string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k+": "+v+" vs "+b[k])
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k+": new "+v)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// Undo's summary lists exactly the files the run changed: tracked files the
// run never touched (identified by the index's blob at the run's backup, by
// sha256 at the undo's) are not "restored".
func TestReliabilityUndoSummaryListsWhatChanged(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
	after := p.Capture()
	var want []string
	for path := range before.Files {
		if after.Files[path] != before.Files[path] && strings.HasPrefix(path, "priv/") {
			want = append(want, path)
		}
	}
	for path := range after.Files {
		if _, ok := before.Files[path]; !ok && strings.HasPrefix(path, "priv/") {
			want = append(want, path)
		}
	}
	sort.Strings(want)
	if len(want) < 2 {
		t.Fatalf("the run should have changed files: %v", want)
	}
	got := mustRegen(t, p, 0, "undo")
	var listed []string
	for _, line := range strings.Split(got, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (strings.HasPrefix(strings.TrimSpace(line), "moved aside") || strings.HasPrefix(strings.TrimSpace(line), "restored") || strings.HasPrefix(strings.TrimSpace(line), "brought back")) {
			listed = append(listed, f[len(f)-1])
		}
	}
	sort.Strings(listed)
	if strings.Join(listed, "\n") != strings.Join(want, "\n") {
		t.Fatalf("undo listed:\n  %s\nthe run changed:\n  %s\noutput:\n%s", strings.Join(listed, "\n  "), strings.Join(want, "\n  "), got)
	}
	mustSame(t, before, p.Capture())
}

// A signal, or a kill -9 of regen and its child (power loss), while a mix
// task of the round trip is half-way: the database comes back (by the
// compensation, or by recover after the kill), with and without a database
// before.
func TestReliabilityInterruptedRoundtrip(t *testing.T) {
	for _, absent := range []bool{false, true} {
		for _, task := range []string{"ash.migrate", "ecto.rollback"} { // the SQLite preset rolls back with ecto.rollback -r {repo}
			for _, how := range []string{"SIGINT", "SIGTERM", "SIGKILL"} {
				name := map[bool]string{false: "with-db", true: "no-db"}[absent] + "/" + task + "/" + how
				t.Run(name, func(t *testing.T) {
					p := roundtripProject(t)
					if absent {
						os.Remove(p.DB)
					}
					var before regentest.State
					if !absent {
						before = p.Capture()
					}
					files := fileState(t, p)
					ready := filepath.Join(t.TempDir(), "ready")
					cmd := p.RegenCmd("check", "--roundtrip")
					cmd.Env = append(cmd.Env, "MIXSIM_SLEEP="+task+":60:mid", "MIXSIM_READY_FILE="+ready)
					var out bytes.Buffer
					cmd.Stdout, cmd.Stderr = &out, &out
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { cmd.Process.Kill() })
					deadline := time.Now().Add(30 * time.Second)
					for !fileHas(ready) {
						if time.Now().After(deadline) {
							t.Fatalf("%s never started:\n%s", task, out.String())
						}
						time.Sleep(10 * time.Millisecond)
					}
					var child int
					data, _ := os.ReadFile(ready)
					fmt.Sscan(strings.TrimSpace(string(data)), &child)
					sig := map[string]syscall.Signal{"SIGINT": syscall.SIGINT, "SIGTERM": syscall.SIGTERM, "SIGKILL": syscall.SIGKILL}[how]
					cmd.Process.Signal(sig)
					if sig == syscall.SIGKILL {
						syscall.Kill(child, syscall.SIGKILL)
					}
					code := exitCode(cmd.Wait())
					want := map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143, syscall.SIGKILL: 137}[sig]
					if code != want {
						t.Fatalf("exit %d, want %d\n%s", code, want, out.String())
					}
					if sig == syscall.SIGKILL {
						if got := mustRegen(t, p, 0, "recover"); !strings.Contains(got, "the database is as it was before it") {
							t.Fatalf("recover:\n%s", got)
						}
					} else if !strings.Contains(out.String(), "Everything was restored") {
						t.Fatalf("the message should say it restored:\n%s", out.String())
					}
					if _, err := os.Stat(journalFile(p)); err == nil {
						t.Fatal("a journal is left open")
					}
					if d := diffMaps(files, fileState(t, p)); d != "" {
						t.Fatalf("after:\n%s", d)
					}
					if !absent {
						mustSame(t, before, p.Capture())
					}
				})
			}
		}
	}
}

// recover itself killed half-way (a damaged journal being reversed from the
// manifest; an undo being reversed): the next recover completes it, and the
// run stays undoable.
func TestReliabilityKillDuringRecover(t *testing.T) {
	t.Run("damaged-journal", func(t *testing.T) {
		p := feature(t)
		before := p.Capture()
		killed(t, p, "kill:before:codegen", "add_subtitle_and_views", "-m")
		os.WriteFile(journalFile(p), []byte("garbage"), 0o600)
		killed(t, p, "kill:before:compensate", "recover")
		mustRegen(t, p, 0, "recover")
		mustSame(t, before, p.Capture())
		mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
	})
	t.Run("reversing-an-undo", func(t *testing.T) {
		p := feature(t)
		before := p.Capture()
		mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
		after := p.Capture()
		killed(t, p, "kill:after:undo", "undo")
		killed(t, p, "kill:before:compensate", "recover")
		if got := mustRegen(t, p, 0, "recover"); !strings.Contains(got, "can still undo") {
			t.Fatalf("recover:\n%s", got)
		}
		mustSame(t, after, p.Capture())
		mustRegen(t, p, 0, "undo")
		mustSame(t, before, p.Capture())
	})
}

// A damaged journal left beside a run that was closed (its run.json is
// written before the journal goes): recover changes nothing and keeps the
// journal beside the run's record; reversing would undo a finished run.
func TestReliabilityDamagedJournalOfAClosedRun(t *testing.T) {
	p := feature(t)
	killed(t, p, "kill:before:codegen", "add_subtitle_and_views", "-m")
	dirs, _ := filepath.Glob(filepath.Join(stateDir(p), "backup", "*"))
	if len(dirs) != 1 {
		t.Fatalf("backup folders: %v", dirs)
	}
	manifest, err := os.ReadFile(filepath.Join(dirs[0], "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dirs[0], "run.json"), manifest, 0o600)
	journal, _ := os.ReadFile(journalFile(p))
	os.WriteFile(journalFile(p), journal[:len(journal)/3], 0o600)
	now := p.Capture()
	got := mustRegen(t, p, 0, "recover")
	if !strings.Contains(got, "had already finished") {
		t.Fatalf("recover:\n%s", got)
	}
	hintsHold(t, got)
	mustSame(t, now, p.Capture())
	if _, err := os.Stat(filepath.Join(dirs[0], "journal.damaged.json")); err != nil {
		t.Fatal("the journal should be kept beside the run's record")
	}
	mustRegen(t, p, 0, "status")
}

// The record of the last run damaged (the marker, or the run's run.json):
// undo refuses, changes nothing, and its hints name files that exist; the
// next run replaces the record.
func TestReliabilityDamagedUndoRecord(t *testing.T) {
	for _, damage := range []string{"marker", "marker-path", "run-record", "run-record-missing"} {
		t.Run(damage, func(t *testing.T) {
			p := feature(t)
			mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
			marker := filepath.Join(stateDir(p), "last")
			id, _ := os.ReadFile(marker)
			record := filepath.Join(stateDir(p), "backup", strings.TrimSpace(string(id)), "run.json")
			switch damage {
			case "marker":
				os.WriteFile(marker, []byte("\x00garbage"), 0o600)
			case "marker-path":
				os.WriteFile(marker, []byte("../../etc\n"), 0o600)
			case "run-record":
				data, _ := os.ReadFile(record)
				os.WriteFile(record, data[:len(data)/2], 0o600)
			case "run-record-missing":
				os.Remove(record)
			}
			now := p.Capture()
			got := mustRegen(t, p, 2, "undo")
			hintsHold(t, got)
			if !strings.Contains(got, "Nothing was changed") || !strings.Contains(got, "regen NAME") {
				t.Fatalf("undo:\n%s", got)
			}
			mustSame(t, now, p.Capture())
			mustRegen(t, p, 0, "add_more", "-m")
			if _, code := p.Regen("undo"); code != 0 {
				t.Fatal("the next run should make undo work again")
			}
		})
	}
}
