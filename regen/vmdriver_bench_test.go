package regen

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
)

// BenchmarkOneVMRealElixir (scripts/bench, section b2): on the real
// Elixir with the driver's test project (driver_realmix_test.go), a cold
// run's VM work as regen does it now, one VM (the driver: config, check,
// three tasks), against the bare one-VM sequence (one `mix run` of the
// same three tasks) and against the cold path before issue 15 (the repo
// query's own start, then the one-shot driver).
func BenchmarkOneVMRealElixir(b *testing.B) {
	mix, err := exec.LookPath("mix")
	if err != nil {
		b.Skipf("mix is not on PATH: %v", err)
	}
	dir := driverProject(b)
	home := filepath.Join(dir, ".home")
	env := []string{"HOME=" + home, "MIX_HOME=" + filepath.Join(home, "mix")}
	tasks := [][]string{{"t", "rollback"}, {"t", "codegen"}, {"t", "migrate"}}
	identity := []string{"Rec.Repo", "sqlite " + filepath.Join(dir, "rec_dev.db")}
	runMix := func(args ...string) {
		cmd := exec.Command(mix, args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("mix %v: %v\n%s", args[:1], err, out)
		}
	}
	runMix("compile")
	// regen's state dir: the driver module's .beam is cached there after
	// the first start, as in a project's runs (vmdriver_cache.go).
	state := b.TempDir()
	b.Run("one-vm-driver", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e := &Engine{stateDir: state, rep: discardReporter{}, runner: &migrator.Runner{Env: env}}
			cfg := &project.Config{Root: dir, Mix: []string{mix}, OneVM: true, Codegen: []string{"{mix}", "ash.codegen"}}
			vm := e.startVM(context.Background(), cfg, migrator.Command{})
			if !vm.usable(context.Background(), e.rep) {
				b.Fatal(vm.err)
			}
			if m, err := vm.check(context.Background(), identity); err != nil || m != nil {
				b.Fatal(err, m)
			}
			for _, task := range tasks {
				if o := vm.run(context.Background(), task, time.Minute); o.Status != 0 {
					b.Fatalf("%+v", o)
				}
			}
			vm.close()
		}
	})
	b.Run("bare-one-vm", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			runMix("run", "--no-start", "-e", driverScript(nil, tasks))
		}
	})
	b.Run("before-query-then-driver", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			runMix("run", "--no-start", "--no-compile", "-e", migrator.RepoConfigQuery())
			runMix("run", "--no-start", "-e", driverScript(identity, tasks))
		}
	})
}
