package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// Bad input: each gets a clear message and the right exit code, and none
// changes anything.
func TestBadInputChangesNothing(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, p *regentest.Project) []string // returns extra env
		args  []string
		code  int
		says  []string
	}{
		{"no mix.exs", func(t *testing.T, p *regentest.Project) []string {
			os.Rename(filepath.Join(p.Root, "mix.exs"), filepath.Join(p.Root, "mix.exs.off"))
			return nil
		}, []string{"add_views", "-m"}, 2, []string{"no mix.exs", "Elixir project"}},
		{"corrupt database", func(t *testing.T, p *regentest.Project) []string {
			os.WriteFile(p.DB, []byte("this is not a database, just some text that is long enough to be a header"), 0o644)
			return nil
		}, []string{"add_views", "-m"}, 2, []string{"not a SQLite database", "Nothing was changed"}},
		{"unknown config key", func(t *testing.T, p *regentest.Project) []string {
			p.Write(".regen.toml", "preset = \"ash_sqlite\"\nmigartions = \"priv/repo/migrations\"\n")
			return nil
		}, []string{"status"}, 2, []string{"line 2", "unknown key \"migartions\""}},
		{"folder outside the project", func(t *testing.T, p *regentest.Project) []string {
			p.Write(".regen.toml", "[[repos]]\nname = \"repo\"\nmigrations = \"../elsewhere\"\n")
			return nil
		}, []string{"add_views"}, 2, []string{"outside the project"}},
		{"migrations folder is a symlink", func(t *testing.T, p *regentest.Project) []string {
			outside := t.TempDir()
			os.Symlink(outside, filepath.Join(p.Root, "priv", "linked"))
			p.Write(".regen.toml", "[[repos]]\nname = \"repo\"\nmigrations = \"priv/linked\"\ndatabase = \"blog_dev.db\"\n")
			return nil
		}, []string{"add_views"}, 2, []string{"symlink"}},
		{"mix not found", func(t *testing.T, p *regentest.Project) []string {
			return []string{"REGEN_MIX=/nonexistent/mix"}
		}, []string{"add_views", "-m"}, 2, []string{"/nonexistent/mix", "REGEN_MIX"}},
		{"bad rollback strategy", nil, []string{"add_views", "--rollback", "sideways"}, 2, []string{"sideways", "auto, down or rebuild"}},
		{"unbalanced quote in REGEN_MIX", func(t *testing.T, p *regentest.Project) []string {
			return []string{"REGEN_MIX=mix 'unbalanced"}
		}, []string{"status"}, 2, []string{"REGEN_MIX"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := feature(t)
			p.Regen("status") // the repo-config cache, as after any first use
			var env []string
			if c.setup != nil {
				env = c.setup(t, p)
			}
			before := p.Capture()
			p.Env = append(p.Env, env...)
			got, code := p.Regen(c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, got)
			}
			for _, s := range c.says {
				if !strings.Contains(got, s) {
					t.Fatalf("output should say %q:\n%s", s, got)
				}
			}
			if strings.Contains(got, "panic") || strings.Contains(got, "goroutine ") {
				t.Fatalf("a panic reached the user:\n%s", got)
			}
			mustSame(t, before, p.Capture())
		})
	}
}
