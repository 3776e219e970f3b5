// Package render turns the engine's results into text for people. Every
// listing goes through Summarize, so that none of them floods the terminal.
package render

import (
	"fmt"
	"strconv"
)

const (
	// Shown is how many items a long listing shows before its summary line.
	Shown = 20
	// screenful: a listing up to this long is shown whole (a summary line
	// in place of five items would save nothing).
	screenful = 25
)

// Summarize returns the lines to print for a listing: all of them when
// verbose or when they fit on a screen, else the first Shown and one line
// counting the rest.
func Summarize(items []string, verbose bool) []string {
	if verbose || len(items) <= screenful {
		return items
	}
	out := append([]string{}, items[:Shown]...)
	return append(out, fmt.Sprintf("… and %s more (use --verbose to list all)", Count(len(items)-Shown)))
}

// Count writes n with thousands separators: 9,980.
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
