package regen

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
)

// Output formats of `regen check`.
const (
	FormatText   = "text"
	FormatJSON   = "json"
	FormatGitHub = "github"
)

// WriteCheckReport writes the findings in one of the formats.
func WriteCheckReport(w io.Writer, format string, rep *CheckReport) error {
	switch format {
	case FormatText, "":
		return writeCheckText(w, rep)
	case FormatJSON:
		return writeCheckJSON(w, rep)
	case FormatGitHub:
		return writeCheckGitHub(w, rep)
	}
	return &InputError{What: fmt.Sprintf("--format %q: want text, json or github.", format), Next: ""}
}

// writeCheckText groups the findings by file, each with its fix.
func writeCheckText(w io.Writer, rep *CheckReport) error {
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
		fmt.Fprintf(&b, "  %s%s [%s] %s\n", loc, f.Severity, f.Rule, checkIndentRest(f.Message, "    "))
		fmt.Fprintf(&b, "    fix: %s\n", checkIndentRest(f.Fix, "    "))
	}
	switch n := len(rep.Findings); n {
	case 0:
		b.WriteString("regen check: no findings.\n")
	default:
		fmt.Fprintf(&b, "\nregen check: %d finding%s in %d place%s.\n", n, checkPlural(n), files, checkPlural(files))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func checkPlural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func checkIndentRest(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// checkJSON is the stable JSON document: sorted findings and their count.
type checkJSON struct {
	Findings []Finding `json:"findings"`
	Count    int       `json:"count"`
}

func writeCheckJSON(w io.Writer, rep *CheckReport) error {
	doc := checkJSON{Findings: rep.Findings, Count: len(rep.Findings)}
	if doc.Findings == nil {
		doc.Findings = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "<14-digit …>" in fixes stays readable
	return enc.Encode(doc)
}

// writeCheckGitHub writes workflow commands that annotate the files in a
// pull request. Paths are repository-relative, as GitHub wants them.
func writeCheckGitHub(w io.Writer, rep *CheckReport) error {
	var b strings.Builder
	for _, f := range rep.Findings {
		var props []string
		if f.File != "" {
			file := f.File
			if rep.GitPrefix != "" {
				file = path.Join(rep.GitPrefix, file)
			}
			props = append(props, "file="+escapeGitHubProperty(file))
			if f.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Line))
			}
		}
		props = append(props, "title="+escapeGitHubProperty(f.Rule))
		level := "error"
		if f.Severity != SeverityError {
			level = "warning"
		}
		fmt.Fprintf(&b, "::%s %s::%s\n", level, strings.Join(props, ","), escapeGitHubData(f.Message+" — "+f.Fix))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeGitHubData escapes a workflow command's message (GitHub's
// escapeData: %, CR, LF).
func escapeGitHubData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeGitHubProperty escapes a property value (escapeProperty: also : and ,).
func escapeGitHubProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
