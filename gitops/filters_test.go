package gitops

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// Filtered must name every path a content filter converts (the index blob
// is then not the file's bytes) and, where it leaves a path out, the
// checked-out file must be its blob byte for byte.
func TestFiltered(t *testing.T) {
	paths := []string{"a/x.exs", "a/b/y.json", "c/z.txt"}
	cases := []struct {
		name  string
		setup func(r *testRepo, xdg string)
		want  []string
	}{
		{"nothing", func(r *testRepo, _ string) {}, nil},
		{"core.autocrlf=true", func(r *testRepo, _ string) { r.git("config", "core.autocrlf", "true") }, paths},
		{"core.autocrlf=input", func(r *testRepo, _ string) { r.git("config", "core.autocrlf", "input") }, paths},
		{"core.eol=crlf alone converts nothing", func(r *testRepo, _ string) { r.git("config", "core.eol", "crlf") }, nil},
		{"top .gitattributes text", func(r *testRepo, _ string) { r.write(".gitattributes", "*.json text\n") }, []string{"a/b/y.json"}},
		{"nested untracked .gitattributes eol", func(r *testRepo, _ string) { r.write("a/b/.gitattributes", "y.json eol=crlf\n") }, []string{"a/b/y.json"}},
		{"legacy crlf attribute", func(r *testRepo, _ string) { r.write(".gitattributes", "*.txt crlf\n") }, []string{"c/z.txt"}},
		{"attributes that convert nothing", func(r *testRepo, _ string) {
			r.write(".gitattributes", "*.ex diff=elixir\n*.exs diff=elixir linguist-generated\n")
		}, nil},
		{"a macro that converts", func(r *testRepo, _ string) { r.write(".gitattributes", "[attr]crlfish eol=crlf\n*.exs crlfish\n") }, []string{"a/x.exs"}},
		{"-text is binary", func(r *testRepo, _ string) { r.write(".gitattributes", "* -text\n") }, nil},
		{"binary macro", func(r *testRepo, _ string) { r.write(".gitattributes", "* binary\n") }, nil},
		{"info/attributes ident", func(r *testRepo, _ string) { r.write(".git/info/attributes", "*.exs ident\n") }, []string{"a/x.exs"}},
		{"core.attributesFile filter", func(r *testRepo, xdg string) {
			f := filepath.Join(xdg, "attrs")
			ok(r.t, os.WriteFile(f, []byte("*.exs filter=foo\n"), 0o644))
			r.git("config", "core.attributesFile", f)
		}, []string{"a/x.exs"}},
		{"XDG attributes working-tree-encoding", func(r *testRepo, xdg string) {
			ok(r.t, os.MkdirAll(filepath.Join(xdg, "git"), 0o755))
			ok(r.t, os.WriteFile(filepath.Join(xdg, "git", "attributes"), []byte("c/* working-tree-encoding=UTF-16\n"), 0o644))
		}, []string{"c/z.txt"}},
		{"includeIf config (asks git)", func(r *testRepo, xdg string) {
			f := filepath.Join(xdg, "inc")
			ok(r.t, os.WriteFile(f, []byte("[core]\n\tautocrlf = true\n"), 0o644))
			r.git("config", "includeIf.gitdir:"+r.dir+"/.path", f)
		}, paths},
		{"tracked .gitattributes deleted on disk", func(r *testRepo, _ string) {
			r.write(".gitattributes", "*.txt text eol=crlf\n")
			r.git("add", ".gitattributes")
			r.git("commit", "-q", "-m", "attrs")
			ok(r.t, os.Remove(r.abs(".gitattributes")))
		}, []string{"c/z.txt"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, xdg := isolateGit(t)
			r := newRepo(t)
			r.write("a/x.exs", "defmodule X do\nend\n")
			r.write("a/b/y.json", "{\n\"a\": 1\n}\n")
			r.write("c/z.txt", "one\ntwo\n")
			r.git("add", "-A")
			r.git("commit", "-q", "-m", "files")
			c.setup(r, xdg)
			repo := r.open()
			got, err := repo.Filtered(paths)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for p := range got {
				names = append(names, p)
			}
			sort.Strings(names)
			want := append([]string(nil), c.want...)
			sort.Strings(want)
			if !reflect.DeepEqual(names, want) {
				t.Fatalf("Filtered = %v, want %v", names, want)
			}
			// Where no filter is reported, a checkout writes the blob.
			for _, p := range paths {
				if got[p] {
					continue
				}
				ok(t, os.Remove(r.abs(p)))
				r.git("checkout", "--", p)
				data, err := os.ReadFile(r.abs(p))
				ok(t, err)
				if blob := r.git("cat-file", "blob", ":"+p); string(data) != blob {
					t.Fatalf("%s: not reported filtered, but checkout writes %q for the blob %q", p, data, blob)
				}
			}
		})
	}
}

// Checkout gives the bytes git checkout writes, and the blob itself where
// no filter applies.
func TestCheckout(t *testing.T) {
	isolateGit(t)
	r := newRepo(t)
	r.write(".gitattributes", "*.txt text eol=crlf\n*.exs ident\n")
	r.write("a.txt", "one\ntwo\n")
	r.write("b.exs", "# $Id$\n")
	r.write("c.json", "{}\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "files")
	repo := r.open()
	for _, p := range []string{"a.txt", "b.exs", "c.json"} {
		blob, _, err := repo.IndexBlob(p)
		ok(t, err)
		got, err := repo.Checkout(p, blob)
		ok(t, err)
		ok(t, os.Remove(r.abs(p)))
		r.git("checkout", "--", p)
		want, err := os.ReadFile(r.abs(p))
		ok(t, err)
		if string(got) != string(want) {
			t.Fatalf("%s: Checkout = %q, git checkout writes %q", p, got, want)
		}
	}
}

// Changed agrees with git about files that differ from their blob only by
// a filter's conversion (stat changed, content equivalent).
func TestChangedWithFilters(t *testing.T) {
	isolateGit(t)
	r := newRepo(t)
	r.git("config", "core.autocrlf", "true")
	r.write("m/a.exs", "one\r\ntwo\r\n")
	r.write("m/b.exs", "three\r\n")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "files")
	r.write("m/a.exs", "one\r\ntwo\r\n") // same content, new stat
	r.write("m/b.exs", "changed\r\n")
	for _, backend := range []string{"go-git", "git-cli"} {
		repo := r.open()
		if backend == "git-cli" {
			forceCLI(t, repo)
		}
		changes, err := repo.Changed([]string{"m"})
		ok(t, err)
		if len(changes) != 1 || changes[0].Path != "m/b.exs" {
			t.Fatalf("%s: Changed = %+v, want only m/b.exs (git diff: %q)", backend, changes, r.git("diff", "--name-only"))
		}
	}
}
