package main

import (
	"encoding/json"
	"os"
	"os/exec"
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

// Repositories go-git cannot read alone, linked worktrees, and file names
// with spaces and unicode: the run works (through the git CLI where needed)
// and keeps state in the right git directory.
func TestUnusualRepositoriesWork(t *testing.T) {
	cases := map[string]func(t *testing.T, p *regentest.Project) string{
		"split index": func(t *testing.T, p *regentest.Project) string {
			p.Git("update-index", "--split-index")
			return p.Root
		},
		"extensions.worktreeConfig": func(t *testing.T, p *regentest.Project) string {
			p.Git("config", "extensions.worktreeConfig", "true")
			return p.Root
		},
		"linked worktree": func(t *testing.T, p *regentest.Project) string {
			wt := filepath.Join(t.TempDir(), "wt")
			p.Git("worktree", "add", "-q", "-b", "wt", wt)
			// The feature work, again, in the linked worktree.
			for _, f := range p.Untracked("priv") {
				data, _ := os.ReadFile(filepath.Join(p.Root, f))
				os.MkdirAll(filepath.Dir(filepath.Join(wt, f)), 0o755)
				os.WriteFile(filepath.Join(wt, f), data, 0o644)
			}
			data, _ := os.ReadFile(filepath.Join(p.Root, "lib/blog/post.ex"))
			os.WriteFile(filepath.Join(wt, "lib/blog/post.ex"), data, 0o644)
			// Its own database, as config/config.exs puts it beside the checkout.
			db, _ := os.ReadFile(p.DB)
			os.WriteFile(filepath.Join(wt, "blog_dev.db"), db, 0o644)
			// The stand-in's clock (real time never goes back; a fresh
			// checkout of the stand-in would reuse a version).
			clock, _ := os.ReadFile(filepath.Join(p.Root, "_build", "mixsim_clock"))
			os.MkdirAll(filepath.Join(wt, "_build"), 0o755)
			os.WriteFile(filepath.Join(wt, "_build", "mixsim_clock"), clock, 0o644)
			return wt
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			p := feature(t)
			dir := setup(t, p)
			cmd := p.RegenCmd("add_subtitle_and_views", "-m")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if exitCode(err) != 0 {
				t.Fatalf("exit %d\n%s", exitCode(err), out)
			}
			if name == "linked worktree" {
				gitDir := strings.TrimSpace(p.Git("-C", dir, "rev-parse", "--absolute-git-dir"))
				if _, err := os.Stat(filepath.Join(gitDir, "regen", "last")); err != nil {
					t.Fatalf("state should live in the worktree's own git dir %s: %v", gitDir, err)
				}
				if _, err := os.Stat(filepath.Join(dir, ".git", "regen")); err == nil {
					t.Fatal("state written into the work tree")
				}
			}
		})
	}
}

func TestFileNamesWithSpacesAndUnicodeAreKept(t *testing.T) {
	p := feature(t)
	strays := []string{"priv/repo/migrations/my notes.txt", "priv/repo/migrations/ñotes – draft.md", "priv/resource_snapshots/repo/posts/übersicht.txt"}
	for _, f := range strays {
		p.Write(f, "keep "+f)
	}
	before := p.Capture()
	if got, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
		t.Fatalf("exit %d\n%s", code, got)
	}
	for _, f := range strays {
		if data, err := os.ReadFile(filepath.Join(p.Root, f)); err != nil || string(data) != "keep "+f {
			t.Fatalf("%s: %v %q", f, err, data)
		}
	}
	// And undo puts the rest back around them.
	if got, code := p.Regen("undo"); code != 0 {
		t.Fatalf("undo: exit %d\n%s", code, got)
	}
	mustSame(t, before, p.Capture())
}

func TestPostgresDownIsOneClearLine(t *testing.T) {
	p := featureOf(t, regentest.Postgres)
	p.Write(".regen.toml", "[[repos]]\nname = \"repo\"\ndatabase = \"postgres://postgres@127.0.0.1:1/nothing\"\n")
	got, code := p.Regen("add_subtitle_and_views", "-m")
	if code != 2 || !strings.Contains(got, "127.0.0.1:1") || !strings.Contains(got, "Nothing was changed") {
		t.Fatalf("exit %d\n%s", code, got)
	}
}

func TestInitWritesAConfigThatLoadsBackTheSame(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			p := featureOf(t, kind)
			before, code := p.Regen("status", "--json")
			if code != 0 {
				t.Fatalf("status: %d\n%s", code, before)
			}
			got, code := p.Regen("init")
			if code != 0 || !strings.Contains(got, "wrote") {
				t.Fatalf("init: exit %d\n%s", code, got)
			}
			text, _ := os.ReadFile(filepath.Join(p.Root, ".regen.toml"))
			if pw := "regen-test-pw"; strings.Contains(string(text), pw) {
				t.Fatal("the password was written into .regen.toml")
			}
			if _, code := p.Regen("init"); code != 2 {
				t.Fatal("a second init must not replace the file")
			}
			if kind == regentest.Postgres {
				return // without a password the config needs PGPASSWORD: checked above that none is written
			}
			after, code := p.Regen("status", "--json")
			if code != 0 {
				t.Fatalf("status with the written config: %d\n%s", code, after)
			}
			if !strings.Contains(string(text), `database = "blog_dev.db"`) || !strings.Contains(string(text), `module = "Blog.Repo"`) {
				t.Fatalf("config:\n%s", text)
			}
		})
	}
}

// A copied checkout (its .git and the repo-config cache with it) must use
// its own database, not the original's.
func TestCopiedCheckoutUsesItsOwnDatabase(t *testing.T) {
	p := feature(t)
	if got, code := p.Regen("status"); code != 0 { // fills the cache
		t.Fatalf("%d\n%s", code, got)
	}
	copyDir := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "-a", p.Root, copyDir).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	originalBefore := p.Capture()
	cmd := p.RegenCmd("status", "--json")
	cmd.Dir = copyDir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), filepath.Join(copyDir, "blog_dev.db")) || strings.Contains(string(out), p.DB) {
		t.Fatalf("the copy reads the wrong database:\n%s", out)
	}
	cmd = p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Dir = copyDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	mustSame(t, originalBefore, p.Capture())
}

// A project in a subfolder of its repository, run from the repository's top
// (where git runs hooks): the one project below is the project.
func TestProjectInASubfolderFoundFromTheTop(t *testing.T) {
	p := feature(t)
	untracked := p.Untracked(".")
	sub := filepath.Join(p.Root, "backend")
	os.MkdirAll(sub, 0o755)
	entries, _ := os.ReadDir(p.Root)
	for _, e := range entries {
		if e.Name() != ".git" && e.Name() != "backend" {
			if err := os.Rename(filepath.Join(p.Root, e.Name()), filepath.Join(sub, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	p.Git("add", "-A")
	for _, f := range untracked { // what was untracked stays so
		p.Git("reset", "-q", "--", "backend/"+f)
	}
	p.Git("commit", "-qm", "move into backend/")
	stdout, err := p.RegenCmd("status", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Plan struct {
			Repos []struct {
				Untracked []struct{ Path string } `json:"untracked"`
				Rollback  []struct{ Path string } `json:"rollback"`
			} `json:"repos"`
		} `json:"plan"`
	}
	if err := json.Unmarshal(stdout, &st); err != nil {
		t.Fatal(err)
	}
	r := st.Plan.Repos[0]
	if len(r.Untracked) != 1 || len(r.Rollback) != 1 || !strings.HasPrefix(r.Rollback[0].Path, "priv/repo/migrations/") || !strings.HasSuffix(r.Rollback[0].Path, "_add_subtitle.exs") {
		t.Fatalf("want exactly the one untracked, applied migration, relative to backend/: %+v", r)
	}
	// Two projects below: refused, naming both.
	p.Write("other/mix.exs", "defmodule Other.MixProject do\nend\n")
	got, code := p.Regen("status")
	if code != 2 || !strings.Contains(got, "several Elixir projects") {
		t.Fatalf("exit %d\n%s", code, got)
	}
}
