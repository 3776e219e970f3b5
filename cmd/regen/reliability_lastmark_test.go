package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regen-tool/regen/migrator"

	"github.com/regen-tool/regen/regen/regentest"
)

// The last-run marker across a crash of the run that replaces it: whatever
// recover does with the second run (finish it, or reverse it from its
// journal or, when that is damaged, from its manifest), `regen undo`
// afterwards undoes exactly the run the marker should name.

// twoRuns commits a first run, then prepares a second change. It returns
// the states before and after the first run, and restores the resource of
// the first run (undo gives back migrations, not lib/).
func twoRuns(t *testing.T, kind string) (p *regentest.Project, beforeA, afterA regentest.State, resourceA func()) {
	t.Helper()
	p = featureOf(t, kind)
	postA, err := os.ReadFile(filepath.Join(p.Root, "lib/blog/post.ex"))
	if err != nil {
		t.Fatal(err)
	}
	beforeA = p.Capture()
	mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", append(append([]string{}, baseAttrs...),
		"attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true", "attribute :likes, :integer, public?: true"), nil))
	afterA = p.Capture()
	return p, beforeA, afterA, func() { p.Write("lib/blog/post.ex", string(postA)) }
}

func lastMarker(t *testing.T, p *regentest.Project) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(stateDir(p), "last"))
	if err != nil {
		t.Fatalf("the last-run marker: %v", err)
	}
	return strings.TrimSpace(string(data))
}

func TestReliabilityLastMarkerAcrossCrash(t *testing.T) {
	points := []struct {
		fault    string
		damaged  bool // the journal is truncated after the kill
		finished bool // recover finishes the second run
	}{
		{"kill:before:commit", false, true},
		{"kill:after:mark", false, true}, // the marker names the second run, the journal is open
		{"kill:before:commit", true, false},
		{"kill:after:mark", true, false},
		{"kill:before:codegen", true, false},
	}
	for _, kind := range regentest.Kinds {
		for _, pt := range points {
			name := strings.ReplaceAll(pt.fault, ":", "-")
			if pt.damaged {
				name += "-damaged"
			}
			t.Run(kind+"/"+name, func(t *testing.T) {
				p, beforeA, afterA, resourceA := twoRuns(t, kind)
				first := lastMarker(t, p)
				killed(t, p, pt.fault, "add_likes", "-m")
				if pt.fault == "kill:after:mark" && lastMarker(t, p) == first {
					t.Fatalf("the kill came before the marker was written (%s)", first)
				}
				if pt.damaged {
					j, err := os.ReadFile(journalFile(p))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(journalFile(p), j[:len(j)/2], 0o600); err != nil {
						t.Fatal(err)
					}
				}
				got := mustRegen(t, p, 0, "recover")
				if pt.finished {
					if !strings.Contains(got, "finished") {
						t.Fatalf("recover should finish the run:\n%s", got)
					}
					if lastMarker(t, p) == first {
						t.Fatalf("the finished run is not the last run:\n%s", got)
					}
					mustRegen(t, p, 0, "undo")
					mustSame(t, afterA, p.Capture())
					return
				}
				mustSame(t, afterA, p.Capture())
				if m := lastMarker(t, p); m != first {
					t.Fatalf("after reversing the second run the marker names %s, want the first run %s", m, first)
				}
				mustRegen(t, p, 0, "undo")
				resourceA()
				mustSame(t, beforeA, p.Capture())
			})
		}
	}
}

// The first run ever, reversed after its commit had written the marker:
// the marker goes (there was none), so undo says there is nothing to undo
// instead of refusing a reversed run.
func TestReliabilityLastMarkerOfFirstRunReversed(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	killed(t, p, "kill:after:mark", "add_subtitle_and_views", "-m")
	j, err := os.ReadFile(journalFile(p))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(journalFile(p), j[:len(j)/2], 0o600)
	mustRegen(t, p, 0, "recover")
	mustSame(t, before, p.Capture())
	if _, err := os.Stat(filepath.Join(stateDir(p), "last")); !os.IsNotExist(err) {
		t.Fatalf("the marker should be gone (no run before): %v", err)
	}
	got, code := p.Regen("undo")
	if !strings.Contains(got, "no regen run to undo") {
		t.Fatalf("undo: exit %d\n%s", code, got)
	}
}

// signalAt starts regen with a sleeping fault, waits until the journal
// announces step, sends sig, and returns regen's exit code and output.
func signalAt(t *testing.T, p *regentest.Project, fault, step string, sig syscall.Signal, args ...string) (int, string) {
	t.Helper()
	cmd := p.RegenCmd(args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(cmd.Env, "REGEN_ONE_VM=0", "REGEN_TEST_FAULT="+fault)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	announced := fmt.Sprintf(`"step":%q`, step)
	for i := 0; ; i++ {
		if data, _ := os.ReadFile(journalFile(p)); bytes.Contains(data, []byte(announced)) {
			break
		}
		if i > 3000 {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the journal never announced %s:\n%s", step, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return exitCode(cmd.Wait()), out.String()
}

var restoreSignals = []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// A signal while undo restores: the undo is taken back (the state the run
// left, checked), regen exits 128+signal saying so, and the run can still
// be undone.
func TestReliabilitySignalDuringUndo(t *testing.T) {
	for _, kind := range regentest.Kinds {
		for _, sig := range restoreSignals {
			for _, fault := range []string{"sleep:before:undo", "sleep:after:undo"} {
				t.Run(kind+"/"+migrator.SignalName(sig)+"/"+strings.ReplaceAll(fault, ":", "-"), func(t *testing.T) {
					p := featureOf(t, kind)
					before := p.Capture()
					mustRegen(t, p, 0, "add_subtitle_and_views", "-m")
					after := p.Capture()
					code, out := signalAt(t, p, fault, "undo", sig, "undo")
					if code != 128+int(sig) || !strings.Contains(out, "Everything was restored") {
						t.Fatalf("undo interrupted by %v: exit %d, want %d saying everything was restored\n%s", sig, code, 128+int(sig), out)
					}
					if _, err := os.Stat(journalFile(p)); !os.IsNotExist(err) {
						t.Fatalf("the undo's journal is still open: %v\n%s", err, out)
					}
					mustSame(t, after, p.Capture())
					mustRegen(t, p, 0, "undo")
					mustSame(t, before, p.Capture())
				})
			}
		}
	}
}

// A signal while recover reverses a run: the reversal is finished, and
// regen exits 128+signal saying everything was restored.
func TestReliabilitySignalDuringRecover(t *testing.T) {
	for _, kind := range regentest.Kinds {
		for _, sig := range restoreSignals {
			t.Run(kind+"/"+migrator.SignalName(sig), func(t *testing.T) {
				p := featureOf(t, kind)
				before := p.Capture()
				killed(t, p, "kill:before:codegen", "add_subtitle_and_views", "-m")
				code, out := signalAt(t, p, "sleep:before:compensate", "compensate", sig, "recover")
				if code != 128+int(sig) || !strings.Contains(out, "Everything was restored") {
					t.Fatalf("recover interrupted by %v: exit %d, want %d saying everything was restored\n%s", sig, code, 128+int(sig), out)
				}
				mustSame(t, before, p.Capture())
				if got := mustRegen(t, p, 0, "status"); strings.Contains(got, "INTERRUPTED") {
					t.Fatalf("status after recover:\n%s", got)
				}
			})
		}
	}
}

// snapshotState is every file under the state folder, by content: status
// must leave it exactly as it was (no lock, no journal moved).
func snapshotState(t *testing.T, p *regentest.Project) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(stateDir(p), func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			data, _ := os.ReadFile(path)
			out[path] = string(data)
		}
		return nil
	})
	return out
}

// `regen status` with a damaged journal shows the plan, says the journal
// is damaged, where it is, what recover will do and with which exit code,
// in text and in --json; it changes nothing; and recover then does what
// status said.
func TestReliabilityStatusWithDamagedJournal(t *testing.T) {
	cases := []struct {
		name     string
		spoil    func(t *testing.T, p *regentest.Project, j []byte)
		next     string
		exit     int
		manifest bool
	}{
		{"truncated", func(t *testing.T, p *regentest.Project, j []byte) {
			os.WriteFile(journalFile(p), j[:len(j)/2], 0o600)
		}, "regen recover", 0, true},
		{"garbage", func(t *testing.T, p *regentest.Project, j []byte) {
			os.WriteFile(journalFile(p), []byte("\x00\x17 not json \xff"), 0o600)
		}, "regen recover", 0, true},
		{"truncated-no-backup-folder", func(t *testing.T, p *regentest.Project, j []byte) {
			dirs, _ := filepath.Glob(filepath.Join(stateDir(p), "backup", "*"))
			for _, d := range dirs {
				os.RemoveAll(d)
			}
			os.WriteFile(journalFile(p), j[:len(j)/2], 0o600)
		}, "regen recover --discard-journal", 5, false},
	}
	for _, kind := range regentest.Kinds {
		for _, c := range cases {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				p := featureOf(t, kind)
				before := p.Capture()
				killed(t, p, "kill:before:codegen", "add_subtitle_and_views", "-m")
				j, err := os.ReadFile(journalFile(p))
				if err != nil {
					t.Fatal(err)
				}
				c.spoil(t, p, j)
				state := snapshotState(t, p)
				got := mustRegen(t, p, 0, "status")
				for _, want := range []string{"DAMAGED JOURNAL", journalFile(p), "next: `" + c.next + "`", "migrations"} {
					if !strings.Contains(got, want) {
						t.Fatalf("status should say %q:\n%s", want, got)
					}
				}
				if c.exit == 5 && !strings.Contains(got, "exits 5") || c.exit == 0 && !strings.Contains(got, "exit 0") {
					t.Fatalf("status should name recover's exit code %d:\n%s", c.exit, got)
				}
				hintsHold(t, got)
				stdout, err := p.RegenCmd("status", "--json").Output()
				if err != nil {
					t.Fatalf("status --json: %v", err)
				}
				var st struct {
					Plan    *json.RawMessage `json:"plan"`
					Damaged *struct {
						Journal, Next, Manifest string
						RecoverExit             int `json:"recover_exit"`
					} `json:"damaged_journal"`
				}
				if err := json.Unmarshal(stdout, &st); err != nil || st.Damaged == nil || st.Plan == nil {
					t.Fatalf("status --json: %v\n%s", err, stdout)
				}
				if st.Damaged.Journal != journalFile(p) || st.Damaged.Next != c.next || st.Damaged.RecoverExit != c.exit || (st.Damaged.Manifest != "") != c.manifest {
					t.Fatalf("status --json damaged_journal: %+v", *st.Damaged)
				}
				if st.Damaged.Manifest != "" {
					if _, err := os.Stat(st.Damaged.Manifest); err != nil {
						t.Fatalf("the manifest status names: %v", err)
					}
				}
				if after := snapshotState(t, p); fmt.Sprint(after) != fmt.Sprint(state) {
					t.Fatalf("status changed the state folder")
				}
				out, code := p.Regen("recover")
				if code != c.exit {
					t.Fatalf("recover: exit %d, status said %d\n%s", code, c.exit, out)
				}
				if c.exit == 0 {
					mustSame(t, before, p.Capture())
				}
			})
		}
	}
}
