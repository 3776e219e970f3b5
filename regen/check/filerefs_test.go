package check

import (
	"reflect"
	"strings"
	"testing"
)

// What mix.exs, config and sources read, as the record hashes it: literal
// reads are files to hash; a computed, wildcard or outside read, or an
// input moved from its usual place, cannot be vouched for; a source's
// runtime reads and an umbrella app's standard paths are nothing new.
func TestFileRefs(t *testing.T) {
	cases := []struct {
		name, rel, app, src string
		files               []string
		unknown             string // a part of the reason; "" when it can vouch
	}{
		{"a version file", "mix.exs", "", `def project, do: [version: File.read!("VERSION") |> String.trim()]`, []string{"VERSION"}, ""},
		{"existence and a required file", "config/config.exs", "", "import Config\nif File.exists?(\"config/local.exs\"), do: Code.require_file(\"support/x.exs\")\n", []string{"config/local.exs", "support/x.exs"}, ""},
		{"phoenix's import", "config/config.exs", "", "import Config\nimport_config \"#{config_env()}.exs\"\n", nil, ""},
		{"an import inside config/", "config/config.exs", "", `import_config "dev/extra.exs"`, nil, ""},
		{"an import leaving config/", "config/config.exs", "", `import_config "../shared/base.exs"`, []string{"shared/base.exs"}, ""},
		{"an import leaving the project", "config/config.exs", "", `import_config "../../base.exs"`, nil, "outside what the record can hash"},
		{"an import by another interpolation", "config/config.exs", "", `import_config "#{dir}/x.exs"`, nil, "imports a config"},
		{"an import by Mix.env", "config/config.exs", "", `import_config "#{Mix.env()}/x.exs"`, nil, ""},
		{"a computed import", "config/config.exs", "", `import_config Path.join(dir, "x.exs")`, nil, "imports a config"},
		{"a secret file per environment in config/", "config/config.exs", "", `if File.exists?("config/#{config_env()}.secret.exs"), do: import_config("#{config_env()}.secret.exs")`, nil, ""},
		{"a file per environment elsewhere", "mix.exs", "", `x = File.read!("keys/#{Mix.env()}.key")`, nil, "per environment outside config/"},
		{"a computed read", "mix.exs", "", `def project, do: [version: File.read!(version_file())]`, nil, "cannot resolve (File.read!)"},
		{"a wildcard", "mix.exs", "", `def project, do: [docs: [extras: Path.wildcard("guides/*.md")]]`, nil, "Path.wildcard"},
		{"an absolute read", "config/config.exs", "", `config :blog, key: File.read!("/etc/blog.key")`, nil, "outside what the record can hash"},
		{"a read in a comment", "mix.exs", "", "# File.read!(x)\ndef project, do: []\n", nil, ""},
		{"File.read_link is not a read", "mix.exs", "", `x = File.read_link("a")`, nil, ""},
		{"config moved", "mix.exs", "", `def project, do: [config_path: "conf/config.exs"]`, nil, "sets config_path"},
		{"deps moved", "mix.exs", "", `def project, do: [deps_path: "vendor"]`, nil, "sets deps_path"},
		{"a config file in config/", "mix.exs", "", `def project, do: [config_path: "config/app.exs"]`, nil, ""},
		{"an umbrella app's standard paths", "apps/blog/mix.exs", "apps/blog", `def project, do: [build_path: "../../_build", config_path: "../../config/config.exs", deps_path: "../../deps", lockfile: "../../mix.lock"]`, nil, ""},
		{"an umbrella app's own config", "apps/blog/mix.exs", "apps/blog", `def project, do: [config_path: "config/config.exs"]`, nil, ""},
		{"an umbrella app's read", "apps/blog/config/config.exs", "apps/blog", `config :blog, v: File.read!("VERSION")`, []string{"apps/blog/VERSION"}, ""},
		{"a source's external resource", "lib/blog/doc.ex", "", "defmodule Blog.Doc do\n  @external_resource \"README.md\"\n  @moduledoc File.read!(\"README.md\")\nend\n", []string{"README.md"}, ""},
		{"a source's computed external resource", "lib/blog/doc.ex", "", "@external_resource path", nil, "@external_resource"},
		{"a source's runtime read is not an input", "lib/blog/io.ex", "", "def load(p), do: File.read!(p)", nil, ""},
		{"an .exs outside config is not run at start", "priv/repo/seeds.exs", "", `File.read!(x)`, nil, ""},
	}
	for _, c := range cases {
		var r fileRefs
		r.scan(c.rel, c.app, []byte(c.src))
		if got := r.sorted(); !reflect.DeepEqual(got, append([]string{}, c.files...)) && !(len(got) == 0 && len(c.files) == 0) {
			t.Errorf("%s: files %q, want %q", c.name, got, c.files)
		}
		if c.unknown == "" && r.unknown != "" || c.unknown != "" && !strings.Contains(r.unknown, c.unknown) {
			t.Errorf("%s: unknown %q, want %q", c.name, r.unknown, c.unknown)
		}
	}
}
