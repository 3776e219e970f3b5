package fsatomic

import (
	"runtime"
	"strings"
)

// QuoteGlob makes s (a folder or name regen did not choose: the project's
// path, a configured folder) match only itself in a filepath.Glob
// pattern, as regexp.QuoteMeta does for a regexp: a project under
// "app [old]" or "a\b" otherwise finds nothing in its own folders.
func QuoteGlob(s string) string {
	if runtime.GOOS == "windows" {
		// No escape character there ('\' separates); a class quotes.
		return strings.NewReplacer("[", "[[]", "*", "[*]", "?", "[?]").Replace(s)
	}
	return strings.NewReplacer(`\`, `\\`, "[", `\[`, "*", `\*`, "?", `\?`).Replace(s)
}
