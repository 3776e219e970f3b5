//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen/regentest"
)

// Ctrl-C under `mix regen`, on a real terminal (README, Install): the key
// reaches the Mix task's VM only (regen runs in a session of its own) and
// opens the VM's BREAK menu. `c` lets the run go on to its end; `a` ends
// the VM, and regen, whose VM went away, interrupts the run, restores
// everything and exits 129. Real Elixir: skipped without `mix`, failed
// under CI=true.

// mixRegenOnPTY starts `mix regen args...` on a new terminal, with regen's
// exit code recorded by codeWrapper; ready is the stand-in's ready file
// for the task held by MIXSIM_SLEEP.
func mixRegenOnPTY(t *testing.T, sleep string, args ...string) (m *mixRegenProject, pty *regentest.PTY, done chan error, codeFile, ready string) {
	t.Helper()
	bin, codeFile := runCodeWrapper(t, args[0])
	m = newMixRegenProject(t, bin)
	ready = filepath.Join(t.TempDir(), "ready")
	pty = regentest.OpenPTY(t)
	// As from a user's shell: the shell leads the terminal's session (so
	// the terminal outlives the VM, and regen's last lines reach it) and
	// survives Ctrl-C, which the VM in its foreground gets.
	script := `trap : INT; mix regen "$@"; while [ ! -s "$REGEN_CODE_FILE" ]; do sleep 0.1; done`
	cmd := exec.Command("sh", append([]string{"-c", script, "sh"}, args...)...)
	cmd.Dir = m.p.Root
	cmd.Env = append(cmd.Env, "REGEN_CODE_FILE="+codeFile)
	cmd.Env = append(append(append(cmd.Env, os.Environ()...), m.env...), "MIXSIM_SLEEP="+sleep, "MIXSIM_READY_FILE="+ready, "TERM=dumb")
	pty.Attach(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	done = make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return m, pty, done, codeFile, ready
}

// runCodeWrapper is a regen that records, in codeFile, the exit code of
// the call whose first argument is first (mix regen also calls regen
// --version before it).
func runCodeWrapper(t *testing.T, first string) (bin, codeFile string) {
	t.Helper()
	dir := t.TempDir()
	bin, codeFile = filepath.Join(dir, "regen"), filepath.Join(dir, "code")
	script := fmt.Sprintf("#!/bin/sh\n%q \"$@\"\ncode=$?\n[ \"$1\" = %q ] && echo $code > %q\nexit $code\n", regentest.Regen(t), first, codeFile)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, codeFile
}

func waitReady(t *testing.T, pty *regentest.PTY, ready string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(ready); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task did not start; the terminal shows:\n%s", pty.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitEnd(t *testing.T, pty *regentest.PTY, done chan error) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("mix regen did not end; the terminal shows:\n%s", pty.Output())
	}
}

func regenCode(t *testing.T, codeFile string, pty *regentest.PTY) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if data, err := os.ReadFile(codeFile); err == nil && len(data) > 0 {
			return strings.TrimSpace(string(data))
		}
		if time.Now().After(deadline) {
			t.Fatalf("regen did not end; the terminal shows:\n%s", pty.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// answerBreakMenu presses Ctrl-C once the held task runs, answers the
// VM's BREAK menu with key and returns the terminal's text when mix regen
// ended.
func answerBreakMenu(t *testing.T, pty *regentest.PTY, done chan error, ready, key string) string {
	t.Helper()
	waitReady(t, pty, ready)
	at := len(pty.Output())
	pty.Type("\x03")
	pty.WaitFor("("+key+")", at)
	pty.Type(key + "\n")
	waitEnd(t, pty, done)
	return strings.ReplaceAll(pty.Output(), "\r\n", "\n")
}

func TestReliabilityMixRegenBreakMenuAbortRestores(t *testing.T) {
	m, pty, done, codeFile, ready := mixRegenOnPTY(t, "ash.migrate:60", "add_subtitle_and_views", "-m")
	before := m.p.Capture()
	out := answerBreakMenu(t, pty, done, ready, "a")
	if code := regenCode(t, codeFile, pty); code != "129" {
		t.Fatalf("regen's exit code %s, want 129 (interrupted)\n%s", code, out)
	}
	if !strings.Contains(out, "interrupted by the end of mix regen's VM") || !strings.Contains(out, "restored") {
		t.Fatalf("regen did not say it was interrupted by its VM's end and restored:\n%s", out)
	}
	t.Logf("mix regen, `a` in its BREAK menu:\n%s", out)
	if _, err := os.Stat(filepath.Join(m.p.Root, ".git", "regen", "journal.json")); err == nil {
		t.Fatalf("a journal is left open:\n%s", out)
	}
	mustSame(t, before, m.p.Capture())
}

func TestReliabilityMixRegenBreakMenuContinueFinishes(t *testing.T) {
	m, pty, done, codeFile, ready := mixRegenOnPTY(t, "ash.migrate:3", "add_subtitle_and_views", "-m")
	out := answerBreakMenu(t, pty, done, ready, "c")
	if code := regenCode(t, codeFile, pty); code != "0" {
		t.Fatalf("regen's exit code %s after `c`, want 0 (the run went on to its end)\n%s", code, out)
	}
	if got := m.p.Untracked("priv/repo/migrations"); len(got) != 1 || !strings.Contains(got[0], "add_subtitle_and_views") {
		t.Fatalf("after `c` the run did not end with its one migration: %v\n%s", got, out)
	}
}
