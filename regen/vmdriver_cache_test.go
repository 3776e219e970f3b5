package regen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	start := func() {
		t.Helper()
		if err := runCachedDriver(mix, dir, state); err != nil {
			t.Fatal(err)
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

// A cache folder that is a symlink (to a folder outside the repository)
// is not followed: no .beam is pruned, loaded or written there, the
// repos' answers are neither read, stored nor dropped through it; regen
// runs uncached. A .beam in the cache that is a symlink is not loaded.
func TestDriverCacheSymlinkIsNotFollowed(t *testing.T) {
	state, outside, run := t.TempDir(), t.TempDir(), t.TempDir()
	theirs := map[string]string{
		"driver-0000000000000000-otp25-elixir1.14.0.beam": "someone else's",
		"repos-k.txt": "regen-repo Blog.Repo database=/elsewhere.db\n",
	}
	for name, data := range theirs {
		os.WriteFile(filepath.Join(outside, name), []byte(data), 0o600)
	}
	if err := os.Symlink(outside, filepath.Join(state, "cache")); err != nil {
		t.Fatal(err)
	}
	if d := project.CacheDir(state, true); d != "" {
		t.Fatalf("CacheDir through a symlink: %q, want none", d)
	}
	boot, err := vmDriverBoot(run, project.CacheDir(state, true))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(boot, "case nil do") {
		t.Fatalf("the loader uses a cache through the symlink:\n%s", boot)
	}
	cache := project.RepoCache{StateDir: state, Getenv: func(string) string { return "" }, Write: writeFileAtomic}
	if got, ok := cache.Load("k"); ok {
		t.Fatalf("the repos' answer was read through the symlink: %q", got)
	}
	cache.Store("j", "regen-repo Blog.Repo database=/x.db\n")
	(&Engine{stateDir: state}).dropRepoCache()
	entries, _ := os.ReadDir(outside)
	if len(entries) != len(theirs) {
		t.Fatalf("the folder the symlink points to changed: %v", entries)
	}
	for name, data := range theirs {
		if got, _ := os.ReadFile(filepath.Join(outside, name)); string(got) != data {
			t.Fatalf("%s changed through the symlink: %q", name, got)
		}
	}

	// A plain cache folder: made, used; a .beam symlink in it is skipped
	// by the loader (File.lstat), as the real-Elixir run below shows.
	plain := t.TempDir()
	if d := project.CacheDir(plain, false); d != "" {
		t.Fatalf("CacheDir without create made %q", d)
	}
	if d := project.CacheDir(plain, true); d != filepath.Join(plain, "cache") {
		t.Fatalf("CacheDir: %q", d)
	}
	if boot, _ := vmDriverBoot(run, project.CacheDir(plain, true)); !strings.Contains(boot, "File.lstat") || strings.Contains(boot, "case nil do") {
		t.Fatalf("the loader of a plain cache:\n%s", boot)
	}
	// A cache that is a file (or cannot be made): none, the run compiles.
	asFile := t.TempDir()
	os.WriteFile(filepath.Join(asFile, "cache"), []byte("not a folder"), 0o600)
	if d := project.CacheDir(asFile, true); d != "" {
		t.Fatalf("CacheDir over a file: %q", d)
	}
}

// A cached .beam that is a symlink to a module elsewhere is not loaded:
// the real VM compiles regen's own source and replaces the link.
func TestDriverCacheBeamSymlinkNotLoadedOnRealElixir(t *testing.T) {
	mix := regentest.RequireMix(t)
	dir := driverProject(t)
	state := t.TempDir()
	home := filepath.Join(dir, ".home")
	out := &lockedBuffer{}
	e := &Engine{stateDir: state, rep: discardReporter{}, runner: &migrator.Runner{Stdout: out, Stderr: out, Grace: time.Second,
		Env: []string{"HOME=" + home, "MIX_HOME=" + filepath.Join(home, "mix")}}}
	cfg := &project.Config{Root: dir, Mix: []string{mix}, OneVM: true, Codegen: []string{"{mix}", "ash.codegen"}}
	start := func() {
		t.Helper()
		vm := e.startVM(context.Background(), cfg, migrator.Command{})
		e.vm = nil
		defer vm.close()
		if !vm.usable(context.Background(), e.rep) {
			t.Fatalf("the driver did not start: %v\n%s", vm.err, out)
		}
		if o := vm.run(context.Background(), []string{"t", "a"}, time.Minute); o.Status != 0 {
			t.Fatalf("a task: %+v\n%s", o, out)
		}
	}
	start() // leaves the .beam
	files, _ := filepath.Glob(filepath.Join(state, "cache", driverBeamGlob))
	if len(files) != 1 {
		t.Fatalf("cache holds %v", files)
	}
	elsewhere := filepath.Join(t.TempDir(), "evil.beam")
	data, _ := os.ReadFile(files[0])
	os.WriteFile(elsewhere, data, 0o600)
	os.Remove(files[0])
	if err := os.Symlink(elsewhere, files[0]); err != nil {
		t.Fatal(err)
	}
	start()
	fi, err := os.Lstat(files[0])
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("the symlinked .beam was not replaced by a compiled one (%v, %v)", fi, err)
	}
}

// Two drivers starting at once on an empty cache both compile the module
// and both work; the cache ends with one whole .beam and no temp file. A
// truncated .beam is compiled again and replaced; one of the same source
// for another OTP/Elixir is neither loaded nor removed.
func TestDriverCacheConcurrentAndTruncatedOnRealElixir(t *testing.T) {
	mix := regentest.RequireMix(t)
	dir := driverProject(t)
	state := t.TempDir()
	cache := filepath.Join(state, "cache")
	start := func() error { return runCachedDriver(mix, dir, state) }
	only := func() (string, []byte) {
		t.Helper()
		entries, _ := os.ReadDir(cache)
		if len(entries) != 1 {
			t.Fatalf("cache holds %v, want one .beam", entries)
		}
		data, _ := os.ReadFile(filepath.Join(cache, entries[0].Name()))
		return filepath.Join(cache, entries[0].Name()), data
	}
	if err := start(); err != nil { // compiles the project once
		t.Fatal(err)
	}
	path, whole := only()
	os.Remove(path)
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- start() }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// Loadable: the next start loads it (does not write it again).
	loads := func(what string) {
		t.Helper()
		p, data := only()
		fi, _ := os.Stat(p)
		if p != path || !bytes.HasPrefix(data, []byte("FOR1")) || len(data) < len(whole)-200 {
			t.Fatalf("%s: %s, %d bytes", what, p, len(data))
		}
		time.Sleep(20 * time.Millisecond)
		if err := start(); err != nil {
			t.Fatal(err)
		}
		if fi2, _ := os.Stat(p); !fi2.ModTime().Equal(fi.ModTime()) {
			t.Fatalf("%s: the .beam did not load (it was compiled again)", what)
		}
	}
	loads("after two concurrent compiles")
	os.WriteFile(path, whole[:len(whole)/2], 0o600)
	if err := start(); err != nil {
		t.Fatalf("with a truncated .beam: %v", err)
	}
	loads("after a truncated .beam")
	other := strings.Replace(path, "-otp", "-otp0-was", 1)
	os.WriteFile(other, []byte("FOR1 another VM's"), 0o600)
	if err := start(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(other); string(data) != "FOR1 another VM's" {
		t.Fatalf("another VM's .beam of this source changed: %q", data)
	}
}

// runCachedDriver starts the one-VM driver of the driver project dir with
// regen's state (and so its cache) in state, and runs one task there.
func runCachedDriver(mix, dir, state string) error {
	home := filepath.Join(dir, ".home")
	out := &lockedBuffer{}
	e := &Engine{stateDir: state, rep: discardReporter{}, runner: &migrator.Runner{Stdout: out, Stderr: out, Grace: time.Second,
		Env: []string{"HOME=" + home, "MIX_HOME=" + filepath.Join(home, "mix")}}}
	cfg := &project.Config{Root: dir, Mix: []string{mix}, OneVM: true, Codegen: []string{"{mix}", "ash.codegen"}}
	vm := e.startVM(context.Background(), cfg, migrator.Command{})
	defer vm.close()
	if !vm.usable(context.Background(), e.rep) {
		return fmt.Errorf("the driver did not start: %v\n%s", vm.err, out)
	}
	if o := vm.run(context.Background(), []string{"t", "a"}, time.Minute); o.Status != 0 {
		return fmt.Errorf("a task: %+v\n%s", o, out)
	}
	return nil
}
