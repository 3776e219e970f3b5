package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// Issue 15 for `regen sync`: its mix steps go through the one-VM driver as
// a regen run's do (the config query on a cold cache, the rollback and the
// migrate, each verified before the next), so a sync is one VM start, cold
// or warm, and so is the post-checkout hook's.

// vmStartLog makes the stand-in log each process it starts (MIXSIM_LOG)
// for the next regen commands of p; starts reads the mix starts since the
// last call.
type vmStartLog struct {
	path string
	seen int
}

func logVMStarts(t *testing.T, p *regentest.Project) *vmStartLog {
	t.Helper()
	l := &vmStartLog{path: filepath.Join(t.TempDir(), "mix.log")}
	p.Env = append(p.Env, "MIXSIM_LOG="+l.path)
	return l
}

func (l *vmStartLog) starts(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(l.path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var all []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		// A -e script spans lines: a start's line names its task first.
		if line != "" && !strings.HasPrefix(line, " ") && (strings.HasPrefix(line, "run ") || strings.HasPrefix(line, "do ") || strings.HasPrefix(line, "ash") || strings.HasPrefix(line, "ecto")) {
			all = append(all, line)
		}
	}
	out := all[l.seen:]
	l.seen = len(all)
	return out
}

// wantOneDriverStart: exactly one mix start, and it is the one-VM driver.
func wantOneDriverStart(t *testing.T, what string, starts []string, out string) {
	t.Helper()
	if len(starts) != 1 || !strings.Contains(starts[0], "run --no-start") || !strings.Contains(starts[0], "driver.exs") {
		t.Fatalf("%s: %d mix start(s), want 1 (the one-VM driver):\n%s\n%s", what, len(starts), strings.Join(starts, "\n"), out)
	}
}

// A cold sync (no cached repo config) and a warm one each start one VM:
// the driver answers the config, then rolls back and migrates, each step
// verified on its own (no folded `mixdo`). Before, the cold sync started
// the config query and a `mix do`, two VMs.
func TestReliabilitySyncOneVMColdAndWarm(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := syncBoth(t, kind)
			p := s.p
			if err := os.RemoveAll(filepath.Join(p.Root, ".git", "regen", "cache")); err != nil {
				t.Fatal(err)
			}
			t.Setenv("XDG_CACHE_HOME", t.TempDir()) // no answer cached with a password either
			p.Env = append(p.Env, "XDG_CACHE_HOME="+os.Getenv("XDG_CACHE_HOME"))
			log := logVMStarts(t, p)
			out, code := p.Regen("sync")
			if code != 0 || !strings.Contains(out, "rolled back") || !strings.Contains(out, "applied 1 migration") {
				t.Fatalf("cold sync: exit %d\n%s", code, out)
			}
			wantOneDriverStart(t, "cold sync", log.starts(t), out)
			for _, step := range []string{"✓ config", "✓ rollback", "✓ migrate", "✓ verify"} {
				if !strings.Contains(out, step) {
					t.Errorf("the cold sync should report %q:\n%s", step, out)
				}
			}
			if strings.Contains(out, "mixdo") {
				t.Errorf("the sync folded its steps into one mix do:\n%s", out)
			}
			if got := p.Applied(); len(got) != len(s.mainVersions)+1 || strings.Contains(columns(t, p, "posts"), "subtitle") || !strings.Contains(columns(t, p, "comments"), "rating") {
				t.Fatalf("after the cold sync: applied %v, posts %s, comments %s", got, columns(t, p, "posts"), columns(t, p, "comments"))
			}
			s.wantRows(t)

			// Warm, back on feature: main's rating is the phantom now.
			p.Git("checkout", "-q", "feature")
			out, code = p.Regen("sync")
			if code != 0 || !strings.Contains(out, "rolled back") || !strings.Contains(out, "applied 1 migration") {
				t.Fatalf("warm sync: exit %d\n%s", code, out)
			}
			wantOneDriverStart(t, "warm sync", log.starts(t), out)
			if strings.Contains(out, "✓ config") {
				t.Errorf("a warm sync asked for the config again:\n%s", out)
			}
			if got := p.Applied(); !sameVersions(got, s.featureVersions) {
				t.Fatalf("applied after the warm sync: %v, want %v", got, s.featureVersions)
			}
			s.wantRows(t)
		})
	}
}

// The post-checkout hook's sync is one VM start as well, both ways.
func TestReliabilitySyncPostCheckoutHookOneVM(t *testing.T) {
	s := newSyncStory(t, regentest.SQLite)
	p := s.p
	if out, code := p.Regen("hook", "install", "--post-checkout"); code != 0 {
		t.Fatalf("hook install: exit %d\n%s", code, out)
	}
	log := logVMStarts(t, p)
	out := gitHooked(t, p, "checkout", "-q", "main")
	if !strings.HasPrefix(out, "regen: synced: rolled back") || !sameVersions(p.Applied(), s.mainVersions) {
		t.Fatalf("the hook on main printed:\n%s\napplied %v", out, p.Applied())
	}
	wantOneDriverStart(t, "the hook's sync on main", log.starts(t), out)
	out = gitHooked(t, p, "checkout", "-q", "feature")
	if !strings.Contains(out, "applied 1 migration") || !sameVersions(p.Applied(), s.featureVersions) {
		t.Fatalf("the hook on feature printed:\n%s\napplied %v", out, p.Applied())
	}
	wantOneDriverStart(t, "the hook's sync on feature", log.starts(t), out)
	s.wantRows(t)
}

// The sync's one driver VM killed (-9) during its rollback and during its
// migrate, and regen interrupted (SIGINT) there: the step fails (or the
// sync is interrupted), everything is restored, and the next sync works.
// (With --rollback down, as for a run: auto would take a killed rollback
// for a raising down and rebuild.)
func TestReliabilitySyncOneVMDriverKilledOrInterrupted(t *testing.T) {
	for _, kind := range regentest.Kinds {
		for _, task := range []string{"ecto.rollback", "ash.migrate"} {
			for _, how := range []string{"kill-the-vm", "sigint-regen"} {
				t.Run(kind+"/"+task+"/"+how, func(t *testing.T) {
					s := syncBoth(t, kind)
					p := s.p
					before := p.Capture()
					log := filepath.Join(t.TempDir(), "mix.log")
					run := startAsleep(t, p, task, 60, []string{"MIXSIM_LOG=" + log}, nil, "sync", "--rollback", "down")
					wantCode, wantSaid := 1, "was ended by SIGKILL"
					if how == "kill-the-vm" {
						syscall.Kill(run.child, syscall.SIGKILL)
					} else {
						run.cmd.Process.Signal(os.Interrupt)
						wantCode, wantSaid = 130, "interrupted by SIGINT"
					}
					code := exitCode(run.cmd.Wait())
					out := run.out.String()
					if code != wantCode || !strings.Contains(out, "Everything was restored") || !strings.Contains(out, wantSaid) {
						t.Fatalf("exit %d, want %d saying %q and everything restored:\n%s", code, wantCode, wantSaid, out)
					}
					mustSame(t, before, p.Capture())
					starts, _ := os.ReadFile(log)
					if n := strings.Count(string(starts), "driver.exs"); n != 1 {
						t.Fatalf("%d driver starts, want 1:\n%s", n, starts)
					}
					if got, code := p.Regen("sync"); code != 0 || !strings.Contains(got, "applied 1 migration") {
						t.Fatalf("the next sync: exit %d\n%s", code, got)
					}
				})
			}
		}
	}
}
