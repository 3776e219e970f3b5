package regen

import (
	"context"
	"fmt"
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

// mix regen's own VM as the driver, on the real Elixir: a Mix VM opens
// this test binary as the Hex package's Regen.Exec opens regen (a port
// with :nouse_stdio, REGEN_MIX_DRIVER from Regen.DriverHost.env/0, the
// port's data to Regen.DriverHost.data/2: hex/lib/regen/driver_host.ex
// itself), and the engine's driver code in the child sends the driver's
// source over fd 4 and runs its tasks in that VM: the child starts no
// process at all (its driver has none of its own).

// hostExs plays mix regen's part: it opens the test binary's helper test
// (the named one) as Regen.Exec opens regen, serves it as the driver's
// host and halts with its exit status.
func hostExs(helperTest string) string {
	return `helper = System.fetch_env!("HOST_HELPER")
env = Enum.map(Regen.DriverHost.env(), fn {k, v} -> {to_charlist(k), to_charlist(v)} end)
port = Port.open({:spawn_executable, helper}, [:nouse_stdio, :binary, :exit_status, args: ["-test.run=^` + helperTest + `$"], env: env])

loop = fn loop, st ->
  receive do
    {^port, {:data, d}} -> loop.(loop, Regen.DriverHost.data(st, d))
    {^port, {:exit_status, s}} -> s
  end
end

status = loop.(loop, Regen.DriverHost.new())
IO.puts("helper exit #{status}")
System.halt(status)
`
}

func TestOneVMHostDriverInMixRegensVM(t *testing.T) {
	mix := regentest.RequireMix(t)
	dir := hostDriverProject(t, "f.ex", failTask+portTask, hostExs("TestOneVMHostHelper"))
	cmd := exec.Command(mix, "run", "--no-start", "host.exs")
	cmd.Dir = dir
	home := filepath.Join(dir, ".home")
	cmd.Env = append(os.Environ(), "HOME="+home, "MIX_HOME="+filepath.Join(home, "mix"), "HOST_HELPER="+os.Args[0], "HOST_ROOT="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "helper exit 0") {
		t.Fatalf("mix regen's VM as the driver: %v\n%s", err, out)
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
	if want := "t a\nt a\nf --fail\n"; string(calls) != want {
		t.Fatalf("calls %q, want %q\n%s", calls, want, out)
	}
	if !strings.Contains(string(out), "** (Mix) f failed") {
		t.Fatalf("the failing task's error did not reach the terminal:\n%s", out)
	}
	// mix regen's VM started before the run, without its marker: a program
	// a task starts carries it all the same, so regen finds what a task
	// left running (migrator.FindStragglers).
	ported, _ := os.ReadFile(filepath.Join(dir, "ported.out"))
	if want := "REGEN_RUN_ID=host-test|"; string(ported) != want {
		t.Fatalf("a task's program saw %q, want %q\n%s", ported, want, out)
	}
}

// portTask starts a program (a port) that writes the run's marker as it
// sees it.
const portTask = `
defmodule Mix.Tasks.Port do
  use Mix.Task
  def run(_), do: System.cmd("sh", ["-c", "printf 'REGEN_RUN_ID=%s|' \"$REGEN_RUN_ID\" > ported.out"])
end
`

// TestOneVMHostHelper is the child side (regen) of the test above.
func TestOneVMHostHelper(t *testing.T) {
	if os.Getenv("REGEN_MIX_DRIVER") != "fd" || os.Getenv("HOST_ROOT") == "" {
		t.Skip("run by TestOneVMHostDriverInMixRegensVM")
	}
	root := os.Getenv("HOST_ROOT")
	e := &Engine{opts: Options{Getenv: os.Getenv}, rep: discardReporter{}, runner: &migrator.Runner{}}
	cfg := &project.Config{Root: root, Mix: []string{"mix"}, OneVM: true, Codegen: []string{"{mix}", "ash.codegen"}}
	vm := e.startVM(context.Background(), cfg, migrator.Command{Env: []string{"REGEN_RUN_ID=host-test"}})
	defer vm.close()
	if !vm.usable(context.Background(), e.rep) || vm.proc != nil {
		t.Fatalf("the host driver did not start: %v", vm.err)
	}
	answers, err := migrator.ParseRepoConfig(vm.answers)
	if err != nil || answers[0].Identity() != "sqlite "+filepath.Join(root, "rec_dev.db") {
		t.Fatalf("config: %v %+v", err, answers)
	}
	if m, err := vm.check(context.Background(), []string{"Rec.Repo", "sqlite " + filepath.Join(root, "rec_dev.db")}); err != nil || m != nil {
		t.Fatalf("check: %v %+v", err, m)
	}
	for _, task := range [][]string{{"t", "a"}, {"t", "a"}} {
		if o := vm.run(context.Background(), task, time.Minute); o.Status != 0 {
			t.Fatalf("%v: %+v", task, o)
		}
	}
	if o := vm.run(context.Background(), []string{"f", "--fail"}, time.Minute); o.Status != 1 || o.Ended != nil {
		t.Fatal(fmt.Sprintf("a raising task: %+v", o))
	}
	if o := vm.run(context.Background(), []string{"port"}, time.Minute); o.Status != 0 {
		t.Fatalf("port: %+v", o)
	}
}

// hostDriverProject is the driver's test project as mix regen's VM sees
// it: the Hex package's driver host compiled in, one task of the test's
// own, and host.exs, the script that plays mix regen's part.
func hostDriverProject(t *testing.T, taskFile, task, hostExs string) string {
	t.Helper()
	dir := driverProject(t)
	host, err := os.ReadFile("../hex/lib/regen/driver_host.ex")
	if err != nil {
		t.Fatal(err)
	}
	for rel, content := range map[string][]byte{
		"lib/mix/tasks/" + taskFile: []byte(task),
		"lib/regen/driver_host.ex":  host,
		"host.exs":                  []byte(hostExs),
	} {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
