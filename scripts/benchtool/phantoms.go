package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// phantomRepo writes the phantom scenario (issue 13): a repository with
// `commits` commits, half on main (every other one adds a migration, the
// rest edit a source file) and half on `branches` feature branches forking
// off main along its history, each branch commit adding one migration. The
// work tree is main. Two copies: dir, whose database has every version
// applied (the branches' versions are phantoms), and plain, the same
// repository whose database has main's versions only (no phantom). Written
// with git fast-import: 2,000 commits in well under a second.
func phantomRepo(args []string) error {
	fl := flag.NewFlagSet("phantomrepo", flag.ExitOnError)
	dir := fl.String("dir", "", "folder to create (phantoms)")
	plain := fl.String("plain", "", "folder to create (the same repository, no phantoms)")
	branches := fl.Int("branches", 50, "feature branches")
	commits := fl.Int("commits", 2000, "commits in all")
	phantoms := fl.Int("phantoms", 1000, "branch migrations applied but not on main")
	fl.Parse(args)
	if *dir == "" || *plain == "" || *branches <= 0 || *phantoms%*branches != 0 || *phantoms >= *commits {
		return errors.New("phantomrepo: -dir and -plain are required; -phantoms must be a multiple of -branches and below -commits")
	}
	root := *dir
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	env := gitEnv(root)
	if err := run(root, env, "git", "init", "-q", "-b", "main"); err != nil {
		return err
	}
	stream, mainVersions, branchVersions := phantomStream(*branches, *commits-*phantoms, *phantoms / *branches)
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stream)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git fast-import: %v\n%s", err, out)
	}
	if err := run(root, env, "git", "checkout", "-q", "-f", "main"); err != nil {
		return err
	}
	if err := run(filepath.Dir(root), env, "cp", "-a", root, *plain); err != nil {
		return err
	}
	if err := insertVersions(filepath.Join(*plain, "blog_dev.db"), mainVersions); err != nil {
		return err
	}
	return insertVersions(filepath.Join(root, "blog_dev.db"), append(mainVersions, branchVersions...))
}

// phantomStream is the fast-import stream and the versions it commits on
// main and on the branches.
func phantomStream(branches, mainCommits, perBranch int) (string, []string, []string) {
	var b strings.Builder
	w := bufio.NewWriter(&b)
	when := int64(1700000000)
	file := func(path, content string) {
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", path, len(content), content)
	}
	commit := func(ref, msg string, mark int, from string) {
		when += 60
		fmt.Fprintf(w, "commit %s\nmark :%d\ncommitter bench <bench@example.com> %d +0000\ndata %d\n%s\n", ref, mark, when, len(msg), msg)
		if from != "" {
			fmt.Fprintf(w, "from %s\n", from)
		}
	}
	var mainVersions, branchVersions []string
	mark := 1
	commit("refs/heads/main", "project", mark, "")
	file("mix.exs", phantomMixExs)
	file("config/config.exs", phantomConfigExs)
	file(".gitignore", "/_build/\n/deps/\n*.db\n*.db-*\n")
	file(".regen.toml", phantomRegenToml)
	file("lib/blog/post.ex", resource("Post", "posts", []string{"attribute :title, :string, public?: true"}))
	forkEvery := mainCommits / (branches + 1)
	var forks []int // main marks the branches start from
	for i := 1; i < mainCommits; i++ {
		mark++
		commit("refs/heads/main", fmt.Sprintf("main %d", i), mark, "")
		if i%2 == 1 {
			v := fmt.Sprintf("2024%010d", i)
			file(fmt.Sprintf("%s/%s_main_%d.exs", migs, v, i), migrationBody("Main", i))
			mainVersions = append(mainVersions, v)
		} else {
			file(fmt.Sprintf("lib/blog/area%02d.ex", i%40), fmt.Sprintf("defmodule Blog.Area%d do\n  def v, do: %d\nend\n", i%40, i))
		}
		if forkEvery > 0 && i%forkEvery == 0 && len(forks) < branches {
			forks = append(forks, mark)
		}
	}
	for len(forks) < branches {
		forks = append(forks, mark)
	}
	n := 0
	for br, fork := range forks {
		ref := fmt.Sprintf("refs/heads/feature-%02d", br)
		for j := 0; j < perBranch; j++ {
			mark++
			from := ""
			if j == 0 {
				from = fmt.Sprintf(":%d", fork)
			}
			commit(ref, fmt.Sprintf("feature %d step %d", br, j), mark, from)
			v := fmt.Sprintf("2025%010d", n)
			file(fmt.Sprintf("%s/%s_feature_%d.exs", migs, v, n), migrationBody("Feature", n))
			branchVersions = append(branchVersions, v)
			n++
		}
	}
	w.Flush()
	return b.String(), mainVersions, branchVersions
}

func migrationBody(kind string, i int) string {
	return fmt.Sprintf("defmodule Blog.Repo.Migrations.%s%d do\n  use Ecto.Migration\n\n  def up do\n    alter table(:posts) do\n      add :c%d, :text\n    end\n  end\n\n  def down do\n    alter table(:posts) do\n      remove :c%d\n    end\n  end\nend\n", kind, i, i, i)
}

var (
	phantomMixExs    = "defmodule Blog.MixProject do\n  use Mix.Project\n\n  def project do\n    [app: :blog, version: \"0.1.0\", deps: [{:ash, \"~> 3.0\"}, {:ash_sqlite, \"~> 0.2\"}]]\n  end\nend\n"
	phantomConfigExs = "import Config\n\nconfig :blog, ecto_repos: [Blog.Repo]\n\nconfig :blog, Blog.Repo,\n  database: Path.expand(\"../blog_dev.db\", __DIR__)\n"
	phantomRegenToml = "preset = \"ash_sqlite\"\n\n[[repos]]\nname = \"repo\"\nmodule = \"Blog.Repo\"\nmigrations = \"" + migs + "\"\nsnapshots = \"" + snaps + "\"\ndatabase = \"blog_dev.db\"\n"
)
