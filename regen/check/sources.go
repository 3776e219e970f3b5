package check

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/regen-tool/regen/migrator/fsatomic"
)

// The sources mix compiles, which codegen reads the resources from: each
// app's elixirc_paths (mix.exs), "lib" when it sets none. A fixed "lib"
// missed resources under src/, test/support (MIX_ENV=test) and an
// umbrella's apps/*/lib: the hook then skipped the codegen check for a
// resource change, and the record vouched for sources it never hashed.

// projectSources is what the check knows of the compiled sources.
type projectSources struct {
	// Paths are project-relative folders or files, sorted.
	Paths []string
	// Unknown names a mix.exs whose elixirc_paths regen cannot read (a
	// computed list, a wildcard): the record cannot vouch for its sources,
	// and the hook treats a staged .ex file anywhere as a possible resource.
	Unknown string
	// Outside says which mix.exs compiles a path outside the project
	// (`"../shared/lib"`, an absolute one): the record cannot hash it,
	// and no staged change regen sees tells whether it changed, so the
	// hook runs the codegen check for every commit.
	Outside string
}

// readProjectSources reads the elixirc_paths of the project's mix.exs, or
// of each app's for an umbrella root.
func readProjectSources(root string, umbrella bool) projectSources {
	var ps projectSources
	apps := []string{""}
	if umbrella {
		apps = nil
		found, _ := filepath.Glob(filepath.Join(fsatomic.QuoteGlob(root), "apps", "*", "mix.exs"))
		for _, m := range found {
			app, err := filepath.Rel(root, filepath.Dir(m))
			if err == nil {
				apps = append(apps, filepath.ToSlash(app))
			}
		}
	}
	seen := map[string]bool{}
	for _, app := range apps {
		mixFile := path.Join(app, "mix.exs")
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(mixFile)))
		if err != nil {
			continue // no mix.exs: nothing compiled there
		}
		paths, ok := elixircPaths(string(data))
		if !ok && ps.Unknown == "" {
			ps.Unknown = mixFile
		}
		for _, p := range paths {
			if !path.IsAbs(p) {
				p = path.Join(app, p) // an app's "../shared" may be another app's folder
			}
			if p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p) {
				if ps.Outside == "" {
					ps.Outside = mixFile + " compiles " + p
				}
				continue
			}
			if !seen[p] {
				seen[p] = true
				ps.Paths = append(ps.Paths, p)
			}
		}
	}
	sort.Strings(ps.Paths)
	return ps
}

// codegenGlobs are the default --codegen-paths: the .ex files under each
// source path ("**/*.ex" when the sources are unknown).
func (ps projectSources) codegenGlobs() []string {
	if ps.Unknown != "" {
		return []string{"**/*.ex"}
	}
	out := make([]string, 0, len(ps.Paths))
	for _, p := range ps.Paths {
		if strings.HasSuffix(p, ".ex") {
			out = append(out, p) // a single file
		} else {
			out = append(out, p+"/**/*.ex")
		}
	}
	return out
}

var stringRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`"([^"#\\]*)"`) })

// elixircPaths reads the literal paths of a mix.exs's elixirc_paths: the
// keyword's list (`elixirc_paths: ["lib", "src"]`) and the list of every
// clause of a function of that name (the usual
// `defp elixirc_paths(:test), do: ["lib", "test/support"]`), all
// environments together: hashing a folder one environment does not
// compile costs time, missing one costs a wrong answer. ok is false when
// elixirc_paths is mentioned but no list could be read from it (a computed
// value, a wildcard, which mix expands, or "."): the caller then cannot
// vouch for the sources. Paths are cleaned, and may lead out of the
// project ("../shared", "/abs"): the caller tells.
func elixircPaths(src string) (paths []string, ok bool) {
	src = stripComments(src)
	const name = "elixirc_paths"
	mentioned := false
	seen := map[string]bool{}
	unread := false
	for at := 0; ; {
		i := strings.Index(src[at:], name)
		if i < 0 {
			break
		}
		mentioned = true
		at += i + len(name)
		list, found := listAfter(src[at:])
		if !found {
			continue
		}
		ok = true
		for _, m := range stringRe().FindAllStringSubmatch(list, -1) {
			p := path.Clean(strings.TrimPrefix(m[1], "./"))
			if strings.ContainsAny(p, "*?{[") || p == "." {
				unread = true // mix expands a wildcard; "." is every file
				continue
			}
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	if !mentioned {
		return []string{"lib"}, true
	}
	sort.Strings(paths)
	return paths, ok && !unread
}

// listAfter reads the list literal that follows a mention of
// elixirc_paths: `: [...]` (the keyword) or `(ARGS), do: [...]` /
// `(ARGS) do [...] end` (a clause). A call (`elixirc_paths(Mix.env())`)
// or a computed value has none.
func listAfter(s string) (string, bool) {
	s = strings.TrimLeft(s, " \t")
	switch {
	case strings.HasPrefix(s, ":"):
		s = strings.TrimLeft(s[1:], " \t\n")
	case strings.HasPrefix(s, "("):
		depth := 0
		i := 0
		for ; i < len(s); i++ {
			if s[i] == '(' {
				depth++
			} else if s[i] == ')' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if i == len(s) {
			return "", false
		}
		s = strings.TrimLeft(s[i+1:], " \t")
		if strings.HasPrefix(s, "when ") { // a guard: up to its do
			j := strings.Index(s, "do")
			if j < 0 {
				return "", false
			}
			s = strings.TrimLeft(s[j:], " \t")
		}
		switch {
		case strings.HasPrefix(s, ","):
			s = strings.TrimLeft(s[1:], " \t\n")
			if !strings.HasPrefix(s, "do:") {
				return "", false
			}
			s = strings.TrimLeft(s[3:], " \t\n")
		case strings.HasPrefix(s, "do:"):
			s = strings.TrimLeft(s[3:], " \t\n")
		case strings.HasPrefix(s, "do") && len(s) > 2 && (s[2] == ' ' || s[2] == '\n' || s[2] == '\t'):
			s = strings.TrimLeft(s[2:], " \t\n")
		default:
			return "", false
		}
	default:
		return "", false
	}
	if !strings.HasPrefix(s, "[") {
		return "", false
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", false
	}
	return s[:end+1], true
}

// stripComments drops # comments outside strings, so a commented-out
// elixirc_paths neither adds paths nor hides the real one.
func stripComments(src string) string {
	var b strings.Builder
	b.Grow(len(src))
	inString := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inString && c == '\\' && i+1 < len(src):
			b.WriteByte(c)
			i++
			c = src[i]
		case c == '"':
			inString = !inString
		case c == '#' && !inString:
			for i < len(src) && src[i] != '\n' {
				i++
			}
			if i < len(src) {
				b.WriteByte('\n')
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
