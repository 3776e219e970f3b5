package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountTiny mounts a small tmpfs at dir (a real file system that fills up),
// or skips the test where mounting is not allowed (not root).
func mountTiny(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs (a real full file system)")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

// fill writes into dir until the file system says ENOSPC, and returns the
// filler's path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			break
		}
	}
	// Small writes may still fit in a partly used page: take those too.
	for {
		if _, err := f.Write([]byte{0}); err != nil {
			return p
		}
	}
}

// Issue 10, "Disk full during a step": the file system holding the journal
// (.git/regen) fills up while mix runs. The run exits 5 naming the real
// cause (the journal could not be written: the file system is full), not
// "mixdo failed", and says to free space, then `regen recover`; after
// freeing it, `regen recover` puts everything back.
func TestReliabilityDiskFullDuringAStepNamesTheCauseAndRecovers(t *testing.T) {
	p := feature(t)
	state := filepath.Join(p.Root, ".git", "regen")
	mountTiny(t, state)
	before := p.Capture()

	ready := filepath.Join(t.TempDir(), "ready")
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	// mix sleeps in codegen while the test fills the disk; it then goes on
	// and regen's next journal write meets the full file system.
	cmd.Env = append(cmd.Env, "MIXSIM_SLEEP=ash.codegen:2", "MIXSIM_READY_FILE="+ready)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if data, err := os.ReadFile(ready); err == nil && len(data) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("codegen never started:\n%s", out.String())
		}
	}
	filler := fill(t, state)
	code := exitCode(cmd.Wait())
	msg := out.String()
	if code != 5 {
		t.Fatalf("exit %d, want 5:\n%s", code, msg)
	}
	for _, want := range []string{"regen could not write its journal", "the file system is full (no space left on device)",
		"Free space on the file system holding " + state, "df -h " + state, "then run `regen recover`"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "mixdo failed") {
		t.Errorf("the message blames mix, not the full disk:\n%s", msg)
	}
	os.Remove(filler)
	if got, code := p.Regen("recover"); code != 0 {
		t.Fatalf("recover after freeing space: exit %d\n%s", code, got)
	}
	mustSame(t, before, p.Capture())
}

// The same class before anything changed: the disk is already full when
// the backup is taken. Exit 2, nothing changed, and the message says to
// free space, then run again.
func TestReliabilityDiskFullAtTheBackupSaysToFreeSpace(t *testing.T) {
	p := feature(t)
	state := filepath.Join(p.Root, ".git", "regen")
	mountTiny(t, state)
	before := p.Capture()
	filler := fill(t, state)
	got, code := p.Regen("add_subtitle_and_views", "-m")
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, got)
	}
	for _, want := range []string{"no space left on device", "Nothing was changed.", "Free space on the file system holding " + state, "then run again"} {
		if !strings.Contains(got, want) {
			t.Errorf("the message lacks %q:\n%s", want, got)
		}
	}
	mustSame(t, before, p.Capture())
	os.Remove(filler)
	if got, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
		t.Fatalf("after freeing space: exit %d\n%s", code, got)
	}
}

// The class without root: a file size limit (RLIMIT_FSIZE, `ulimit -f`)
// makes the backup's copy of the database fail with EFBIG. Exit 2, nothing
// changed, and the message names the limit and what to do.
func TestReliabilityFileSizeLimitAtTheBackupSaysWhatToDo(t *testing.T) {
	p := feature(t)
	// A database of about 1 MB; the limit, 100 kB, leaves room for SQLite's
	// shared-memory file (32 kB) and the journal, not for the copy.
	p.SQL(`INSERT INTO posts (id, title, body) VALUES ('00000000-0000-0000-0000-000000000009', 'big', replace(hex(zeroblob(500000)), '0', 'x'))`)
	before := p.Capture()
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Args = append([]string{"sh", "-c", `ulimit -f 200 && exec "$0" "$@"`, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = "/bin/sh"
	out, err := cmd.CombinedOutput()
	got, code := string(out), exitCode(err)
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, got)
	}
	for _, want := range []string{"file too large", "a file size limit was reached", "ulimit -f", "Nothing was changed.", "then run again"} {
		if !strings.Contains(got, want) {
			t.Errorf("the message lacks %q:\n%s", want, got)
		}
	}
	mustSame(t, before, p.Capture())
}

// The class at the plan: a file size limit so small that SQLite cannot grow
// its shared-memory file while reading the applied versions. The message
// names the storage, not "is it a SQLite database?".
func TestReliabilityFileSizeLimitAtThePlanSaysWhatToDo(t *testing.T) {
	p := feature(t)
	before := p.Capture()
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Args = append([]string{"sh", "-c", `ulimit -f 8 && exec "$0" "$@"`, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = "/bin/sh"
	out, err := cmd.CombinedOutput()
	got, code := string(out), exitCode(err)
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, got)
	}
	for _, want := range []string{"I/O error", "ulimit -f", "Nothing was changed."} {
		if !strings.Contains(got, want) {
			t.Errorf("the message lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "is a SQLite database") {
		t.Errorf("the message blames the file, not the storage:\n%s", got)
	}
	mustSame(t, before, p.Capture())
}
