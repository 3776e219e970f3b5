package phantom

import (
	"strconv"
	"strings"
)

// eachRecord reads one of the store's text indexes (history, applied):
// a header line "<magic>\t<version>", then one "<kind>\t<value>" record per
// line, each handed to fn. false: a torn file (no final newline), no or
// another header, or a record fn refused; the caller rebuilds the index.
func eachRecord(data []byte, magic string, version int, fn func(kind, val string) bool) bool {
	text := string(data)
	header := false
	for len(text) > 0 {
		line, rest, ok := strings.Cut(text, "\n")
		if !ok {
			return false
		}
		text = rest
		kind, val, _ := strings.Cut(line, "\t")
		if !header {
			if kind != magic || val != strconv.Itoa(version) {
				return false
			}
			header = true
			continue
		}
		if !fn(kind, val) {
			return false
		}
	}
	return header
}
