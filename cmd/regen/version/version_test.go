package version_test

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	"github.com/regen-tool/regen/cmd/regen/version"
)

func TestVersionPrintsTheLineOnStdout(t *testing.T) {
	env := cmdtest.New(t, t.TempDir(), nil)
	if code := env.Exec(version.NewCmdVersion(env.F)); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if env.Out.String() != version.Line()+"\n" || env.ErrOut.Len() != 0 || !strings.HasPrefix(version.Line(), "regen ") {
		t.Fatalf("stdout %q, stderr %q", env.Out, env.ErrOut)
	}
	if len(env.Opened) != 0 {
		t.Fatal("version opened an engine")
	}
	if code := env.Exec(version.NewCmdVersion(env.F), "extra"); code == 0 {
		t.Fatal("an argument was accepted")
	}
}

// The version printed: the release stamp, else the module version go
// install records, else "devel" (a checkout build records "(devel)").
func TestVersionResolveOrder(t *testing.T) {
	info := func(v string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Path: "github.com/regen-tool/regen", Version: v}}, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, c := range []struct {
		stamp string
		bi    func() (*debug.BuildInfo, bool)
		want  string
	}{
		{"v1.2.3", info("v9.9.9"), "v1.2.3"},
		{"", info("v1.4.0"), "v1.4.0"},
		{"", info("(devel)"), "devel"},
		{"", info(""), "devel"},
		{"", none, "devel"},
		{"", nil, "devel"},
	} {
		if got := version.Resolve(c.stamp, c.bi); got != c.want {
			t.Errorf("Resolve(%q, …) = %q, want %q", c.stamp, got, c.want)
		}
	}
	// This test binary has no stamp: the line carries what the build info says.
	if !strings.HasPrefix(version.Line(), "regen devel ") && !strings.HasPrefix(version.Line(), "regen v") {
		t.Errorf("Line() = %q", version.Line())
	}
}
