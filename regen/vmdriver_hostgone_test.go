package regen

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
	"github.com/regen-tool/regen/regen/regentest"
)

// mix regen's VM, the host of the driver, killed (-9) while a task runs in
// it, on the real Elixir: the run's step gets the interruption (the cause
// of MixRegenGone, which the compensation takes as a signal), not a task
// failure. The helper (regen's side) writes its verdict to a file: its
// VM, and the pipes it had, are gone.

const startedNapTask = `defmodule Mix.Tasks.Nap do
  use Mix.Task

  def run(_args) do
    File.write!("nap.started", "")
    Process.sleep(120_000)
  end
end
`

func TestOneVMHostVMKilledDuringATaskIsAnInterruption(t *testing.T) {
	mix := regentest.RequireMix(t)
	dir := hostDriverProject(t, "nap.ex", startedNapTask, hostExs("TestOneVMHostGoneHelper"))
	cmd := exec.Command(mix, "run", "--no-start", "host.exs")
	cmd.Dir = dir
	home := filepath.Join(dir, ".home")
	cmd.Env = append(os.Environ(), "HOME="+home, "MIX_HOME="+filepath.Join(home, "mix"), "HOST_HELPER="+os.Args[0], "HOST_ROOT="+dir)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	verdict := filepath.Join(dir, "verdict")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(dir, "nap.started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task did not start in the host VM:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for {
		if data, err := os.ReadFile(verdict); err == nil && strings.HasSuffix(string(data), "\n") {
			if got := strings.TrimSpace(string(data)); got != "interrupted: "+MixRegenGone().Error() {
				t.Fatalf("the step's outcome with the host VM gone: %q\n%s", got, out)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the helper wrote no verdict:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOneVMHostGoneHelper is regen's side of the test above: a run's
// runInVM with the host driver, whose task never ends by itself.
func TestOneVMHostGoneHelper(t *testing.T) {
	if os.Getenv("REGEN_MIX_DRIVER") != "fd" || os.Getenv("HOST_ROOT") == "" {
		t.Skip("run by TestOneVMHostVMKilledDuringATaskIsAnInterruption")
	}
	root := os.Getenv("HOST_ROOT")
	e := &Engine{opts: Options{Getenv: os.Getenv}, rep: discardReporter{}, runner: &migrator.Runner{}, wantVM: true}
	cfg := &project.Config{Root: root, Mix: []string{"mix"}, OneVM: true, Codegen: []string{"{mix}", "ash.codegen"}}
	tx := &txn{e: e, proj: &workspace{cfg: cfg}}
	handled, err := tx.runInVM(context.Background(), "", []string{"mix", "nap"}, false)
	verdict := "not handled by the driver"
	var sig *migrator.SignalCause
	switch {
	case !handled:
	case errors.As(err, &sig):
		verdict = "interrupted: " + sig.Error()
	default:
		verdict = "failed: " + strings.ReplaceAll(fmtErr(err), "\n", " ")
	}
	os.WriteFile(filepath.Join(root, "verdict"), []byte(verdict+"\n"), 0o644)
}

func fmtErr(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
