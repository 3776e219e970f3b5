package regen

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
	"github.com/regen-tool/regen/regen/regentest"
)

// The one-VM driver's Elixir (vmdriver_elixir.go) on the real Elixir
// (Debian's 1.14 on OTP 25, the fake-repo project of driver_realmix_test.go)
// and on the stand-in, through the engine's own driver code: one VM start
// answers the config, the database check passes for the right database
// and names the wrong one, tasks run one at a time as asked (a repeat
// really runs), a raise and an exit status are outcomes with the task's
// error, and regen going away (its socket closed) ends the VM mid-task.

const failTask = `defmodule Mix.Tasks.F do
  use Mix.Task

  def run(args) do
    File.write!("calls.log", "f " <> Enum.join(args, " ") <> "\n", [:append])
    if "--fail" in args, do: Mix.raise("f failed")
  end
end
`

const napTask = `defmodule Mix.Tasks.Nap do
  use Mix.Task

  def run(_args), do: Process.sleep(120_000)
end
`

// lockedBuffer is the terminal the driver's output streams to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startTestVM(t *testing.T, mix, dir string, env ...string) (*vmDriver, *lockedBuffer) {
	t.Helper()
	out := &lockedBuffer{}
	home := filepath.Join(dir, ".home")
	e := &Engine{rep: discardReporter{}, runner: &migrator.Runner{Stdout: out, Stderr: out, Grace: time.Second,
		Env: append([]string{"HOME=" + home, "MIX_HOME=" + filepath.Join(home, "mix")}, env...)}}
	cfg := &project.Config{Root: dir, Mix: []string{mix}, OneVM: true, Codegen: []string{"{mix}", "ash.codegen"}}
	vm := e.startVM(context.Background(), cfg, migrator.Command{})
	t.Cleanup(vm.close)
	if !vm.usable(context.Background(), e.rep) {
		t.Fatalf("the driver did not start: %v\n%s", vm.err, out)
	}
	return vm, out
}

func TestOneVMDriverOnRealElixirAndMixsim(t *testing.T) {
	mix := regentest.RequireMix(t)
	for name, mixCmd := range map[string]string{"real": mix, "mixsim": regentest.Mixsim(t)} {
		t.Run(name, func(t *testing.T) {
			dir := driverProject(t)
			os.WriteFile(filepath.Join(dir, "lib/mix/tasks/f.ex"), []byte(failTask), 0o644)
			os.WriteFile(filepath.Join(dir, "lib/mix/tasks/nap.ex"), []byte(napTask), 0o644)
			log := filepath.Join(t.TempDir(), "starts.log")
			vm, out := startTestVM(t, mixCmd, dir, "MIXSIM_LOG="+log, "MIXSIM_SLEEP=nap:120")
			answers, err := migrator.ParseRepoConfig(vm.answers)
			if err != nil || len(answers) != 2 || answers[0].Repo != "Rec.Repo" || answers[0].Identity() != "sqlite "+filepath.Join(dir, "rec_dev.db") {
				t.Fatalf("config: %v %+v\n%s", err, answers, out)
			}
			ctx := context.Background()
			if m, err := vm.check(ctx, []string{"Rec.Repo", "sqlite " + filepath.Join(dir, "rec_dev.db")}); err != nil || m != nil {
				t.Fatalf("check of the right database: %v %+v", err, m)
			}
			m, err := vm.check(ctx, []string{"Rec.Repo", "sqlite " + filepath.Join(dir, "rec_test.db")})
			if err != nil || m == nil || m.Mismatches[0].Actual != "sqlite "+filepath.Join(dir, "rec_dev.db") || m.Mismatches[0].Env != "dev" {
				t.Fatalf("check of the wrong database: %v %+v", err, m)
			}
			for _, task := range [][]string{{"t", "a"}, {"t", "a"}, {"f", `quote " and #{x}`}} {
				if o := vm.run(ctx, task, 0); o.Status != 0 || o.Ended != nil {
					t.Fatalf("%v: %+v\n%s", task, o, out)
				}
			}
			o := vm.run(ctx, []string{"f", "--fail"}, 0)
			if o.Status != 1 || o.Ended != nil || !strings.Contains(o.Stderr, "** (Mix) f failed") {
				t.Fatalf("a raising task: %+v\n%s", o, out)
			}
			calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
			if want := "t a\nt a\nf quote \" and #{x}\nf --fail\n"; string(calls) != want {
				t.Fatalf("calls %q, want %q", calls, want)
			}
			// regen gone mid-task: the socket closes, the VM ends at once.
			done := make(chan vmOutcome, 1)
			go func() { done <- vm.run(ctx, []string{"nap"}, 0) }()
			time.Sleep(500 * time.Millisecond) // let it start the task (either way the VM must end)
			vm.conn.Close()
			select {
			case <-vm.proc.Done():
			case <-time.After(60 * time.Second):
				t.Fatal("the driver VM outlived its closed socket")
			}
			if o := <-done; o.Ended == nil {
				t.Fatalf("the task's outcome does not say the VM ended: %+v", o)
			}
			if starts, _ := os.ReadFile(log); name == "mixsim" && strings.Count(string(starts), "run --no-start") != 1 {
				t.Fatalf("mixsim starts:\n%s", starts)
			}
		})
	}
}
