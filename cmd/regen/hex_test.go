package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen/regentest"
)

// The Hex package (hex/) under Debian's real Elixir, against the archives
// scripts/release builds, served on 127.0.0.1: its ExUnit suite
// (TestHexPackage) and a project using it through real `mix`
// (TestHexMixRegenEndToEnd), whose regen calls the stand-in as its mix.
// Skipped without `mix` on PATH, failed under CI=true.

// oldVersion is a second release (host target only) for the version pin.
const oldVersion = "0.0.9"

func requireMix(t *testing.T) string {
	t.Helper()
	mix, err := exec.LookPath("mix")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mix is not on PATH (CI=true): install Debian's elixir: %v", err)
		}
		t.Skipf("mix is not on PATH (apt-get install elixir): %v", err)
	}
	return mix
}

// hexVersion is the package's version (hex/mix.exs @version): the regen
// release it installs.
func hexVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(regentest.ModuleRoot(), "hex", "mix.exs"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`@version "([^"]+)"`).FindSubmatch(data)
	if m == nil {
		t.Fatal("hex/mix.exs has no @version")
	}
	return string(m[1])
}

// releases builds, in a temp folder of the test, the archives of two releases
// for this host, packed by scripts/release's own packer
// (scripts/releasetool: the same names, layout and checksums.txt):
// DIR/v<version>/ for the package's version and DIR/v0.0.9/ for the pin,
// plus a corrupted copy of the current one in DIR/corrupt/v<version>/.
// (scripts/release builds all five targets, minutes on a busy machine; its
// own tests cover them.)
func releases(t *testing.T) string {
	t.Helper()
	dir, err := buildReleases(t.TempDir(), hexVersion(t))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func buildReleases(dir, version string) (string, error) {
	root := regentest.ModuleRoot()
	run := func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return nil
	}
	host := runtime.GOOS + "_" + runtime.GOARCH
	for _, v := range []string{version, oldVersion} {
		bin := filepath.Join(dir, "bin-"+v)
		if err := run("go", "build", "-trimpath", "-ldflags", "-X github.com/regen-tool/regen/cmd/regen/cmdutil.Version=v"+v,
			"-o", filepath.Join(bin, host, "regen"), "./cmd/regen"); err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Join(dir, "v"+v), 0o755); err != nil {
			return "", err
		}
		if err := run("go", "run", "./scripts/releasetool", "pack", "-version", v, "-mtime", "315532800", "-bin", bin,
			"-readme", "README.md", "-license", "LICENSE", "-out", filepath.Join(dir, "v"+v)); err != nil {
			return "", err
		}
	}
	name := fmt.Sprintf("regen_%s_%s.tar.gz", version, host)
	data, err := os.ReadFile(filepath.Join(dir, "v"+version, name))
	if err != nil {
		return "", err
	}
	data[len(data)/2] ^= 0xff
	if err := os.MkdirAll(filepath.Join(dir, "corrupt", "v"+version), 0o755); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "corrupt", "v"+version, name), data, 0o644)
}

// hexCopy copies hex/ into a temp folder (its _build stays out of the
// checkout) with the test releases' checksums in priv/checksums/.
func hexCopy(t *testing.T, rel string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "hex")
	copyTree(t, filepath.Join(regentest.ModuleRoot(), "hex"), dst)
	// The host-only releases' checksums.txt go in as shipped files (mix
	// regen.checksums wants every target; the ExUnit suite tests it).
	for _, v := range []string{hexVersion(t), oldVersion} {
		sums, err := os.ReadFile(filepath.Join(rel, "v"+v, "checksums.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, "priv", "checksums", v+".txt"), sums, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// copyTree copies a Mix project's folder (its _build and deps stay out).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(src, p)
		if d.IsDir() && (r == "_build" || r == "deps") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, r), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, r), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// mixEnv keeps the user's Mix home and Hex out.
func mixEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{"MIX_HOME=" + filepath.Join(home, "mix"), "HEX_HOME=" + filepath.Join(home, "hex"), "HEX_OFFLINE=1", "NO_COLOR=1"}
}

func mixCode(dir string, env []string, args ...string) (string, int) {
	cmd := exec.Command("mix", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), exitCode(err)
}

// archives serves the releases over HTTP and HTTPS on 127.0.0.1, and a
// forward proxy that alone knows the host regen-mirror.invalid (plain
// requests, and CONNECT to its port 443, which reaches the HTTPS server),
// logging what it forwards. The HTTPS server's certificate (localhost,
// 127.0.0.1, regen-mirror.invalid) is signed by a CA of the test's own,
// whose PEM file is CACert: no OS store trusts it.
type archives struct {
	Files, TLS, Proxy *httptest.Server
	ProxyLog, CACert  string
}

func archiveServer(t *testing.T, rel string) *archives {
	t.Helper()
	a := &archives{ProxyLog: filepath.Join(t.TempDir(), "proxy.log")}
	fileHandler := http.FileServer(http.Dir(rel))
	a.Files = httptest.NewServer(fileHandler)
	t.Cleanup(a.Files.Close)
	a.TLS = httptest.NewUnstartedServer(fileHandler)
	a.TLS.TLS, a.CACert = testCA(t, "localhost", "regen-mirror.invalid")
	a.TLS.StartTLS()
	t.Cleanup(a.TLS.Close)
	var mu sync.Mutex
	logLine := func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(a.ProxyLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s %s auth=%q\n", r.Method, r.URL.String(), r.Header.Get("Proxy-Authorization"))
			f.Close()
		}
	}
	a.Proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logLine(r)
		if r.Method == http.MethodConnect {
			if r.Host != "regen-mirror.invalid:443" {
				http.Error(w, "this test proxy tunnels only to regen-mirror.invalid:443", http.StatusBadGateway)
				return
			}
			tunnel(w, a.TLS.Listener.Addr().String())
			return
		}
		if r.URL.Host != "regen-mirror.invalid" {
			http.Error(w, "this test proxy forwards only to regen-mirror.invalid", http.StatusBadGateway)
			return
		}
		fileHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(a.Proxy.Close)
	return a
}

// tunnel answers a CONNECT and splices the client to addr.
func tunnel(w http.ResponseWriter, addr string) {
	up, err := net.Dial("tcp", addr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "no hijacking", http.StatusInternalServerError)
		return
	}
	down, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	go func() {
		if n := buf.Reader.Buffered(); n > 0 {
			b, _ := buf.Reader.Peek(n)
			up.Write(b)
		}
		io.Copy(up, down)
		up.Close()
	}()
	go func() {
		io.Copy(down, up)
		down.Close()
	}()
}

// testCA makes a CA and a server certificate it signs for names and
// 127.0.0.1; it returns the server's TLS config and the CA's PEM file.
func testCA(t *testing.T, names ...string) (*tls.Config, string) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, leafKey := key(), key()
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "regen test CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: names, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pemFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey}}}, pemFile
}

const urlTemplate = "/v$version/regen_$version_$target.tar.gz"

func TestHexPackage(t *testing.T) {
	requireMix(t)
	rel := releases(t)
	hex := hexCopy(t, rel)
	a := archiveServer(t, rel)
	// The package compiles without warnings and is formatted.
	for _, args := range [][]string{{"compile", "--warnings-as-errors"}, {"format", "--check-formatted"}} {
		if out, code := mixCode(hex, mixEnv(t), args...); code != 0 {
			t.Fatalf("mix %s in hex/: exit %d\n%s", strings.Join(args, " "), code, out)
		}
	}
	out, code := mixCode(hex, append(mixEnv(t),
		"REGEN_TEST_URL="+a.Files.URL+urlTemplate,
		"REGEN_TEST_CORRUPT_URL="+a.Files.URL+"/corrupt"+urlTemplate,
		"REGEN_TEST_PROXIED_URL=http://regen-mirror.invalid"+urlTemplate,
		"REGEN_TEST_HTTPS_URL=https://localhost:"+strconv.Itoa(a.TLS.Listener.Addr().(*net.TCPAddr).Port)+urlTemplate,
		"REGEN_TEST_HTTPS_PROXIED_URL=https://regen-mirror.invalid"+urlTemplate,
		"REGEN_TEST_CACERT="+a.CACert,
		"REGEN_TEST_PROXY="+a.Proxy.URL,
		"REGEN_TEST_PROXY_LOG="+a.ProxyLog,
		"REGEN_TEST_DEVEL_BIN="+regentest.Regen(t),
		"REGEN_TEST_OLD_VERSION="+oldVersion,
	), "test", "--color")
	if code != 0 {
		t.Fatalf("mix test in hex/: exit %d\n%s", code, out)
	}
	// Every case ran: none excluded for a missing server.
	m := regexp.MustCompile(`(\d+) tests, 0 failures`).FindStringSubmatch(out)
	if m == nil || strings.Contains(out, "excluded") || strings.Contains(out, "skipped") {
		t.Fatalf("mix test did not run every case:\n%s", out)
	}
	t.Logf("hex/: %s tests, 0 failures", m[1])
}

// readmeHexDep is the deps line of the README's Hex install block.
func readmeHexDep(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(regentest.ModuleRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\{:regen, "~> (\d+)\.(\d+)", only: :dev, runtime: false\}`).FindSubmatch(data)
	if m == nil {
		t.Fatal(`README.md has no Hex deps line {:regen, "~> X.Y", only: :dev, runtime: false}`)
	}
	if v := hexVersion(t); !strings.HasPrefix(v, string(m[1])+"."+string(m[2])+".") {
		t.Fatalf("README's Hex requirement ~> %s.%s does not match the package version %s", m[1], m[2], v)
	}
	return string(m[0])
}

// TestHexMixRegenEndToEnd: a project with the README's deps line (the Hex
// requirement replaced by the path of hex/) runs real `mix regen.install`,
// `mix regen status` and `mix regen NAME -m`; regen, started by the Mix
// task, runs the stand-in for the mix tasks it calls. Exit codes pass
// through.
func TestHexMixRegenEndToEnd(t *testing.T) {
	requireMix(t)
	rel := releases(t)
	hex := hexCopy(t, rel)
	files := archiveServer(t, rel).Files
	dep := regexp.MustCompile(`"~> \d+\.\d+"`).ReplaceAllString(readmeHexDep(t), fmt.Sprintf("path: %q", hex))

	p := feature(t)
	p.Write("mix.exs", fmt.Sprintf(`defmodule Blog.MixProject do
  use Mix.Project

  def project do
    [app: :blog, version: "0.1.0", deps: deps()]
  end

  defp deps do
    [
      %s
    ]
  end
end
`, dep))
	cfg, err := os.ReadFile(filepath.Join(p.Root, "config", "config.exs"))
	if err != nil {
		t.Fatal(err)
	}
	p.Write("config/config.exs", string(cfg)+fmt.Sprintf("\nconfig :regen, url: %q\n", files.URL+urlTemplate))
	// regen reads the preset from mix.exs's deps; with Ash's deps there,
	// real mix would want them fetched, so the preset is set instead.
	p.Write(".regen.toml", "preset = \"ash_sqlite\"\n")
	p.Git("add", "mix.exs", "config/config.exs", ".regen.toml")
	p.Git("commit", "-q", "-m", "regen through Hex")

	// What the Mix task's VM and regen see: the project's git env, regen's
	// mix is the stand-in.
	env := append(append(p.GitEnv(), "REGEN_MIX="+regentest.Mixsim(t)), p.Env...)
	mix := func(args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command("mix", args...)
		cmd.Dir = p.Root
		cmd.Env = append(append(os.Environ(), mixEnv(t)...), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), exitCode(err)
	}

	out, errOut, code := mix("regen.install")
	if code != 0 || !strings.Contains(out, "regen "+hexVersion(t)+" installed at") {
		t.Fatalf("mix regen.install: exit %d\n%s%s", code, out, errOut)
	}
	bin := filepath.Join(p.Root, "_build", "regen-"+hexVersion(t), "regen")
	direct := func(args ...string) (string, int) {
		cmd := p.RegenCmd(args...)
		cmd.Path = bin
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		code := exitCode(cmd.Run())
		return stdout.String(), code
	}

	// status: the same output (regen's stdout is the Mix VM's, inherited)
	// and exit code as the binary run directly, no version warning.
	want, wantCode := direct("status")
	if wantCode != 0 || !strings.Contains(want, "will roll back") {
		t.Fatalf("regen status: exit %d\n%s", wantCode, want)
	}
	out, errOut, code = mix("regen", "status")
	if code != wantCode || out != want {
		t.Fatalf("mix regen status: exit %d (regen status: %d)\n--- mix regen:\n%s%s--- regen:\n%s", code, wantCode, out, errOut, want)
	}
	if strings.Contains(errOut, "warning") {
		t.Fatalf("mix regen status warned:\n%s", errOut)
	}

	// Exit codes pass through: a usage error (2), the lock held (3).
	for _, args := range [][]string{{"--no-such-flag"}, {"undo"}} {
		_, wantCode := direct(args...)
		_, errOut, code := mix(append([]string{"regen"}, args...)...)
		if wantCode != 2 || code != wantCode {
			t.Fatalf("mix regen %v: exit %d, regen: %d (want 2)\n%s", args, code, wantCode, errOut)
		}
	}
	holder, _, _ := startSleeping(t, p, "add_subtitle_and_views", "-m")
	out, errOut, code = mix("regen", "another_name", "-m")
	if code != 3 || !strings.Contains(out+errOut, fmt.Sprintf("pid %d", holder.Process.Pid)) {
		t.Fatalf("mix regen while locked: exit %d (want 3)\n%s%s", code, out, errOut)
	}
	holder.Process.Signal(os.Interrupt)
	holder.Wait()

	// The regeneration itself, end to end.
	before := p.Applied()
	out, errOut, code = mix("regen", "add_subtitle_and_views", "-m")
	if code != 0 {
		t.Fatalf("mix regen add_subtitle_and_views -m: exit %d\n%s%s", code, out, errOut)
	}
	var made bool
	for _, m := range p.Migrations() {
		made = made || strings.Contains(m, "add_subtitle_and_views")
	}
	if !made || len(p.Applied()) != len(before) {
		t.Fatalf("after mix regen NAME -m: migrations %v, applied %v (before %v)\n%s%s", p.Migrations(), p.Applied(), before, out, errOut)
	}
}
