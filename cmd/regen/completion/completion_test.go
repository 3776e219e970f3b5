package completion_test

import (
	"strings"
	"testing"

	"github.com/regen-tool/regen/cmd/regen/completion"
	"github.com/regen-tool/regen/cmd/regen/internal/cmdtest"
)

func TestCompletionScriptsOnStdout(t *testing.T) {
	for _, c := range []struct{ shell, says string }{
		{"bash", "bash completion"}, {"zsh", "#compdef"}, {"fish", "complete -c"}, {"powershell", "Register-ArgumentCompleter"},
	} {
		env := cmdtest.New(t, t.TempDir(), nil)
		if code := env.Exec(completion.NewCmdCompletion(env.F), c.shell); code != 0 {
			t.Fatalf("%s: exit %d\n%s", c.shell, code, env.ErrOut)
		}
		if !strings.Contains(env.Out.String(), c.says) || env.ErrOut.Len() != 0 {
			t.Errorf("%s: stdout lacks %q (stderr %q)", c.shell, c.says, env.ErrOut)
		}
	}
}

func TestCompletionUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"tcsh"}, {"bash", "zsh"}, {"--nosuch"}} {
		env := cmdtest.New(t, t.TempDir(), nil)
		if code := env.Exec(completion.NewCmdCompletion(env.F), args...); code != 2 || env.Out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q", args, code, env.Out)
		}
	}
}
