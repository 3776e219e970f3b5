package check_test

import (
	"bytes"
	"testing"

	"github.com/regen-tool/regen/regen/check"
)

// TestCheckGitHubPrefix: annotations name repository paths when the
// project sits in a subfolder of the repository.
func TestCheckGitHubPrefix(t *testing.T) {
	rep := &check.Report{GitPrefix: "apps/blog", Findings: []check.Finding{
		{Rule: check.RuleUntracked, Severity: check.SeverityError, File: "priv/x.json", Line: 3, Message: "m", Fix: "f"},
		{Rule: check.RuleCodegenDrift, Severity: check.SeverityError, Message: "50% done\r\nnext", Fix: "f"},
	}}
	var buf bytes.Buffer
	if err := check.WriteGitHub(&buf, rep); err != nil {
		t.Fatal(err)
	}
	want := "::error file=apps/blog/priv/x.json,line=3,title=untracked::m — f\n" +
		"::error title=codegen-drift::50%25 done%0D%0Anext — f\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}
