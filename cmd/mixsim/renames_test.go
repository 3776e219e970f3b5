package main

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// Ash's rename questions, as Mix.Shell.IO asks them (renames.go).

func postResource(attrs ...string) string {
	var b strings.Builder
	b.WriteString("defmodule AppSqlite.Blog.Post do\n  use Ash.Resource,\n    domain: AppSqlite.Blog,\n    data_layer: AshSqlite.DataLayer\n\n")
	b.WriteString("  sqlite do\n    table \"posts\"\n    repo AppSqlite.Repo\n  end\n\n  attributes do\n    uuid_primary_key :id\n")
	for _, a := range attrs {
		b.WriteString("    attribute :" + a + ", :string, public?: true\n")
	}
	b.WriteString("  end\nend\n")
	return b.String()
}

// codegenAnswering runs ash.codegen NAME with typed as its stdin.
func codegenAnswering(t *testing.T, dir, typed string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	var in *bufio.Reader
	if typed != "<eof>" {
		in = bufio.NewReader(strings.NewReader(typed))
	}
	code := runInWith(dir, func(string) string { return "" }, append([]string{"ash.codegen"}, args...), in, &out, &errb)
	return result{out.String(), errb.String(), code}
}

func renameProject(t *testing.T, before, after []string) string {
	t.Helper()
	dir := newProject(t, map[string]string{"post.ex": postResource(before...)})
	mustOK(t, mixsim(t, dir, nil, "ash.codegen", "initial"))
	write(t, dir, "lib/app_sqlite/blog/post.ex", postResource(after...))
	return dir
}

func lastMigration(t *testing.T, dir string) string {
	t.Helper()
	migs := listRel(t, dir, "priv/repo/migrations")
	return readFile(t, dir+"/"+migs[len(migs)-1])
}

func TestCodegenAsksRenameOfOneAttribute(t *testing.T) {
	for _, c := range []struct {
		typed  string
		rename bool
	}{{"y\n", true}, {"\n", true}, {"Yes\n", true}, {"n\n", false}, {"x\n", false}, {"<eof>", false}} {
		dir := renameProject(t, []string{"title", "body"}, []string{"title", "content"})
		r := mustOK(t, codegenAnswering(t, dir, c.typed, "rename_body"))
		q := "Are you renaming posts.body to posts.content? [Yn] "
		if !strings.Contains(r.stdout, "Running codegen for AshSqlite.DataLayer...\n"+q) {
			t.Errorf("%q: the question (no newline after it) is not asked:\n%s", c.typed, r.stdout)
		}
		mig := lastMigration(t, dir)
		up := mig[:strings.Index(mig, "def down")]
		if c.rename {
			if !strings.Contains(up, "    rename table(:posts), :body, to: :content\n") || strings.Contains(mig, "remove :body") {
				t.Errorf("%q: want a rename:\n%s", c.typed, mig)
			}
			if !strings.Contains(mig[strings.Index(mig, "def down"):], "    rename table(:posts), :content, to: :body\n") {
				t.Errorf("%q: the down does not rename back:\n%s", c.typed, mig)
			}
		} else if strings.Contains(mig, "rename") || !strings.Contains(up, "remove :body") || !strings.Contains(up, "add :content") {
			t.Errorf("%q: want a drop + add:\n%s", c.typed, mig)
		}
	}
}

func TestCodegenAsksRenameAmongSeveral(t *testing.T) {
	dir := renameProject(t, []string{"title", "body"}, []string{"title", "content", "summary"})
	r := mustOK(t, codegenAnswering(t, dir, "y\nnope\nsummary\n", "rename_body"))
	for _, want := range []string{
		"Are you renaming posts.body? [Yn] ",
		"What are you renaming it to?: content, summary What are you renaming it to?: content, summary ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if mig := lastMigration(t, dir); !strings.Contains(mig, "rename table(:posts), :body, to: :summary") || !strings.Contains(mig, "add :content") {
		t.Errorf("want body renamed to summary and content added:\n%s", mig)
	}

	dir = renameProject(t, []string{"title", "body"}, []string{"title", "content", "summary"})
	r = codegenAnswering(t, dir, "y\na\nb\nc\n", "rename_body")
	if r.code != 1 || !strings.Contains(r.stderr, "** (RuntimeError) Could not get matching name after 3 attempts.") {
		t.Errorf("three wrong names: exit %d\n%s", r.code, r.stderr)
	}
	// --dev asks nothing (a drop + add); --check asks nothing and counts.
	dir = renameProject(t, []string{"title", "body"}, []string{"title", "content"})
	if r := mustOK(t, codegenAnswering(t, dir, "<eof>", "--dev")); strings.Contains(r.stdout, "Are you renaming") {
		t.Errorf("--dev asked:\n%s", r.stdout)
	}
	dir = renameProject(t, []string{"title", "body"}, []string{"title", "content"})
	if r := codegenAnswering(t, dir, "<eof>", "--check"); r.code != 1 || strings.Contains(r.stdout, "Are you renaming") {
		t.Errorf("--check: exit %d, asked?\n%s", r.code, r.stdout)
	}
}
