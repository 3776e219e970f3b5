package project

import (
	"net/url"
	"strings"
	"testing"
)

// The repo-config cache never holds a password, in whatever form the
// project's answer carries it: a password= field, a URL's userinfo, and
// (new) a URL's ?password= query, which the old url.Parse check missed.
func TestStripPasswordEveryForm(t *testing.T) {
	for _, line := range []string{
		"regen-repo repo=R password=s3cret",
		"regen-repo repo=R url=" + url.QueryEscape("postgres://u:s3cret@h/db"),
		"regen-repo repo=R url=" + url.QueryEscape("postgres://u@h/db?password=s3cret"),
	} {
		got := stripPassword(line)
		if strings.Contains(got, "s3cret") || !strings.Contains(got, passwordMarker) {
			t.Errorf("stripPassword(%q) = %q", line, got)
		}
	}
	keep := "regen-repo repo=R url=" + url.QueryEscape("postgres://u@h/db")
	if got := stripPassword(keep); got != keep {
		t.Errorf("a URL without a password changed: %q", got)
	}
}
