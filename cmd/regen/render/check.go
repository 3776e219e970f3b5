package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/regen-tool/regen/regen/check"
)

// Check writes a check's findings for people: grouped by file, each with
// its fix. (The machine formats are regen/check's.)
func Check(w io.Writer, rep *check.Report) error {
	var b strings.Builder
	files := 0
	for i, f := range rep.Findings {
		if i == 0 || f.File != rep.Findings[i-1].File {
			if i > 0 {
				b.WriteByte('\n')
			}
			files++
			name := f.File
			if name == "" {
				name = "(project)"
			}
			b.WriteString(name + "\n")
		}
		loc := ""
		if f.Line > 0 {
			loc = fmt.Sprintf("line %d: ", f.Line)
		}
		fmt.Fprintf(&b, "  %s%s [%s] %s\n", loc, f.Severity, f.Rule, indentRest(f.Message, "    "))
		fmt.Fprintf(&b, "    fix: %s\n", indentRest(f.Fix, "    "))
	}
	switch n := len(rep.Findings); n {
	case 0:
		b.WriteString("regen check: no findings.\n")
	default:
		fmt.Fprintf(&b, "\nregen check: %d finding%s in %d place%s.\n", n, pluralSuffix(n), files, pluralSuffix(files))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// pluralSuffix is "s" unless n is 1.
func pluralSuffix(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// indentRest indents the lines after the first of a multi-line text.
func indentRest(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
