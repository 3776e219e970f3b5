package main

// Config files the way Mix reads them: config/config.exs only, each
// `import_config "…"` read where it stands (relative to the importing
// file), with config_env()/Mix.env() as MIX_ENV ("dev" when unset),
// config_target() as MIX_TARGET ("host") and System.get_env/fetch_env!
// read from the environment. Only these expressions are evaluated; the
// statements themselves are matched by the regexes of project.go.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// configStmt is one top-level statement of a config file, continuation
// lines joined, expressions above replaced by their values.
type configStmt struct {
	text string
	dir  string // the file's folder, for __DIR__
}

var (
	reImportConfig = regexp.MustCompile(`^\s*import_config\s*\(?\s*"([^"]*)"\s*\)?\s*$`)
	// System.get_env("X") [|| "default"], System.get_env("X", "default"),
	// System.fetch_env!("X").
	reGetEnv = regexp.MustCompile(`System\.(get_env|fetch_env!)\(\s*"([^"]+)"\s*(?:,\s*"([^"]*)"\s*)?\)(?:\s*\|\|\s*"([^"]*)")?`)
	// The same inside a string: "#{System.get_env("X")}".
	reInterpEnv = regexp.MustCompile(`#\{\s*System\.(get_env|fetch_env!)\(\s*"([^"]+)"\s*(?:,\s*"([^"]*)"\s*)?\)\s*\}`)
)

func mixEnv(getenv func(string) string) string {
	if e := getenv("MIX_ENV"); e != "" {
		return e
	}
	return "dev"
}

func mixTarget(getenv func(string) string) string {
	if t := getenv("MIX_TARGET"); t != "" {
		return t
	}
	return "host"
}

// readConfig reads one config file and, depth first, the files it imports.
func readConfig(path, env string, getenv func(string) string, depth int) ([]configStmt, error) {
	if depth > 16 {
		return nil, fmt.Errorf("import_config nested too deeply at %s", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if depth == 0 && os.IsNotExist(err) {
			return nil, nil // a project without config
		}
		return nil, fmt.Errorf("could not read file %q: %v", path, err)
	}
	lines := strings.Split(string(data), "\n")
	var out []configStmt
	for i := 0; i < len(lines); i++ {
		line := stripComment(lines[i])
		if m := reImportConfig.FindStringSubmatch(line); m != nil {
			name, err := evalConfigExprs(`"`+m[1]+`"`, env, getenv)
			if err != nil {
				return nil, err
			}
			name = strings.Trim(name, `"`)
			if !filepath.IsAbs(name) {
				name = filepath.Join(filepath.Dir(path), name)
			}
			more, err := readConfig(name, env, getenv, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
			continue
		}
		if !strings.HasPrefix(strings.TrimSpace(line), "config ") {
			continue
		}
		// The statement goes on while lines end with a comma.
		text := line
		for strings.HasSuffix(strings.TrimSpace(text), ",") && i+1 < len(lines) {
			i++
			text += " " + strings.TrimSpace(stripComment(lines[i]))
		}
		text, err := evalConfigExprs(text, env, getenv)
		if err != nil {
			return nil, err
		}
		out = append(out, configStmt{text: text, dir: filepath.Dir(path)})
	}
	return out, nil
}

// evalConfigExprs replaces the environment expressions mixsim evaluates.
func evalConfigExprs(text, env string, getenv func(string) string) (string, error) {
	text = strings.NewReplacer("#{config_env()}", env, "#{Mix.env()}", env, "#{config_target()}", mixTarget(getenv)).Replace(text)
	var missing string
	lookup := func(fn, name, def string) (string, bool) {
		v, ok := os.LookupEnv(name)
		if getenv != nil {
			v = getenv(name)
			ok = v != ""
		}
		if !ok && def != "" {
			return def, true
		}
		if !ok && fn == "fetch_env!" {
			missing = name
		}
		return v, ok
	}
	text = reInterpEnv.ReplaceAllStringFunc(text, func(s string) string {
		m := reInterpEnv.FindStringSubmatch(s)
		v, _ := lookup(m[1], m[2], m[3])
		return v
	})
	text = reGetEnv.ReplaceAllStringFunc(text, func(s string) string {
		m := reGetEnv.FindStringSubmatch(s)
		def := m[3]
		if def == "" {
			def = m[4]
		}
		v, ok := lookup(m[1], m[2], def)
		if !ok {
			return "nil"
		}
		return `"` + v + `"`
	})
	if missing != "" {
		return "", fmt.Errorf("could not fetch environment variable %q because it is not set", missing)
	}
	return text, nil
}
