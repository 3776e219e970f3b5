package check_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regen-tool/regen/regen/regentest"
)

// Exit codes of the real binary: 0 clean, 1 findings, 2 cannot run.
func TestCheckExitCodes(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, p *regentest.Project)
		args  []string
		code  int
		says  []string
	}{
		{"clean", nil, nil, 0, []string{"no findings"}},
		{"findings", func(t *testing.T, p *regentest.Project) {
			p.Write("priv/repo/migrations/2030010100000_add_x.exs", "")
		}, []string{"--no-codegen"}, 1, []string{"[migration-name]", "[untracked]", "fix:"}},
		{"drift", func(t *testing.T, p *regentest.Project) {
			p.Write("lib/blog/post.ex", regentest.Resource("Post", "posts", []string{"attribute :title, :string, public?: true"}, nil))
		}, nil, 1, []string{"[codegen-drift]", "Pending Code Generation Detected"}},
		{"no mix.exs", func(t *testing.T, p *regentest.Project) {
			os.Remove(filepath.Join(p.Root, "mix.exs"))
		}, nil, 2, []string{"no mix.exs"}},
		{"bad config", func(t *testing.T, p *regentest.Project) {
			p.Write(".regen.toml", "migartions = \"x\"\n")
		}, nil, 2, []string{"unknown key \"migartions\""}},
		{"bad format", nil, []string{"--format", "xml"}, 2, []string{"--format", "text, json or github"}},
		{"mix missing", func(t *testing.T, p *regentest.Project) {
			p.Env = append(p.Env, "REGEN_MIX=/nonexistent/mix")
		}, nil, 2, []string{"/nonexistent/mix", "--no-codegen"}},
		{"mix missing but not needed", func(t *testing.T, p *regentest.Project) {
			p.Env = append(p.Env, "REGEN_MIX=/nonexistent/mix")
		}, []string{"--no-codegen"}, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := regentest.NewProject(t)
			if c.setup != nil {
				c.setup(t, p)
			}
			out, code := p.Regen(append([]string{"check"}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, out)
			}
			for _, s := range c.says {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
		})
	}
}

func TestCheckNotARepository(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mix.exs"), []byte("defmodule X do\nend\n"), 0o644)
	cmd := exec.Command(regentest.Regen(t), "check")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "not inside a git repository") {
		t.Fatalf("want exit 2 saying why: %v\n%s", err, out)
	}
}

// The JSON on stdout is a document on its own (notes go to stderr).
func TestCheckJSONOnStdout(t *testing.T) {
	p := regentest.NewProject(t)
	p.Write("priv/repo/migrations/2030010100000_add_x.exs", "")
	cmd := p.RegenCmd("check", "--format", "json", "--staged")
	var stdout strings.Builder
	cmd.Stdout = &stdout
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1: %v", err)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
		Count    int              `json:"count"`
	}
	if err := json.Unmarshal([]byte(stdout.String()), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
	}
	if doc.Count != 1 || doc.Findings[0]["rule"] != "not-staged" {
		t.Fatalf("doc = %+v", doc)
	}
}
