//go:build linux

package regen

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
	"github.com/regen-tool/regen/regen/regentest"
)

// A task that asks (Mix.shell().yes?, as Ash's codegen does) in the one-VM
// driver under real Elixir, on a real terminal: asked with run-tty its
// question shows before the answer and the typed answer reaches it; the
// same task in a plain run reads end of input ("no") without waiting.

const askTask = `defmodule Mix.Tasks.Ask do
  use Mix.Task

  def run(_args) do
    answer = Mix.shell().yes?("Are you renaming posts.body to posts.content?")
    File.write!("answers.log", "#{answer}\n", [:append])
  end
end
`

const ptyChildEnv = "REGEN_TEST_VM_PTY_CHILD"

func TestOneVMDriverRelaysAQuestionOnRealElixir(t *testing.T) {
	if dir := os.Getenv(ptyChildEnv); dir != "" {
		vmPTYChild(t, dir)
		return
	}
	mix := regentest.RequireMix(t)
	dir := driverProject(t)
	if err := os.WriteFile(filepath.Join(dir, "lib/mix/tasks/ask.ex"), []byte(askTask), 0o644); err != nil {
		t.Fatal(err)
	}
	pty := regentest.OpenPTY(t)
	// This test binary again, as the session leader on the terminal (what
	// a user's regen is): only then may it read the terminal.
	cmd := exec.Command(os.Args[0], "-test.run=^TestOneVMDriverRelaysAQuestionOnRealElixir$", "-test.v")
	cmd.Env = append(os.Environ(), ptyChildEnv+"="+dir, "REGEN_TEST_MIX="+mix)
	pty.Attach(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	at := pty.WaitFor("Are you renaming posts.body to posts.content? [Yn] ", 0)
	pty.Type("y\n")
	pty.WaitFor("CHILD DONE", at)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the child failed: %v\n%s", err, pty.Output())
	}
	answers, _ := os.ReadFile(filepath.Join(dir, "answers.log"))
	if string(answers) != "true\nfalse\n" {
		t.Fatalf("answers %q, want the typed y, then end of input (no)\n%s", answers, pty.Output())
	}
	if out := pty.Output(); strings.Count(out, "Are you renaming") != 2 {
		t.Errorf("want the question shown twice (asked, then asked at end of input):\n%s", out)
	}
	if pending := pty.Pending(); pending != "" {
		t.Errorf("input left behind: %q", pending)
	}
}

// vmPTYChild is the child on the terminal: one driver VM, the asking task
// twice (with the terminal relayed, then without).
func vmPTYChild(t *testing.T, dir string) {
	relay := migrator.NewTTYRelay(os.Stdin)
	if relay == nil {
		t.Fatal("the child is not in the terminal's foreground group")
	}
	home := filepath.Join(dir, ".home")
	e := &Engine{rep: discardReporter{}, relay: relay, runner: &migrator.Runner{Stdout: os.Stdout, Stderr: os.Stdout, Indent: "    │ ", Grace: time.Second,
		Env: []string{"HOME=" + home, "MIX_HOME=" + filepath.Join(home, "mix")}}}
	cfg := &project.Config{Root: dir, Mix: []string{os.Getenv("REGEN_TEST_MIX")}, OneVM: true, Codegen: []string{"{mix}", "ash.codegen"}}
	vm := e.startVM(context.Background(), cfg, migrator.Command{})
	defer vm.close()
	if !vm.usable(context.Background(), e.rep) {
		t.Fatalf("the driver did not start: %v", vm.err)
	}
	ctx := context.Background()
	if o := vm.runAsking(ctx, []string{"ask"}, 2*time.Minute, true); o.Status != 0 {
		t.Fatalf("ask with the terminal: %+v", o)
	}
	// Without run-tty the task must not wait for the terminal: it reads
	// end of input at once (the timeout would fail it otherwise).
	if o := vm.run(ctx, []string{"ask"}, 2*time.Minute); o.Status != 0 {
		t.Fatalf("ask without the terminal: %+v", o)
	}
	os.Stdout.WriteString("CHILD DONE\n")
}

// Under mix regen the Mix task's own VM is the driver and owns the
// terminal: run-tty's task asks there, on a real terminal, and the typed
// answer reaches it; a plain run's task reads end of input.
func TestOneVMHostDriverAsksOnMixRegensTerminal(t *testing.T) {
	mix := regentest.RequireMix(t)
	dir := hostDriverProject(t, "ask.ex", askTask, hostExs("TestOneVMHostAskHelper"))
	pty := regentest.OpenPTY(t)
	cmd := exec.Command(mix, "run", "--no-start", "host.exs")
	cmd.Dir = dir
	home := filepath.Join(dir, ".home")
	cmd.Env = append(os.Environ(), "HOME="+home, "MIX_HOME="+filepath.Join(home, "mix"), "HOST_HELPER="+os.Args[0], "HOST_ROOT="+dir)
	pty.Attach(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	at := pty.WaitFor("Are you renaming posts.body to posts.content? [Yn] ", 0)
	pty.Type("y\n")
	pty.WaitFor("helper exit", at)
	if err := cmd.Wait(); err != nil || !strings.Contains(pty.Output(), "helper exit 0") {
		t.Fatalf("mix regen's VM: %v\n%s", err, pty.Output())
	}
	if answers, _ := os.ReadFile(filepath.Join(dir, "answers.log")); string(answers) != "true\nfalse\n" {
		t.Fatalf("answers %q, want the typed y, then end of input\n%s", answers, pty.Output())
	}
}

// TestOneVMHostAskHelper is the child side (regen) of the test above.
func TestOneVMHostAskHelper(t *testing.T) {
	if os.Getenv("REGEN_MIX_DRIVER") != "fd" || os.Getenv("HOST_ROOT") == "" {
		t.Skip("run by TestOneVMHostDriverAsksOnMixRegensTerminal")
	}
	root := os.Getenv("HOST_ROOT")
	e := &Engine{opts: Options{Getenv: os.Getenv}, rep: discardReporter{}, runner: &migrator.Runner{}}
	e.questions = &questionWatch{w: io.Discard, relay: func() *migrator.TTYRelay { return e.relay }}
	cfg := &project.Config{Root: root, Mix: []string{"mix"}, OneVM: true, Codegen: []string{"{mix}", "ash.codegen"}}
	vm := e.startVM(context.Background(), cfg, migrator.Command{})
	defer vm.close()
	if !vm.usable(context.Background(), e.rep) || vm.proc != nil {
		t.Fatalf("the host driver did not start: %v", vm.err)
	}
	if o := vm.runAsking(context.Background(), []string{"ask"}, 2*time.Minute, true); o.Status != 0 {
		t.Fatalf("ask on the terminal: %+v", o)
	}
	if qs := e.questions.take(); len(qs) != 0 {
		t.Fatalf("a question answered on mix regen's terminal was noted as unanswered: %+v", qs)
	}
	// Without a terminal the VM shows the question on its own; regen,
	// which reads none of that VM's output, is told, to report it.
	if o := vm.run(context.Background(), []string{"ask"}, 2*time.Minute); o.Status != 0 {
		t.Fatalf("ask without: %+v", o)
	}
	want := CodegenQuestion{Table: "posts", From: "body", To: "content"}
	if qs := e.questions.take(); len(qs) != 1 || qs[0] != want {
		t.Fatalf("the unanswered question in mix regen's VM: %+v, want [%+v]", qs, want)
	}
}
