package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// installBlocks returns the fenced blocks of README's Install section, in
// order, and fails unless Install is the second section.
func installBlocks(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(regentest.ModuleRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := regexp.MustCompile(`(?m)^## .*$`).FindAllString(string(src), -1)
	if len(sections) < 2 || sections[0] != "## Install" {
		t.Fatalf("the README's sections after the title are %v; Install must come first (the second section)", sections)
	}
	body := string(src)[strings.Index(string(src), "## Install\n"):]
	body = body[:strings.Index(body[3:], "\n## ")+3]
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```[a-z]*\n(.*?)```").FindAllStringSubmatch(body, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// block returns the one Install block holding marker.
func block(t *testing.T, marker string) string {
	t.Helper()
	var found []string
	for _, b := range installBlocks(t) {
		if strings.Contains(b, marker) {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one Install block with %q, found %d", marker, len(found))
	}
	return found[0]
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if strings.Count(s, old) != 1 {
		t.Fatalf("the block does not hold %q once:\n%s", old, s)
	}
	return strings.Replace(s, old, new, 1)
}

// README Install: the release-archive block, as written, with only the
// download base pointed at the loopback server and the version and platform
// set to the test release's: it downloads, checks the sum, unpacks and
// runs regen.
func TestREADMEInstallReleaseArchive(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the block uses sha256sum (Linux)")
	}
	b := block(t, "checksums.txt")
	url := strings.TrimSuffix(serve(t, release(t), nil), "/download/v{version}/{file}")
	b = replaceOnce(t, b, "https://github.com/regen-tool/regen/releases/download/v$version", url+"/download/v$version")
	b = regexp.MustCompile(`(?m)^version=\S+ os=\S+ arch=\S+$`).ReplaceAllString(b, "version="+testVersion+" os="+runtime.GOOS+" arch="+runtime.GOARCH)
	home := t.TempDir()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", b)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": OK") || !strings.Contains(string(out), "regen v"+testVersion+" ") {
		t.Fatalf("%v:\n%s", err, out)
	}
	// The same block refuses a corrupted download: sha256sum -c fails
	// and the script stops before unpacking.
	name := archiveName(runtime.GOOS, runtime.GOARCH)
	data, _ := os.ReadFile(filepath.Join(release(t), name))
	bad := append([]byte{}, data...)
	bad[len(bad)/3] ^= 1
	b2 := strings.Replace(b, url, strings.TrimSuffix(serve(t, release(t), map[string][]byte{name: bad}), "/download/v{version}/{file}"), 1)
	cmd = exec.Command("bash", "-euo", "pipefail", "-c", b2)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "FAILED") || strings.Contains(string(out), "regen v") {
		t.Fatalf("a corrupted archive was not refused (%v):\n%s", err, out)
	}
}

// README Install: `go install …/cmd/regen@latest`, with the module path
// pointed at this checkout (no release is published from a test), into a
// fresh GOBIN; the binary's version then comes from the build info.
func TestREADMEInstallGoInstall(t *testing.T) {
	b := strings.TrimSpace(block(t, "go install "))
	if b != "go install github.com/regen-tool/regen/cmd/regen@latest" {
		t.Fatalf("the go install block is %q", b)
	}
	gobin := t.TempDir()
	args := strings.Fields(replaceOnce(t, b, "github.com/regen-tool/regen/cmd/regen@latest", "./cmd/regen"))
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = regentest.ModuleRoot()
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(gobin, "regen"), "version").Output()
	again, err2 := exec.Command(filepath.Join(gobin, "regen"), "--version").Output()
	if err != nil || err2 != nil || !strings.HasPrefix(string(out), "regen ") || string(out) != string(again) {
		t.Fatalf("version %q (%v), --version %q (%v)", out, err, again, err2)
	}
}

// README Install: the GitHub workflow. Its checkout fetches the whole
// history, and its regen step, run as a runner would (the action's own
// steps, against the loopback server, its args with github.base_ref set),
// checks a feature branch against origin/main.
func TestREADMEInstallGitHubWorkflow(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("the action's steps are bash")
	}
	v, err := parseYAML(block(t, "runs-on:"))
	if err != nil {
		t.Fatal(err)
	}
	wf := v.(map[string]any)
	steps := wf["jobs"].(map[string]any)["regen"].(map[string]any)["steps"].([]any)
	var checkout, regenStep map[string]any
	for _, s := range steps {
		st := s.(map[string]any)
		uses, _ := st["uses"].(string)
		switch {
		case strings.HasPrefix(uses, "actions/checkout@"):
			checkout = st
		case strings.HasPrefix(uses, "regen-tool/regen@v"):
			regenStep = st
		}
	}
	if checkout == nil || checkout["with"].(map[string]any)["fetch-depth"] != "0" {
		t.Fatalf("the workflow's checkout lacks fetch-depth: 0: %v", checkout)
	}
	if regenStep == nil {
		t.Fatal("the workflow has no regen-tool/regen@vX step")
	}
	inputs := map[string]string{}
	for k, val := range regenStep["with"].(map[string]any) {
		inputs[k] = strings.ReplaceAll(val.(string), "${{ github.base_ref }}", "main")
	}
	p := regentest.NewProject(t)
	p.Git("update-ref", "refs/remotes/origin/main", "HEAD")
	p.Git("checkout", "-q", "-b", "feature")
	url := "REGEN_RELEASE_URL=" + serve(t, release(t), nil)
	env := append(append(p.GitEnv(), "REGEN_MIX="+regentest.Mixsim(t), "NO_COLOR=1", url), p.Env...)
	out, code := runAction(t, inputs, p.Root, env)
	if code != 0 || strings.Contains(out, "::error") {
		t.Fatalf("a clean feature branch: exit %d:\n%s", code, out)
	}
	// An uncommitted generated migration on the branch: annotated, exit 1.
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :body, :string, public?: true", "attribute :views, :integer, public?: true"}, nil))
	p.Mix("ash.codegen", "add_views")
	out, code = runAction(t, inputs, p.Root, env)
	if code != 1 || !strings.Contains(out, "::error") {
		t.Fatalf("exit %d, want 1 with annotations:\n%s", code, out)
	}
}
