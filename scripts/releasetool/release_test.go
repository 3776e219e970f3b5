package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// testVersion is what the tests release: a version no real release uses.
const testVersion = "0.0.0-test.1"

var targets = []struct{ os, arch string }{
	{"darwin", "amd64"}, {"darwin", "arm64"}, {"linux", "amd64"}, {"linux", "arm64"}, {"windows", "amd64"},
}

var (
	releaseOnce sync.Once
	releaseDir  string
	releaseErr  error
)

// release runs scripts/release once per test process (every test here
// uses its archives) into a folder removed at the end of the process.
func release(t *testing.T) string {
	t.Helper()
	releaseOnce.Do(func() {
		dir, err := os.MkdirTemp("", "regen-release-test-")
		if err != nil {
			releaseErr = err
			return
		}
		releaseDir = dir
		releaseErr = runRelease(dir)
	})
	if releaseErr != nil {
		t.Fatal(releaseErr)
	}
	return releaseDir
}

func runRelease(out string) error {
	cmd := exec.Command(filepath.Join(regentest.ModuleRoot(), "scripts", "release"), testVersion, out)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/release: %v\n%s", err, b)
	}
	return nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{releaseDir, preCommitDir} {
		if dir != "" {
			// Go's module cache (inside pre-commit's) is read-only.
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					os.Chmod(p, 0o755)
				}
				return nil
			})
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

func archiveName(goos, goarch string) string {
	return fmt.Sprintf("regen_%s_%s_%s.tar.gz", testVersion, goos, goarch)
}

// readArchive returns the archive's entries by name.
func readArchive(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Uid != 0 || hdr.Gid != 0 {
			t.Errorf("%s: %s is type %c uid %d gid %d, want a regular file owned by 0", path, hdr.Name, hdr.Typeflag, hdr.Uid, hdr.Gid)
		}
		b, _ := io.ReadAll(tr)
		files[hdr.Name] = b
	}
}

// binaryTarget reads the OS and architecture the executable was built for
// from its own headers.
func binaryTarget(b []byte) (string, string) {
	r := bytes.NewReader(b)
	if f, err := elf.NewFile(r); err == nil {
		return "linux", map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
	}
	if f, err := macho.NewFile(r); err == nil {
		return "darwin", map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}[f.Cpu]
	}
	if f, err := pe.NewFile(r); err == nil {
		return "windows", map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64"}[f.Machine]
	}
	return "?", "?"
}

// CI builds every target: each archive is there, holds exactly the binary
// for its platform (read from the executable's headers), README.md and
// LICENSE, and checksums.txt lists the sha256 of each, sha256sum style.
func TestReleaseBuildsEveryTarget(t *testing.T) {
	dir := release(t)
	sums, err := os.ReadFile(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, tg := range targets {
		name := archiveName(tg.os, tg.arch)
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		want = append(want, hex.EncodeToString(sum[:])+"  "+name+"\n")
		files := readArchive(t, filepath.Join(dir, name))
		exe := "regen"
		if tg.os == "windows" {
			exe = "regen.exe"
		}
		var names []string
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		wantNames := []string{"LICENSE", "README.md", exe}
		sort.Strings(wantNames)
		if strings.Join(names, ",") != strings.Join(wantNames, ",") {
			t.Errorf("%s holds %v, want %v", name, names, wantNames)
		}
		if gotOS, gotArch := binaryTarget(files[exe]); gotOS != tg.os || gotArch != tg.arch {
			t.Errorf("%s: %s is built for %s/%s", name, exe, gotOS, gotArch)
		}
		if !bytes.Contains(files[exe], []byte("v"+testVersion)) {
			t.Errorf("%s: the binary does not carry the version stamp v%s", name, testVersion)
		}
		readme, _ := os.ReadFile(filepath.Join(regentest.ModuleRoot(), "README.md"))
		if !bytes.Equal(files["README.md"], readme) {
			t.Errorf("%s: README.md differs from the repository's", name)
		}
	}
	sort.Slice(want, func(i, j int) bool { return want[i][66:] < want[j][66:] }) // by name, as the tool writes them
	if string(sums) != strings.Join(want, "") {
		t.Fatalf("checksums.txt:\n%s\nwant:\n%s", sums, strings.Join(want, ""))
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum", "-c", "checksums.txt")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
	}
}

// The host's binary from its archive: `regen version` and `regen
// --version` print the same line, with the stamped version.
func TestReleaseBinaryPrintsItsVersion(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("no release archive is run on " + runtime.GOOS)
	}
	dir := release(t)
	files := readArchive(t, filepath.Join(dir, archiveName(runtime.GOOS, runtime.GOARCH)))
	bin := filepath.Join(t.TempDir(), "regen")
	if err := os.WriteFile(bin, files["regen"], 0o755); err != nil {
		t.Fatal(err)
	}
	a, errA := exec.Command(bin, "version").Output()
	b, errB := exec.Command(bin, "--version").Output()
	if errA != nil || errB != nil {
		t.Fatalf("version: %v, --version: %v", errA, errB)
	}
	want := fmt.Sprintf("regen v%s (%s, %s/%s)\n", testVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if string(a) != want || string(b) != want {
		t.Fatalf("regen version %q, --version %q, want %q", a, b, want)
	}
}

// Same source, same VERSION: the same bytes (checksums.txt covers every
// archive).
func TestReleaseIsReproducible(t *testing.T) {
	first, err := os.ReadFile(filepath.Join(release(t), "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	again := t.TempDir()
	if err := runRelease(again); err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(filepath.Join(again, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("two releases of %s differ:\n%s\n%s", testVersion, first, second)
	}
}

func TestReleaseRefusesABadVersion(t *testing.T) {
	for _, v := range []string{"", "1.2", "latest", "1.2.3; rm -rf /", "v01.2.3"} {
		cmd := exec.Command(filepath.Join(regentest.ModuleRoot(), "scripts", "release"), v, t.TempDir())
		out, err := cmd.CombinedOutput()
		if code := exitCode(err); code != 2 || !strings.Contains(string(out), "semver") {
			t.Errorf("scripts/release %q: exit %d:\n%s", v, code, out)
		}
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// serve serves dir on 127.0.0.1, with files replaced by name when given.
func serve(t *testing.T, dir string, replaced map[string][]byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Base(r.URL.Path)
		if b, ok := replaced[name]; ok {
			w.Write(b)
			return
		}
		http.ServeFile(w, r, filepath.Join(dir, name))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/download/v{version}/{file}"
}

// installRelease runs scripts/install-release with the given environment.
func installRelease(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(regentest.ModuleRoot(), "scripts", "install-release"), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), exitCode(err)
}

func hostRunner() []string {
	return []string{"RUNNER_OS=" + map[string]string{"linux": "Linux", "darwin": "macOS"}[runtime.GOOS], "RUNNER_ARCH=" + map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]}
}

func TestInstallReleaseFromALoopbackServer(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("the install script is POSIX sh")
	}
	dir := release(t)
	t.Run("installs the runner's binary, checksum verified", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "bin")
		env := append(hostRunner(), "REGEN_RELEASE_URL="+serve(t, dir, nil))
		out, code := installRelease(t, env, "v"+testVersion, dest)
		if code != 0 || !strings.Contains(out, "sha256 verified") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		got, err := exec.Command(filepath.Join(dest, "regen"), "version").Output()
		if err != nil || !strings.HasPrefix(string(got), "regen v"+testVersion+" ") {
			t.Fatalf("installed regen says %q (%v)", got, err)
		}
	})
	t.Run("a corrupted archive is refused and nothing is installed", func(t *testing.T) {
		name := archiveName(runtime.GOOS, runtime.GOARCH)
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(data)
		bad[len(bad)/2] ^= 0xff
		dest := filepath.Join(t.TempDir(), "bin")
		env := append(hostRunner(), "REGEN_RELEASE_URL="+serve(t, dir, map[string][]byte{name: bad}))
		out, code := installRelease(t, env, testVersion, dest)
		if code != 1 || !strings.Contains(out, "checksum mismatch for "+name) || !strings.Contains(out, "nothing was installed") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if entries, _ := os.ReadDir(dest); len(entries) != 0 {
			t.Fatalf("%s holds %v after a refused install", dest, entries)
		}
	})
	t.Run("an unknown platform is refused", func(t *testing.T) {
		for _, env := range [][]string{{"RUNNER_OS=FreeBSD", "RUNNER_ARCH=X64"}, {"RUNNER_OS=Linux", "RUNNER_ARCH=ARM"}, {"RUNNER_OS=Windows", "RUNNER_ARCH=ARM64"}} {
			dest := filepath.Join(t.TempDir(), "bin")
			out, code := installRelease(t, append(env, "REGEN_RELEASE_URL="+serve(t, dir, nil)), testVersion, dest)
			if code != 1 || !strings.Contains(out, "no regen release for this platform") || !strings.Contains(out, "go install") {
				t.Errorf("%v: exit %d:\n%s", env, code, out)
			}
		}
	})
	t.Run("a version without a release is refused", func(t *testing.T) {
		env := append(hostRunner(), "REGEN_RELEASE_URL="+serve(t, dir, nil))
		out, code := installRelease(t, env, "9.9.9", filepath.Join(t.TempDir(), "bin"))
		if code != 1 || !strings.Contains(out, "nothing was installed") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		// A branch (the action used at @main without `version`), or text
		// that a shell would run, is refused before any download.
		for _, v := range []string{"main", "", "$(touch /tmp/x)", "1.0;ls"} {
			out, code = installRelease(t, env, v, filepath.Join(t.TempDir(), "bin"))
			if code != 1 || !strings.Contains(out, "VERSION must look like") {
				t.Errorf("%q: exit %d:\n%s", v, code, out)
			}
		}
	})
}
