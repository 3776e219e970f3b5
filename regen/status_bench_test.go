package regen_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// BenchmarkStatus measures `regen status` on the synthetic large repository
// of the performance issue: 100,000 tracked files, a migrations folder of
// 2,000 tracked + 5 untracked + 3 ignored files, 2,000 applied versions.
// The files outside the configured folders exist only in the index (neither
// regen nor `git ls-files -- <folders>` visits them; scripts/bench builds
// them on disk too).
//
//	inprocess   regen.Open + Engine.Status, for profiling (-cpuprofile)
//	vs-anchor   the regen binary as a whole process, interleaved with the
//	            anchor `git ls-files --others --exclude-standard -- <folders>`
//	            + `sqlite3 db 'select version from schema_migrations'`;
//	            reports ratio = regen / anchor (target ≤ 1.0)
func BenchmarkStatus(b *testing.B) {
	root := largeRepo(b, 100000, 2000)
	getenv := func(k string) string { return os.Getenv(k) }
	ctx := context.Background()

	b.Run("inprocess", func(b *testing.B) {
		for b.Loop() {
			e, err := regen.Open(regen.Options{Dir: root, Getenv: getenv})
			if err != nil {
				b.Fatal(err)
			}
			st, err := e.Status(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if r := st.Plan.Repos[0]; len(r.Untracked) != 5 || len(r.Applied) != 2000 || len(r.Ignored) != 3 {
				b.Fatalf("unexpected plan: %d untracked, %d applied, %d ignored", len(r.Untracked), len(r.Applied), len(r.Ignored))
			}
		}
	})

	b.Run("vs-anchor", func(b *testing.B) {
		sqlite3, err := exec.LookPath("sqlite3")
		if err != nil {
			b.Skip("sqlite3 is not installed: no anchor")
		}
		bin := filepath.Join(b.TempDir(), "regen")
		build := exec.Command("go", "build", "-o", bin, "./cmd/regen")
		build.Dir = regentest.ModuleRoot()
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
		cmds := [][][]string{
			{{bin, "status", "--json"}},
			{{"git", "ls-files", "--others", "--exclude-standard", "--", "priv/repo/migrations", "priv/resource_snapshots/repo"},
				{sqlite3, filepath.Join(root, "blog_dev.db"), "select version from schema_migrations"}},
		}
		var spent [2]time.Duration
		for i := 0; b.Loop(); i++ {
			for k := range cmds {
				m := (i + k) % 2 // alternate which goes first
				start := time.Now()
				for _, argv := range cmds[m] {
					c := exec.Command(argv[0], argv[1:]...)
					c.Dir = root
					if out, err := c.CombinedOutput(); err != nil {
						b.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
					}
				}
				spent[m] += time.Since(start)
			}
		}
		n := float64(b.N)
		b.ReportMetric(float64(spent[0].Microseconds())/1000/n, "regen-ms/op")
		b.ReportMetric(float64(spent[1].Microseconds())/1000/n, "anchor-ms/op")
		b.ReportMetric(float64(spent[0])/float64(spent[1]), "ratio")
	})
}

// largeRepo builds the synthetic repository quickly: the configured folders
// are real files, the rest of the tracked files are index entries sharing
// one blob (added with `git update-index --index-info`, no files written).
func largeRepo(b *testing.B, tracked, migs int) string {
	b.Helper()
	root, _ := filepath.EvalSymlinks(b.TempDir())
	home := b.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com",
	} {
		b.Setenv(k, v)
	}
	write := func(rel, content string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	git := func(stdin string, args ...string) string {
		c := exec.Command("git", args...)
		c.Dir = root
		c.Stdin = strings.NewReader(stdin)
		out, err := c.Output()
		if err != nil {
			b.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	write("mix.exs", "defmodule Blog.MixProject do\n  use Mix.Project\n  def project, do: [app: :blog, deps: [{:ash_sqlite, \"~> 0.2\"}]]\nend\n")
	write(".gitignore", "/_build/\n/deps/\n*.db\n*.swp\n*.bak\n")
	write(".regen.toml", "preset = \"ash_sqlite\"\n\n[[repos]]\nname = \"repo\"\nmigrations = \"priv/repo/migrations\"\nsnapshots = \"priv/resource_snapshots/repo\"\ndatabase = \"blog_dev.db\"\n")
	var values []string
	for i := 0; i < migs; i++ {
		v := fmt.Sprintf("2024%010d", i)
		write(fmt.Sprintf("priv/repo/migrations/%s_step_%d.exs", v, i), fmt.Sprintf("defmodule Blog.Repo.Migrations.Step%d do\n  use Ecto.Migration\nend\n", i))
		values = append(values, "("+v+", '2024-01-01T00:00:00')")
	}
	for i := 0; i < 20; i++ {
		write(fmt.Sprintf("priv/resource_snapshots/repo/table%02d/2024%010d.json", i, i), "{}\n")
	}
	git("", "init", "-q", "-b", "main")
	git("", "add", "-A")
	blob := git("defmodule M do\nend\n", "hash-object", "-w", "--stdin")
	var info bytes.Buffer
	for i := 0; i < tracked-migs-20-3; i++ {
		fmt.Fprintf(&info, "100644 %s\tlib/area%03d/mod%02d/file%03d.ex\n", blob, i/2000, (i/100)%20, i%100)
	}
	git(info.String(), "update-index", "--add", "--index-info")
	git("", "commit", "-q", "-m", "synthetic")
	for i := 0; i < 5; i++ {
		write(fmt.Sprintf("priv/repo/migrations/2025%010d_feature_%d.exs", i, i), "defmodule X do\nend\n")
	}
	for _, n := range []string{"notes.swp", "20250000000009_old.exs.bak", ".20250000000001_feature_1.exs.swp"} {
		write("priv/repo/migrations/"+n, "x")
	}
	db, err := sql.Open("sqlite", filepath.Join(root, "blog_dev.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, inserted_at TEXT)"); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO schema_migrations VALUES " + strings.Join(values, ",")); err != nil {
		b.Fatal(err)
	}
	return root
}
