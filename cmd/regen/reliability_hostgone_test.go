package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen/regentest"
)

// The VM that started regen going away (issue 15): `mix regen` runs regen
// as a port of its own VM, in a session of its own, so Ctrl-C reaches only
// the VM (its BREAK menu), and `a` there, or a kill -9 of the VM, ends the
// VM while regen runs. regen treats its parent going away as an
// interruption, at any point of a run: it compensates, restores, exits
// with the interrupted code (129, as for SIGHUP: the session that started
// it is gone) and says so. Real Elixir: skipped without `mix`, failed
// under CI=true.

// mixRegenProject is the feature project with the Hex package as a path
// dependency (a copy of hex/), run by real `mix regen` with the regen
// binary under test (MIX_REGEN_PATH, so nothing is downloaded).
type mixRegenProject struct {
	p   *regentest.Project
	env []string // for the mix command: regen's binary, its mix (the stand-in), Mix's homes
}

func newMixRegenProject(t *testing.T, regenBin string) *mixRegenProject {
	t.Helper()
	requireMix(t)
	hex := filepath.Join(t.TempDir(), "hex")
	src := filepath.Join(regentest.ModuleRoot(), "hex")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && (rel == "_build" || rel == "deps") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(hex, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(hex, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	p := feature(t)
	p.Write("mix.exs", fmt.Sprintf(`defmodule Blog.MixProject do
  use Mix.Project

  def project do
    [app: :blog, version: "0.1.0", deps: [{:regen, path: %q, only: :dev, runtime: false}]]
  end
end
`, hex))
	p.Write(".regen.toml", "preset = \"ash_sqlite\"\n")
	p.Git("add", "mix.exs", ".regen.toml")
	p.Git("commit", "-q", "-m", "regen through Hex")
	env := append(append(append(mixEnv(t), p.GitEnv()...), "REGEN_MIX="+regentest.Mixsim(t), "MIX_REGEN_PATH="+regenBin), p.Env...)
	return &mixRegenProject{p: p, env: env}
}

// startMixRegen starts `mix regen args...` (the VM is the process started:
// mix execs down to the BEAM) with extra environment.
func (m *mixRegenProject) startMixRegen(t *testing.T, env []string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command("mix", append([]string{"regen"}, args...)...)
	cmd.Dir = m.p.Root
	cmd.Env = append(append(append(os.Environ(), m.env...), "ERL_FLAGS=-noinput"), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// waitFor polls until ok or the bound passes.
func pollUntil(t *testing.T, what string, bound time.Duration, ok func() bool, out *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s:\n%s", what, bound, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// journalStep says whether regen's open journal has announced step.
func journalStep(p *regentest.Project, step string) func() bool {
	return func() bool {
		data, err := os.ReadFile(filepath.Join(p.Root, ".git", "regen", "journal.json"))
		return err == nil && bytes.Contains(data, []byte(`"step":"`+step+`"`))
	}
}

// codeWrapper is a regen that records its exit code in a file (mix regen's
// own exit code is lost with its VM).
func codeWrapper(t *testing.T) (bin, codeFile string) {
	t.Helper()
	dir := t.TempDir()
	bin, codeFile = filepath.Join(dir, "regen"), filepath.Join(dir, "code")
	script := fmt.Sprintf("#!/bin/sh\n%q \"$@\"\necho $? > %q\n", regentest.Regen(t), codeFile)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, codeFile
}

// The hosting VM killed (-9) while a task runs, and while regen is outside
// a task (between two steps; in its backup): regen restores everything,
// closes its journal, says so, and exits 129. Run with regen itself as the
// port (its parent goes away) and with a wrapper between (its port's pipe
// closes), so each way of noticing is seen.
func TestReliabilityMixRegenHostVMKilled(t *testing.T) {
	cases := []struct {
		name    string
		env     []string
		waitFor string // the journal step, or "" for the stand-in's ready file
		sig     syscall.Signal
	}{
		{"during-codegen", []string{"MIXSIM_SLEEP=ash.codegen:60"}, "", syscall.SIGKILL},
		{"between-migrate-and-keep_data", []string{"REGEN_TEST_FAULT=sleep:before:keep_data"}, "keep_data", syscall.SIGKILL},
		{"in-the-backup", []string{"REGEN_TEST_FAULT=sleep:after:backup"}, "backup", syscall.SIGKILL},
		// The VM halting in order (as `a` in its BREAK menu halts it).
		{"during-migrate-vm-stopped", []string{"MIXSIM_SLEEP=ash.migrate:60"}, "", syscall.SIGTERM},
	}
	for _, c := range cases {
		for _, wrapped := range []bool{false, true} {
			name := c.name + "/port-is-regen"
			if wrapped {
				name = c.name + "/port-is-a-wrapper"
			}
			t.Run(name, func(t *testing.T) {
				bin, codeFile := regentest.Regen(t), ""
				if wrapped {
					bin, codeFile = codeWrapper(t)
				}
				m := newMixRegenProject(t, bin)
				p := m.p
				before := p.Capture()
				ready := filepath.Join(t.TempDir(), "ready")
				cmd, out := m.startMixRegen(t, append(c.env, "MIXSIM_READY_FILE="+ready), "add_subtitle_and_views", "-m")
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				if c.waitFor == "" {
					pollUntil(t, "the task's start", 2*time.Minute, func() bool { _, err := os.Stat(ready); return err == nil }, out)
				} else {
					pollUntil(t, "step "+c.waitFor, 2*time.Minute, journalStep(p, c.waitFor), out)
				}
				if err := syscall.Kill(cmd.Process.Pid, c.sig); err != nil {
					t.Fatal(err)
				}
				// The Wait ends when every writer of the output (regen
				// too) has closed it: regen has ended.
				select {
				case <-done:
				case <-time.After(2 * time.Minute):
					t.Fatalf("regen did not end after its VM was killed:\n%s", out)
				}
				text := out.String()
				t.Logf("mix regen, its VM killed:\n%s", text)
				if !strings.Contains(text, "interrupted") || !strings.Contains(text, "mix regen") || !strings.Contains(text, "Everything was restored") {
					t.Fatalf("regen did not say it was interrupted by its VM's end and restored:\n%s", text)
				}
				if wrapped {
					code, err := os.ReadFile(codeFile)
					if err != nil || strings.TrimSpace(string(code)) != "129" {
						t.Fatalf("regen's exit code %q (%v), want 129\n%s", code, err, text)
					}
				}
				if _, err := os.Stat(filepath.Join(p.Root, ".git", "regen", "journal.json")); err == nil {
					t.Fatalf("a journal is left open:\n%s", text)
				}
				mustSame(t, before, p.Capture())
				if st, code := p.Regen("status"); code != 0 {
					t.Fatalf("status after: exit %d\n%s", code, st)
				}
			})
		}
	}
}

// The other changing commands under mix regen: a sync (its migrate task
// running) and an undo (before its restore) whose VM is killed are
// interrupted and restored too.
func TestReliabilityMixRegenHostVMKilledSyncAndUndo(t *testing.T) {
	t.Run("sync", func(t *testing.T) {
		bin, codeFile := codeWrapper(t)
		m := newMixRegenProject(t, bin)
		p := m.p
		// A pending migration for the sync to apply.
		p.Write("lib/blog/comment.ex", p.Resource("Comment", "comments", []string{"attribute :body, :string, allow_nil?: false, public?: true", "attribute :rating, :integer, public?: true"}, []string{"belongs_to :post, Blog.Post, allow_nil?: false"}))
		p.Mix("ash.codegen", "add_rating")
		before := p.Capture()
		ready := filepath.Join(t.TempDir(), "ready")
		cmd, out := m.startMixRegen(t, []string{"MIXSIM_SLEEP=ash.migrate:60", "MIXSIM_READY_FILE=" + ready}, "sync")
		killAndWait(t, cmd, out, func() bool { _, err := os.Stat(ready); return err == nil })
		wantInterruptedAndRestored(t, p, out, codeFile)
		mustSame(t, before, p.Capture())
	})
	t.Run("undo", func(t *testing.T) {
		bin, codeFile := codeWrapper(t)
		m := newMixRegenProject(t, bin)
		p := m.p
		if out, code := p.Regen("add_subtitle_and_views", "-m", "--yes"); code != 0 {
			t.Fatalf("run: exit %d\n%s", code, out)
		}
		before := p.Capture()
		cmd, out := m.startMixRegen(t, []string{"REGEN_TEST_FAULT=sleep:before:undo"}, "undo")
		killAndWait(t, cmd, out, journalStep(p, "undo"))
		wantInterruptedAndRestored(t, p, out, codeFile)
		mustSame(t, before, p.Capture())
		if out, code := p.Regen("undo"); code != 0 {
			t.Fatalf("the run is no longer undoable after the interrupted undo: exit %d\n%s", code, out)
		}
	})
}

// killAndWait kills mix regen's VM once ready says so, and waits for
// regen's end (the output's last writer).
func killAndWait(t *testing.T, cmd *exec.Cmd, out *syncBuffer, ready func() bool) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	pollUntil(t, "the point to kill the VM at", 2*time.Minute, ready, out)
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("regen did not end after its VM was killed:\n%s", out)
	}
}

func wantInterruptedAndRestored(t *testing.T, p *regentest.Project, out *syncBuffer, codeFile string) {
	t.Helper()
	text := out.String()
	t.Logf("mix regen, its VM killed:\n%s", text)
	if !strings.Contains(text, "interrupted by the end of mix regen's VM") || !strings.Contains(text, "restored") {
		t.Fatalf("regen did not say it was interrupted by its VM's end and restored:\n%s", text)
	}
	if code, err := os.ReadFile(codeFile); err != nil || strings.TrimSpace(string(code)) != "129" {
		t.Fatalf("regen's exit code %q (%v), want 129\n%s", code, err, text)
	}
	if _, err := os.Stat(filepath.Join(p.Root, ".git", "regen", "journal.json")); err == nil {
		t.Fatalf("a journal is left open:\n%s", text)
	}
}
