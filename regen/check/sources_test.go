package check

import (
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The forms of elixirc_paths a mix.exs takes: a literal list, Phoenix's
// function of the environment (every clause counts), a guard, a do-block,
// comments; a computed value cannot be read and says so.
func TestElixircPathsForms(t *testing.T) {
	cases := []struct {
		name, mixExs string
		want         []string
		ok           bool
	}{
		{"none set: lib", `def project, do: [app: :blog, deps: deps()]`, []string{"lib"}, true},
		{"a literal list", `def project, do: [app: :blog, elixirc_paths: ["lib", "src"], deps: []]`, []string{"lib", "src"}, true},
		{"phoenix's clauses", `
  def project do
    [app: :blog, elixirc_paths: elixirc_paths(Mix.env()), aliases: [setup: ["deps.get", "ecto.setup"]]]
  end

  defp elixirc_paths(:test), do: ["lib", "test/support"]
  defp elixirc_paths(_), do: ["lib"]
`, []string{"lib", "test/support"}, true},
		{"a guard and a do-block", `
  elixirc_paths: elixirc_paths(Mix.env()),
  defp elixirc_paths(env) when env in [:dev, :test], do: ["lib", "dev/support"]
  defp elixirc_paths(_) do
    ["lib", "./extra/"]
  end
`, []string{"dev/support", "extra", "lib"}, true},
		{"a commented-out list does not count", `
  # elixirc_paths: ["old"],
  elixirc_paths: ["lib", "src"], # was ["lib"]
`, []string{"lib", "src"}, true},
		{"paths outside the project are read (the caller tells)", `elixirc_paths: ["lib", "../shared", "/abs"]`, []string{"../shared", "/abs", "lib"}, true},
		{"a wildcard cannot be read", `elixirc_paths: ["lib", "lib/*"]`, []string{"lib"}, false},
		{"the whole project cannot be read", `elixirc_paths: ["."]`, nil, false},
		{"a computed value", `elixirc_paths: paths(), defp paths, do: Path.wildcard("apps/*/lib")`, nil, false},
		{"a variable", "  paths = [\"lib\"]\n  [elixirc_paths: paths]\n", nil, false},
	}
	for _, c := range cases {
		got, ok := elixircPaths(c.mixExs)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %q ok=%v, want %q ok=%v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// An umbrella's sources are each app's, under the app; a project whose
// elixirc_paths cannot be read is named, and its hook globs are every .ex.
func TestProjectSourcesUmbrellaAndUnknown(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) { writeProjectFile(t, root, rel, content) }
	write("mix.exs", `def project, do: [apps_path: "apps"]`)
	write("apps/blog/mix.exs", `def project, do: [app: :blog]`)
	write("apps/shop/mix.exs", `def project, do: [app: :shop, elixirc_paths: ["lib", "src"]]`)
	ps := readProjectSources(root, true)
	if want := []string{"apps/blog/lib", "apps/shop/lib", "apps/shop/src"}; ps.Unknown != "" || !reflect.DeepEqual(ps.Paths, want) {
		t.Fatalf("umbrella: %+v, want %q", ps, want)
	}
	if got, want := ps.codegenGlobs(), []string{"apps/blog/lib/**/*.ex", "apps/shop/lib/**/*.ex", "apps/shop/src/**/*.ex"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("umbrella globs %q, want %q", got, want)
	}
	write("apps/shop/mix.exs", `def project, do: [app: :shop, elixirc_paths: paths()]`)
	ps = readProjectSources(root, true)
	if ps.Unknown != "apps/shop/mix.exs" || !reflect.DeepEqual(ps.codegenGlobs(), []string{"**/*.ex"}) {
		t.Fatalf("unknown: %+v globs %q", ps, ps.codegenGlobs())
	}
	write("mix.exs", `def project, do: [app: :one, elixirc_paths: ["lib", "lib/one/repo.ex"]]`)
	if got := readProjectSources(root, false).codegenGlobs(); !reflect.DeepEqual(got, []string{"lib/**/*.ex", "lib/one/repo.ex"}) {
		t.Fatalf("a file among the paths: %q", got)
	}
}

// A source path leaves the project only when it does from the project's
// root: an umbrella app's "../shared" is the umbrella's apps/shared.
func TestProjectSourcesOutside(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) { writeProjectFile(t, root, rel, content) }
	write("mix.exs", `def project, do: [apps_path: "apps"]`)
	write("apps/blog/mix.exs", `def project, do: [app: :blog, elixirc_paths: ["lib", "../shared"]]`)
	ps := readProjectSources(root, true)
	if want := []string{"apps/blog/lib", "apps/shared"}; ps.Outside != "" || ps.Unknown != "" || !reflect.DeepEqual(ps.Paths, want) {
		t.Fatalf("an app's ../shared: %+v, want %q", ps, want)
	}
	write("apps/blog/mix.exs", `def project, do: [app: :blog, elixirc_paths: ["lib", "../../../vendor/x"]]`)
	if ps := readProjectSources(root, true); ps.Outside != "apps/blog/mix.exs compiles ../vendor/x" || !reflect.DeepEqual(ps.Paths, []string{"apps/blog/lib"}) {
		t.Fatalf("out of the umbrella: %+v", ps)
	}
	write("mix.exs", `def project, do: [app: :one, elixirc_paths: ["lib", "/opt/src"]]`)
	if ps := readProjectSources(root, false); ps.Outside != "mix.exs compiles /opt/src" {
		t.Fatalf("an absolute path: %+v", ps)
	}
}

// mix.exs, config and sources are the user's text: reading them never
// panics, and every path read is a clean one inside the project.
func FuzzElixircPaths(f *testing.F) {
	f.Add(`def project, do: [app: :blog, elixirc_paths: elixirc_paths(Mix.env())]
  defp elixirc_paths(:test), do: ["lib", "test/support"] # comment
  defp elixirc_paths(env) when env in [:dev], do: ["./dev/"]
  defp elixirc_paths(_) do
    ["lib", "../shared", "/abs", "lib/*"]
  end
config :blog, x: System.get_env("A"), y: System.fetch_env!("B#"), z: :os.getenv('C')
import_config "#{config_env()}.exs"
[version: File.read!("VERSION"), config_path: "../../config/config.exs"] @external_resource "README.md"`)
	f.Add(`elixirc_paths: "#{x}" elixirc_paths(( elixirc_paths when do`)
	f.Add("elixirc_paths: [\"\\\"\", \"a\\\\b\"] \"unterminated")
	f.Fuzz(func(t *testing.T, src string) {
		paths, ok := elixircPaths(src)
		if !ok && len(paths) > 0 && !strings.Contains(src, "elixirc_paths") {
			t.Fatalf("not mentioned, yet unreadable: %q", paths)
		}
		for _, p := range paths {
			if p == "" || p == "." || path.Clean(p) != p || strings.ContainsAny(p, "*?{[") {
				t.Fatalf("path %q read from %q", p, src)
			}
		}
		for _, rel := range []string{"mix.exs", "config/config.exs", "apps/a/config/dev.exs", "lib/a.ex"} {
			var fr fileRefs
			fr.scan(rel, mixProjectOf(rel, true), []byte(src))
			for _, f := range fr.sorted() {
				if f == "" || f == "." || path.Clean(f) != f || path.IsAbs(f) || f == ".." || strings.HasPrefix(f, "../") {
					t.Fatalf("%s: file %q read from %q", rel, f, src)
				}
			}
		}
		var r envRefs
		r.scan("mix.exs", []byte(src))
		for _, n := range r.sorted() {
			if n == "" {
				t.Fatalf("an empty variable name from %q", src)
			}
		}
	})
}

func writeProjectFile(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
