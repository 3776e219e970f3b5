package hook_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/hook"
	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
	"github.com/regen-tool/regen/regen/regentest"
)

// install and uninstall through the command, on a real repository.
func TestHookCommandInstallUninstall(t *testing.T) {
	p := regentest.NewProject(t)
	env := cmdtest.New(t, p.Root, p.Getenv)
	target := filepath.Join(p.Root, ".git", "hooks", "pre-commit")
	if code := env.Exec(hook.NewCmdHook(env.F), "install"); code != 0 || !strings.Contains(env.ErrOut.String(), "installed "+target) {
		t.Fatalf("install: exit %d\n%s", code, env.ErrOut)
	}
	data, err := os.ReadFile(target)
	if err != nil || !strings.Contains(string(data), hook.Marker) {
		t.Fatalf("hook: %v\n%s", err, data)
	}
	env.ErrOut.Reset()
	if code := env.Exec(hook.NewCmdHook(env.F), "uninstall"); code != 0 || !strings.Contains(env.ErrOut.String(), "removed "+target) {
		t.Fatalf("uninstall: exit %d\n%s", code, env.ErrOut)
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Fatalf("the hook is still there: %v", err)
	}
	if env.Out.Len() != 0 {
		t.Fatalf("stdout %q", env.Out)
	}
}

func TestHookCommandUsageAndInput(t *testing.T) {
	env := cmdtest.New(t, t.TempDir(), nil)
	if code := env.Exec(hook.NewCmdHook(env.F), "install", "--force", "--chain"); code != 2 || !strings.Contains(env.ErrOut.String(), "exclude each other") {
		t.Fatalf("--force --chain: exit %d\n%s", code, env.ErrOut)
	}
	env.ErrOut.Reset()
	if code := env.Exec(hook.NewCmdHook(env.F), "install"); code != 2 || !strings.Contains(env.ErrOut.String(), "not inside a git repository") {
		t.Fatalf("no repository: exit %d\n%s", code, env.ErrOut)
	}
}
