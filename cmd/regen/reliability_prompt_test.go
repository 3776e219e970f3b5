//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen/regentest"
)

// Issue 15 item 1: codegen's questions reach the user's terminal. Ash asks
// "Are you renaming posts.body to posts.content? [Yn] " when an attribute
// disappears and another appears; regen relays the terminal to codegen
// only, in both paths (separate starts and the one-VM driver). Without a
// terminal (or with --yes) Ash reads end of input and takes "no", and
// regen says what that means.

const renameQ = "Are you renaming posts.body to posts.content? [Yn] "

// renamingProject is the baseline with a row, and posts.body renamed to
// posts.content in the resource.
func renamingProject(t *testing.T, kind, oneVM string) *regentest.Project {
	t.Helper()
	p := regentest.NewProjectOf(t, kind)
	p.Env = append(p.Env, "REGEN_ONE_VM="+oneVM)
	p.SQL(`INSERT INTO posts (id, title, body) VALUES ('00000000-0000-0000-0000-000000000001', 'Hello', 'the body')`)
	p.Write("lib/blog/post.ex", p.Resource("Post", "posts", []string{"attribute :title, :string, allow_nil?: false, public?: true", "attribute :content, :string, public?: true"}, nil))
	return p
}

func contentOf1(t *testing.T, p *regentest.Project) string {
	t.Helper()
	q := `SELECT content FROM posts WHERE id = '00000000-0000-0000-0000-000000000001'`
	if p.Kind == regentest.Postgres {
		return pgOne(t, p, q)
	}
	return sqlOne(t, p, q)
}

// newMigration is the text of the migration the run wrote.
func newMigration(t *testing.T, p *regentest.Project) string {
	t.Helper()
	for _, u := range p.Untracked("priv/repo/migrations") {
		data, err := os.ReadFile(filepath.Join(p.Root, u))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	t.Fatalf("the run wrote no migration; untracked: %v", p.Untracked("priv"))
	return ""
}

// regenOnPTY starts regen on a new terminal.
func regenOnPTY(t *testing.T, p *regentest.Project, env []string, args ...string) (*regentest.PTY, *exec.Cmd, chan error) {
	t.Helper()
	pty := regentest.OpenPTY(t)
	cmd := p.RegenCmd(args...)
	cmd.Env = append(cmd.Env, env...)
	pty.Attach(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return pty, cmd, done
}

func waitExit(t *testing.T, pty *regentest.PTY, done chan error) int {
	t.Helper()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(3 * time.Minute):
		t.Fatalf("regen did not end; the terminal shows:\n%s", pty.Output())
		return -1
	}
}

func eachPromptCase(t *testing.T, f func(t *testing.T, kind, oneVM string)) {
	for _, kind := range []string{regentest.SQLite, regentest.Postgres} {
		for _, oneVM := range []string{"1", "0"} {
			t.Run(kind+"/one_vm="+oneVM, func(t *testing.T) { f(t, kind, oneVM) })
		}
	}
}

func TestReliabilityCodegenRenameQuestionYesRenamesAndKeepsTheValues(t *testing.T) {
	eachPromptCase(t, func(t *testing.T, kind, oneVM string) {
		p := renamingProject(t, kind, oneVM)
		pty, _, done := regenOnPTY(t, p, nil, "rename_body", "-m")
		pty.WaitFor(renameQ, 0)
		pty.Type("y\n")
		if code := waitExit(t, pty, done); code != 0 {
			t.Fatalf("exit %d\n%s", code, pty.Output())
		}
		mig := newMigration(t, p)
		if !strings.Contains(mig, "rename table(:posts), :body, to: :content") || strings.Contains(mig, "remove :body") {
			t.Errorf("the migration is not a rename:\n%s", mig)
		}
		if got := contentOf1(t, p); got != "the body" {
			t.Errorf("posts.content = %q, want the old body (the body)\n%s", got, pty.Output())
		}
		out := pty.Output()
		if strings.Contains(out, "Ash took") {
			t.Errorf("an answered question was reported as unanswered:\n%s", out)
		}
		// The question shows in the gutter, the echoed answer ends its
		// line, and the task's next line keeps the gutter.
		if !strings.Contains(out, "    │ "+renameQ+"y\r\n    │ ") {
			t.Errorf("the question and the lines after it are not shown in the gutter:\n%q", out)
		}
	})
}

// "n", or Ctrl-D (end of input: Ash's "no"; codegen must not wait for more).
func TestReliabilityCodegenRenameQuestionNoIsADropAndAdd(t *testing.T) {
	eachPromptCase(t, func(t *testing.T, kind, oneVM string) {
		for _, answer := range []string{"n\n", "\x04"} {
			t.Run(strconv.Quote(answer), func(t *testing.T) { noIsADropAndAdd(t, kind, oneVM, answer) })
		}
	})
}

func noIsADropAndAdd(t *testing.T, kind, oneVM, answer string) {
	{
		p := renamingProject(t, kind, oneVM)
		pty, _, done := regenOnPTY(t, p, nil, "rename_body", "-m")
		pty.WaitFor(renameQ, 0)
		pty.Type(answer)
		if code := waitExit(t, pty, done); code != 0 {
			t.Fatalf("exit %d\n%s", code, pty.Output())
		}
		mig := newMigration(t, p)
		if strings.Contains(mig, "rename table") || !strings.Contains(mig, "remove :body") || !strings.Contains(mig, "add :content") {
			t.Errorf("the migration is not a drop + add:\n%s", mig)
		}
		if got := contentOf1(t, p); got != "<null>" {
			t.Errorf("posts.content = %q, want NULL (a new column)", got)
		}
	}
}

// Without a terminal (stdin not one, or --yes on one) nobody can answer:
// Ash takes "no", the run succeeds (exit 0) and says which question, what
// "no" did and what to run next.
func TestReliabilityCodegenRenameQuestionWithoutATerminalIsReported(t *testing.T) {
	eachPromptCase(t, func(t *testing.T, kind, oneVM string) {
		for _, how := range []string{"no tty", "--yes on a tty"} {
			t.Run(how, func(t *testing.T) {
				p := renamingProject(t, kind, oneVM)
				var out string
				var code int
				if how == "no tty" {
					out, code = p.Regen("rename_body", "-m")
				} else {
					pty, _, done := regenOnPTY(t, p, nil, "rename_body", "-m", "--yes")
					code = waitExit(t, pty, done)
					pty.WaitFor("`regen undo` puts back what was there before", 0) // its last line read off the terminal
					out = strings.ReplaceAll(pty.Output(), "\r\n", "\n")
				}
				if code != 0 {
					t.Fatalf("exit %d\n%s", code, out)
				}
				want := `warning: codegen asked "Are you renaming posts.body to posts.content?" but had no terminal to ask`
				if !strings.Contains(out, want) || !strings.Contains(out, "the data of posts.body is not carried into posts.content") || !strings.Contains(out, "`regen rename_body -m` again in a terminal without --yes") {
					t.Errorf("no report of the unanswered question:\n%s", out)
				}
				if mig := newMigration(t, p); !strings.Contains(mig, "remove :body") {
					t.Errorf("the migration is not Ash's \"no\" (drop + add):\n%s", mig)
				}
			})
		}
	})
}

// The relay stops with codegen: a line typed while migrate runs is left
// on the terminal for whoever reads next (the shell), not given to mix.
func TestReliabilityCodegenRenameQuestionRelayLeavesLaterInput(t *testing.T) {
	eachPromptCase(t, func(t *testing.T, kind, oneVM string) {
		p := renamingProject(t, kind, oneVM)
		ready := filepath.Join(t.TempDir(), "ready")
		pty, _, done := regenOnPTY(t, p, []string{"MIXSIM_SLEEP=ash.migrate:2", "MIXSIM_READY_FILE=" + ready}, "rename_body", "-m")
		pty.WaitFor(renameQ, 0)
		pty.Type("y\n")
		deadline := time.Now().Add(time.Minute)
		for {
			if _, err := os.Stat(ready); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("migrate never started:\n%s", pty.Output())
			}
			time.Sleep(10 * time.Millisecond)
		}
		pty.Type("later\n")
		if code := waitExit(t, pty, done); code != 0 {
			t.Fatalf("exit %d\n%s", code, pty.Output())
		}
		if got := pty.Pending(); got != "later\n" {
			t.Errorf("input typed after codegen: %q left on the terminal, want %q\n%s", got, "later\n", pty.Output())
		}
	})
}
