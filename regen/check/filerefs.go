package check

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"
)

// fileRefs collects the files the project's Elixir reads besides those the
// record hashes by place: `File.read!("VERSION")` in mix.exs, a
// `Code.require_file` or `Config.Reader.read!` in config, an
// `import_config` that leaves config/ (mix.exs and config run at every mix
// start), a source's `@external_resource` (what Elixir itself recompiles
// for). Their content decides what mix compiles, so they are inputs; a
// read regen cannot resolve to a file in the project (a computed name, a
// wildcard, a place outside) is never vouched for. The same goes for
// mix.exs options that move an input the record hashes at its usual place
// (config_path, deps_path, build_path, lockfile). A source's other file
// reads run when its code runs, not when it compiles: not inputs.
type fileRefs struct {
	files map[string]bool // project-relative
	// unknown says why a read cannot be vouched for (the first found).
	unknown string
}

var (
	// A call that reads a file, with its first argument when that is a
	// string on the same line ("" otherwise: literalArg then refuses it).
	fileReadRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b(File\.(?:read|stream|ls|open|cp)!?|File\.(?:exists|regular|dir)\?|Code\.(?:require_file|eval_file|compile_file|load_file)|Config\.Reader\.(?:read|read_imports|eval)!|Path\.wildcard|import_config)(?:[ \t]*\(|[ \t]+)[ \t]*("[^"\n]*"|)`)
	})
	// mix.exs options that move what the record hashes at a fixed place.
	movedInputRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b(config_path|deps_path|build_path|lockfile)\s*:\s*("[^"\n]*"|)`)
	})
	literalArgRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^"([^"#\\]*)"`) })
	externalResRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`@external_resource\b[ \t]*\(?[ \t]*("[^"\n]*"|)`) })
)

// evaluatedAtStart: mix.exs and config files, which every mix start runs.
func evaluatedAtStart(rel string) bool {
	if path.Base(rel) == "mix.exs" {
		return true
	}
	parts := strings.Split(rel, "/")
	return strings.HasSuffix(rel, ".exs") && (parts[0] == "config" || len(parts) > 3 && parts[0] == "apps" && parts[2] == "config")
}

// usualPlace is where the record hashes what each moving option names,
// relative to the project.
var usualPlace = map[string]string{"config_path": "config", "deps_path": "deps", "build_path": "_build", "lockfile": "mix.lock"}

// scan reads the references of one hashed file (rel, project-relative);
// app is the folder of the mix project it belongs to ("" at the root, an
// umbrella's apps/NAME), where mix runs its code.
func (r *fileRefs) scan(rel, app string, data []byte) {
	src := string(data)
	if strings.HasSuffix(rel, ".ex") {
		if !strings.Contains(src, "@external_resource") {
			return
		}
		for _, m := range externalResRe().FindAllStringSubmatch(stripComments(src), -1) {
			lit, ok := literalArg(m[1])
			if !ok {
				r.cannot(fmt.Sprintf("%s declares an @external_resource by a name regen cannot resolve", rel))
				continue
			}
			r.add(rel, "@external_resource", app, lit)
		}
		return
	}
	if !evaluatedAtStart(rel) {
		return
	}
	if !strings.Contains(src, "File.") && !strings.Contains(src, "Code.") && !strings.Contains(src, "Config.Reader") &&
		!strings.Contains(src, "Path.wildcard") && !strings.Contains(src, "import_config") && !strings.Contains(src, "_path") && !strings.Contains(src, "lockfile") {
		return
	}
	src = stripComments(src)
	for _, m := range fileReadRe().FindAllStringSubmatch(src, -1) {
		call, arg := m[1], m[2]
		if call == "import_config" {
			// Relative to the importing file: within config/ (hashed whole)
			// it is nothing new, even with an interpolated name
			// ("#{config_env()}.exs").
			r.importConfig(rel, arg)
			continue
		}
		named := envNameRe().ReplaceAllString(arg, "env")
		lit, ok := literalArg(named)
		if ok && named != arg {
			// A file per environment (`"config/#{config_env()}.secret.exs"`):
			// vouched for only where every such file is hashed anyway.
			if !inConfig(path.Join(app, lit)) {
				r.cannot(fmt.Sprintf("%s reads a file per environment outside config/ (%s)", rel, call))
			}
			continue
		}
		if !ok || call == "Path.wildcard" || strings.HasPrefix(call, "File.ls") {
			r.cannot(fmt.Sprintf("%s reads files by a name regen cannot resolve (%s)", rel, call))
			continue
		}
		r.add(rel, call, app, lit)
	}
	if path.Base(rel) != "mix.exs" {
		return
	}
	for _, m := range movedInputRe().FindAllStringSubmatch(src, -1) {
		opt, arg := m[1], m[2]
		lit, ok := literalArg(arg)
		got := path.Join(app, lit) // an umbrella app's "../../deps" is the root's
		if opt == "config_path" {
			got = path.Dir(got)
		}
		usual := got == usualPlace[opt] || app != "" && opt == "config_path" && got == path.Join(app, "config")
		if !ok || path.IsAbs(lit) || !usual {
			r.cannot(fmt.Sprintf("%s sets %s, which moves an input the record hashes at its usual place", rel, opt))
		}
	}
}

func (r *fileRefs) importConfig(rel, arg string) {
	// The environment's name (`"#{config_env()}.exs"`, Phoenix's) is a
	// word, never a folder: what the name can be is the literal around it.
	arg = envNameRe().ReplaceAllString(arg, "env")
	lit, ok := literalArg(arg)
	if !ok {
		r.cannot(fmt.Sprintf("%s imports a config by a name regen cannot resolve", rel))
		return
	}
	if p := path.Join(path.Dir(rel), lit); !inConfig(p) {
		r.add(rel, "import_config", "", p)
	}
}

// inConfig: p is under a config folder the record hashes whole (the
// root's, an umbrella app's).
func inConfig(p string) bool {
	parts := strings.Split(p, "/")
	return len(parts) > 1 && parts[0] == "config" || len(parts) > 3 && parts[0] == "apps" && parts[2] == "config"
}

var envNameRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`#\{\s*(?:config_env|config_target|Mix\.env|Mix\.target)(?:\(\))?\s*\}`)
})

// add records a literal read of lit, relative to the folder dir; one
// outside the project is never vouched for.
func (r *fileRefs) add(rel, call, dir, lit string) {
	p := path.Join(dir, lit)
	if path.IsAbs(lit) || p == ".." || strings.HasPrefix(p, "../") || p == "." {
		r.cannot(fmt.Sprintf("%s reads %s (%s), outside what the record can hash", rel, p, call))
		return
	}
	if r.files == nil {
		r.files = map[string]bool{}
	}
	r.files[p] = true
}

func (r *fileRefs) cannot(why string) {
	if r.unknown == "" {
		r.unknown = why
	}
}

func (r *fileRefs) sorted() []string { return sortedKeys(r.files) }

// literalArg is a call's first argument when it is a plain string literal.
func literalArg(arg string) (string, bool) {
	m := literalArgRe().FindStringSubmatch(strings.TrimSpace(arg))
	if m == nil {
		return "", false
	}
	return path.Clean(m[1]), true
}
