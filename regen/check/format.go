package check

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
)

// Output formats of `regen check`. The text for people is written in cmd
// (cmd/regen/render.Check); the machine formats are here, part of the
// output contract.
const (
	FormatText   = "text"
	FormatJSON   = "json"
	FormatGitHub = "github"
)

// checkJSON is the stable JSON document: sorted findings and their count.
type checkJSON struct {
	Findings []Finding `json:"findings"`
	Count    int       `json:"count"`
}

// WriteJSON writes the stable JSON document.
func WriteJSON(w io.Writer, rep *Report) error {
	doc := checkJSON{Findings: rep.Findings, Count: len(rep.Findings)}
	if doc.Findings == nil {
		doc.Findings = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "<14-digit …>" in fixes stays readable
	return enc.Encode(doc)
}

// WriteGitHub writes workflow commands that annotate the files in a pull
// request. Paths are repository-relative, as GitHub wants them.
func WriteGitHub(w io.Writer, rep *Report) error {
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
