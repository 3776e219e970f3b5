package check_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/check"
	"github.com/regen-tool/regen/regen/regentest"
)

// bigProject writes a committed project with 2,000 migrations and 500
// snapshot files (50 tables × 10), plus a few untracked ones, for the
// static part of `regen check`.
func bigProject(b *testing.B) string {
	b.Helper()
	root, _ := filepath.EvalSymlinks(b.TempDir())
	home := b.TempDir()
	b.Setenv("HOME", home)
	b.Setenv("XDG_CONFIG_HOME", home)
	b.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	write := func(rel, content string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("mix.exs", "defmodule Blog.MixProject do\n  use Mix.Project\n  def project, do: [app: :blog, deps: [{:ash_sqlite, \"~> 0.2\"}]]\nend\n")
	write(".regen.toml", "[[repos]]\nname = \"repo\"\ndatabase = \"blog_dev.db\"\n")
	for i := 0; i < 2000; i++ {
		slug := fmt.Sprintf("change_%04d", i)
		write(fmt.Sprintf("priv/repo/migrations/2024%010d_%s.exs", i, slug), regentest.MigrationSource("Change"+fmt.Sprint(i), "    alter table(:posts) do\n      add :c, :text\n    end\n", ""))
	}
	for tbl := 0; tbl < 50; tbl++ {
		for s := 0; s < 10; s++ {
			write(fmt.Sprintf("priv/resource_snapshots/repo/table_%02d/2024%010d.json", tbl, tbl*10+s),
				fmt.Sprintf(`{"attributes":[{"allow_nil?":false,"default":"nil","generated?":false,"primary_key?":true,"references":null,"size":null,"source":"id","type":"uuid"},{"allow_nil?":true,"default":"nil","generated?":false,"primary_key?":false,"references":null,"size":null,"source":"title","type":"text"}],"base_filter":null,"check_constraints":[],"custom_indexes":[],"custom_statements":[],"has_create_action":true,"hash":"ABC%d","identities":[],"multitenancy":{"attribute":null,"global":null,"strategy":null},"repo":"Elixir.Blog.Repo","table":"table_%02d"}`, s, tbl))
		}
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "big"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write("priv/repo/migrations/20990101000000_untracked.exs", regentest.MigrationSource("Untracked", "", ""))
	return root
}

// BenchmarkCheckStatic: the static part of `regen check` (no Elixir) on
// 2,000 migrations and 500 snapshots, against `git ls-files` of the same
// folders as the anchor measured in the same run.
func BenchmarkCheckStatic(b *testing.B) {
	root := bigProject(b)
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			e, err := regen.Open(regen.Options{Dir: root, Getenv: func(string) string { return "" }})
			if err != nil {
				b.Fatal(err)
			}
			rep, err := check.Run(context.Background(), e, check.Options{Codegen: check.CodegenNever})
			if err != nil {
				b.Fatal(err)
			}
			if len(rep.Findings) != 1 { // the untracked migration
				b.Fatalf("findings: %+v", rep.Findings)
			}
		}
	})
	b.Run("anchor-git-ls-files", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command("git", "ls-files", "-z", "--", "priv/repo/migrations", "priv/resource_snapshots/repo")
			cmd.Dir = root
			if _, err := cmd.Output(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
