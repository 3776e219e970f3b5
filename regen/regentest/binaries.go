package regentest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binaries (mixsim, regen, sqliteholder) are built once per state
// of the sources and shared by every test process of a `go test ./...` run
// (and by later runs on the same sources): each package used to build its
// own copy into a new /tmp/regen-bin-* folder and leave it there (56 MB per
// package per run). Folders of other source states are removed once no
// process has used them for staleAfter.

const (
	binCacheName = "regen-testbin"
	staleAfter   = 2 * time.Hour
	completeMark = ".complete"
)

var binPackages = []string{"./cmd/mixsim", "./cmd/regen", "./regen/regentest/sqliteholder"}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries builds mixsim and regen (once per source state, shared between
// test processes) and returns the folder holding them.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = sharedBinaries(filepath.Join(os.TempDir(), binCacheName), ModuleRoot())
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

// sharedBinaries returns cache/<key>, building it first unless a complete
// build is there. An flock per key lets one process build while the others
// of the run wait for it.
func sharedBinaries(cache, root string) (string, error) {
	key, err := sourceKey(root)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(cache, key+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	dir := filepath.Join(cache, key)
	now := time.Now()
	if _, err := os.Stat(filepath.Join(dir, completeMark)); err == nil {
		// Used now: keeps it from being pruned by another source state's run.
		os.Chtimes(dir, now, now)
		pruneStale(cache, key, now)
		return dir, nil
	}
	os.RemoveAll(dir) // a build cut short
	tmp, err := os.MkdirTemp(cache, key+".build-")
	if err != nil {
		return "", err
	}
	if err := buildInto(tmp, root); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, completeMark), nil, 0o644); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	pruneStale(cache, key, now)
	return dir, nil
}

func buildInto(dir, root string) error {
	pkgs := binPackages
	if os.Getenv("REGEN_TEST_MIXSIM") != "" {
		pkgs = pkgs[1:]
	}
	for _, pkg := range pkgs {
		cmd := exec.Command("go", "build", "-o", dir, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return nil
}

// sourceKey hashes what the binaries are built from: every non-test Go
// file of the module, go.mod and go.sum, the Go version and the build
// settings from the environment.
func sourceKey(root string) (string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if (strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) || name == "go.mod" || name == "go.sum" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s mixsim=%t\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, os.Getenv("REGEN_TEST_MIXSIM") != "")
	for _, k := range []string{"GOFLAGS", "CGO_ENABLED", "GOEXPERIMENT", "GOAMD64"} {
		fmt.Fprintf(h, "%s=%s\n", k, os.Getenv(k))
	}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		fmt.Fprintf(h, "%s\n", filepath.ToSlash(rel))
		in, err := os.Open(f)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, in)
		in.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

// pruneStale removes the builds of other source states (and builds cut
// short) no process has used for staleAfter; their locks go with them.
func pruneStale(cache, keep string, now time.Time) {
	entries, err := os.ReadDir(cache)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if name == keep || name == keep+".lock" || !e.IsDir() {
			continue
		}
		fi, err := e.Info()
		if err != nil || now.Sub(fi.ModTime()) < staleAfter {
			continue
		}
		os.RemoveAll(filepath.Join(cache, name))
		if k, _, _ := strings.Cut(name, "."); k == name {
			os.Remove(filepath.Join(cache, name+".lock"))
		}
	}
}

// lockFile takes an exclusive flock on path (the kernel drops it when the
// process dies) and returns its release.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
