package version_test

import (
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
