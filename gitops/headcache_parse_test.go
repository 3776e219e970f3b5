package gitops

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestUnquotePathIsStrconvUnquote: the shortcut for plain paths answers as
// strconv.Unquote does, for what writeHeadCache writes (%q of any path)
// and for damaged text (quotes, escapes, control bytes, cut short).
func TestUnquotePathIsStrconvUnquote(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 3))
	alphabet := []rune("abz09_/. -\"\\\t\né€\x00\x7f~")
	for range 5000 {
		n := rng.IntN(12)
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(rs)
		for _, q := range []string{strconv.Quote(s), `"` + s + `"`, s, `"` + s, s + `"`} {
			want, err := strconv.Unquote(q)
			got, ok := unquotePath([]byte(q))
			if ok != (err == nil) || (ok && got != want) {
				t.Fatalf("unquotePath(%q) = %q, %v; strconv.Unquote = %q, %v", q, got, ok, want, err)
			}
		}
	}
}

// TestParseHeadCacheLine reads what writeHeadCache writes and refuses a
// damaged line.
func TestParseHeadCacheLine(t *testing.T) {
	hash := "0123456789abcdef0123456789abcdef01234567"
	p, e, ok := parseHeadCacheLine([]byte(fmt.Sprintf("%o %s %q", 0o100755, hash, "priv/a b\"c.exs")))
	if !ok || p != "priv/a b\"c.exs" || uint32(e.mode) != 0o100755 || e.hash.String() != hash {
		t.Fatalf("parseHeadCacheLine = %q %v %s %v", p, e.mode, e.hash, ok)
	}
	for _, bad := range []string{
		"", "100644", "100644 " + hash, "100644 " + hash + " ", "100644 " + hash + ` ""`,
		"100648 " + hash + ` "p"`, "x " + hash + ` "p"`, " " + hash + ` "p"`,
		"100644 " + hash[:39] + `z "p"`, "100644 " + hash[:39] + ` "p"`, "100644 " + hash + ` p`,
		"777777777777 " + hash + ` "p"`, "100644 " + hash + `  "p"`,
	} {
		if _, _, ok := parseHeadCacheLine([]byte(bad)); ok {
			t.Errorf("parseHeadCacheLine(%q) accepted a damaged line", bad)
		}
	}
}
