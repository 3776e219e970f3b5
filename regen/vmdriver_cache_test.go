package regen

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
	"github.com/regen-tool/regen/regen/regentest"
)

// The driver module is compiled once per source and VM version, on the
// real Elixir: the first start leaves its .beam in regen's cache, the next
// loads it (the file is not written again) and works; a damaged .beam is
// compiled again and replaced; an older source's .beam is removed.
func TestOneVMDriverModuleCachedOnRealElixir(t *testing.T) {
	mix := regentest.RequireMix(t)
	dir := driverProject(t)
	state := t.TempDir()
	cache := filepath.Join(state, "cache")
	os.MkdirAll(cache, 0o700)
	stale := filepath.Join(cache, "driver-0000000000000000-otp25-elixir1.14.0.beam")
	os.WriteFile(stale, []byte("an older regen's"), 0o600)
	home := filepath.Join(dir, ".home")
	start := func() {
		t.Helper()
		out := &lockedBuffer{}
		e := &Engine{stateDir: state, rep: discardReporter{}, runner: &migrator.Runner{Stdout: out, Stderr: out, Grace: time.Second,
			Env: []string{"HOME=" + home, "MIX_HOME=" + filepath.Join(home, "mix")}}}
		cfg := &project.Config{Root: dir, Mix: []string{mix}, OneVM: true, Codegen: []string{"{mix}", "ash.codegen"}}
		vm := e.startVM(context.Background(), cfg, migrator.Command{})
		defer vm.close()
		if !vm.usable(context.Background(), e.rep) {
			t.Fatalf("the driver did not start: %v\n%s", vm.err, out)
		}
		if o := vm.run(context.Background(), []string{"t", "a"}, time.Minute); o.Status != 0 {
			t.Fatalf("a task: %+v\n%s", o, out)
		}
	}
	beamFile := func() (string, []byte, time.Time) {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(cache, driverBeamGlob+"*"))
		if len(files) != 1 {
			t.Fatalf("cache holds %v, want one driver .beam", files)
		}
		data, _ := os.ReadFile(files[0])
		fi, err := os.Stat(files[0])
		if err != nil {
			t.Fatal(err)
		}
		return files[0], data, fi.ModTime()
	}
	start()
	path, data, mtime := beamFile()
	if path == stale || !bytes.HasPrefix(data, []byte("FOR1")) {
		t.Fatalf("after the first start: %s (%q...), want the compiled module", path, data[:min(8, len(data))])
	}
	time.Sleep(20 * time.Millisecond) // a rewrite would show in the mtime
	start()
	if p2, d2, m2 := beamFile(); p2 != path || !bytes.Equal(d2, data) || !m2.Equal(mtime) {
		t.Fatalf("the second start wrote the .beam again (compiled instead of loading it)")
	}
	os.WriteFile(path, []byte("FOR1 damaged"), 0o600)
	start()
	if _, d3, _ := beamFile(); !bytes.HasPrefix(d3, []byte("FOR1")) || len(d3) < 1000 {
		t.Fatalf("a damaged .beam was not compiled again and replaced (%d bytes)", len(d3))
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
	if string(calls) != "t a\nt a\nt a\n" {
		t.Fatalf("calls %q", calls)
	}
}
