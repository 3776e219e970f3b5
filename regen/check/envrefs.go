package check

import (
	"regexp"
	"sort"
	"sync"
)

// envRefs collects the environment variables the project's Elixir reads
// by name (System.get_env("X"), System.fetch_env!("X"), :os.getenv('X')):
// config/*.exs is evaluated at every mix start and a source may read one
// at compile time, so their values are inputs of the codegen check.
type envRefs struct {
	names map[string]bool
	// dynamic is the first file that reads a variable by a computed name
	// (or the whole environment): no record can vouch for it.
	dynamic string
}

var (
	envByNameRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`System\.(?:get_env|fetch_env!?)\(\s*"([^"#\\]+)"|:os\.getenv\(\s*'([^'\\]+)'`)
	})
	envAnyRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`System\.(?:get_env|fetch_env!?)\b|:os\.getenv\b`)
	})
)

func (r *envRefs) scan(file string, data []byte) {
	src := string(data)
	if !envAnyRe().MatchString(src) {
		return
	}
	src = stripComments(src)
	named := envByNameRe().FindAllStringSubmatchIndex(src, -1)
	all := envAnyRe().FindAllStringIndex(src, -1)
	if len(all) > len(named) && r.dynamic == "" {
		r.dynamic = file // a call without a literal name
	}
	for _, m := range named {
		name := ""
		if m[2] >= 0 {
			name = src[m[2]:m[3]]
		} else {
			name = src[m[4]:m[5]]
		}
		if r.names == nil {
			r.names = map[string]bool{}
		}
		r.names[name] = true
	}
}

func (r *envRefs) sorted() []string { return sortedKeys(r.names) }

// sortedKeys lists a set's members in order.
func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
