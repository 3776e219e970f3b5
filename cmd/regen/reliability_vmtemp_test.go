package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen/regentest"
)

// A run killed with -9 cannot remove its driver folder (the socket, the
// script). The next run's driver start sweeps it, and only it: a folder
// whose owner still holds its lock, one made in the last minute, another
// program's folder, a link named like ours, an old folder without an owner
// file that is younger than a day all stay; one older than a day goes.
func TestReliabilityKill9DriverFolderIsSweptByTheNextRun(t *testing.T) {
	regentest.Regen(t) // built before TMPDIR moves
	regentest.Mixsim(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	p := feature(t)

	cmd, _, child := startSleeping(t, p, "add_subtitle_and_views", "-m")
	cmd.Process.Signal(syscall.SIGKILL)
	syscall.Kill(child, syscall.SIGKILL)
	cmd.Wait()
	dead := vmFolders(t, tmp)
	if len(dead) != 1 {
		t.Fatalf("after kill -9, driver folders %v, want the killed run's one", dead)
	}
	if got, code := p.Regen("recover"); code != 0 {
		t.Fatalf("recover: exit %d\n%s", code, got)
	}

	old := time.Now().Add(-2 * time.Hour)
	mk := func(name string, owner bool) string {
		dir := filepath.Join(tmp, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if owner {
			if err := os.WriteFile(filepath.Join(dir, "owner"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	live := mk("regen-vm-live", true)
	f, err := os.Open(filepath.Join(live, "owner"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	young := mk("regen-vm-young", true)      // unlocked, but just made
	noOwner := mk("regen-vm-noowner", false) // an older regen's, 2 h old
	legacy := mk("regen-vm-legacy", false)   // an older regen's, 2 days old: swept
	other := mk("other-vm-x", true)          // not ours
	outside := filepath.Join(t.TempDir(), "regen-vm-target")
	if err := os.Mkdir(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "owner"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(tmp, "regen-vm-link")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	for _, d := range append([]string{live, noOwner, other, outside}, dead...) {
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}

	if err := os.Chtimes(legacy, old.Add(-48*time.Hour), old.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	dead = append(dead, legacy)

	if got, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
		t.Fatalf("the next run: exit %d\n%s", code, got)
	}
	// The sweep runs beside the driver start; give it a moment to finish.
	deadline := time.Now().Add(10 * time.Second)
	for _, d := range dead {
		for exists(d) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if exists(d) {
			t.Errorf("the dead run's folder %s is still there", d)
		}
	}
	for _, keep := range []string{live, young, noOwner, other, outside, filepath.Join(outside, "owner"), link} {
		if _, err := os.Lstat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
	if left := vmFolders(t, tmp); strings.Join(left, " ") != strings.Join([]string{link, live, noOwner, young}, " ") {
		t.Errorf("left in the temp folder: %v", left)
	}
}

func vmFolders(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "regen-vm-*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}
