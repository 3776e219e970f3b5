package migrator

import (
	"errors"
	"fmt"
	"strings"
)

// SplitCommandLine splits a configured command line such as
// `docker compose exec app mix` into argv the way a POSIX shell would split
// words, without running a shell: no expansion, no globbing, no variables,
// so a configured value can never execute more than the one command.
//
//   - whitespace separates words; 'single quotes' keep everything literally;
//   - "double quotes" keep everything but let a backslash escape \ " $ ` and
//     newline;
//   - outside quotes a backslash escapes the next character (and
//     backslash-newline is a line continuation);
//   - "" and ” produce an empty argument.
//
// Unbalanced quotes, a trailing backslash and an empty line are errors.
func SplitCommandLine(s string) ([]string, error) {
	var (
		args    []string
		cur     strings.Builder
		inWord  bool // cur holds a word, possibly empty ("")
		quote   byte // 0, '\'' or '"'
		quoteAt int
	)
	// Bytes, not runes: every special character is ASCII, and a byte scan
	// passes any other bytes (UTF-8 or not) through untouched.
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch quote {
		case '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
			continue
		case '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`\n", s[i+1]) >= 0:
				i++
				if s[i] != '\n' {
					cur.WriteByte(s[i])
				}
			default:
				cur.WriteByte(c)
			}
			continue
		}
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("command line %q ends with a lone backslash", s)
			}
			i++
			if s[i] == '\n' {
				continue // line continuation
			}
			cur.WriteByte(s[i])
			inWord = true
		case c == '\'' || c == '"':
			quote, quoteAt, inWord = c, i, true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("command line %q: unbalanced %c quote opened at byte %d", s, quote, quoteAt+1)
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("command line is empty")
	}
	return args, nil
}
