package project

import (
	"fmt"
	"strconv"
	"strings"
)

// A small reader for the subset of TOML that .regen.toml uses: comments,
// `key = value` with strings (basic and literal), integers, booleans and
// arrays of those, `[table]` and `[[array-of-tables]]`. It exists so that
// the config needs no dependency beyond the four chosen ones; anything
// outside the subset is an error naming the line, never a silent guess.

type tomlDoc struct {
	root   map[string]any
	tables map[string]map[string]any
	arrays map[string][]map[string]any
	lines  map[string]int // "table.key" -> line, for error messages
}

func parseTOML(src string) (*tomlDoc, error) {
	doc := &tomlDoc{root: map[string]any{}, tables: map[string]map[string]any{}, arrays: map[string][]map[string]any{}, lines: map[string]int{}}
	cur, curName := doc.root, ""
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		n := i + 1
		line := strings.TrimSpace(stripComment(lines[i]))
		if line == "" {
			continue
		}
		switch {
		case strings.HasPrefix(line, "[["):
			if !strings.HasSuffix(line, "]]") {
				return nil, fmt.Errorf("line %d: %q is not a valid [[table]] header", n, line)
			}
			name := strings.TrimSpace(line[2 : len(line)-2])
			if !isBareKey(name) {
				return nil, fmt.Errorf("line %d: table name %q is not supported (use letters, digits, _ and -)", n, name)
			}
			if _, dup := doc.tables[name]; dup {
				return nil, fmt.Errorf("line %d: %q is already a [table], not an array of tables", n, name)
			}
			cur = map[string]any{}
			doc.arrays[name] = append(doc.arrays[name], cur)
			curName = fmt.Sprintf("%s[%d]", name, len(doc.arrays[name])-1)
		case strings.HasPrefix(line, "["):
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: %q is not a valid [table] header", n, line)
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if !isBareKey(name) {
				return nil, fmt.Errorf("line %d: table name %q is not supported (use letters, digits, _ and -)", n, name)
			}
			if _, dup := doc.tables[name]; dup {
				return nil, fmt.Errorf("line %d: table [%s] is defined twice", n, name)
			}
			if _, dup := doc.arrays[name]; dup {
				return nil, fmt.Errorf("line %d: %q is already an array of tables", n, name)
			}
			cur = map[string]any{}
			doc.tables[name] = cur
			curName = name
		default:
			eq := strings.IndexByte(line, '=')
			if eq < 0 {
				return nil, fmt.Errorf("line %d: expected `key = value`, got %q", n, line)
			}
			key := strings.TrimSpace(line[:eq])
			if !isBareKey(key) {
				return nil, fmt.Errorf("line %d: key %q is not supported (use letters, digits, _ and -)", n, key)
			}
			raw := strings.TrimSpace(line[eq+1:])
			// Arrays may continue over several lines: gather lines until the
			// brackets balance, counting as we go (re-parsing the growing
			// value at every line was quadratic; the fuzzer found it).
			if strings.HasPrefix(raw, "[") {
				depth := bracketBalance(raw)
				var b strings.Builder
				b.WriteString(raw)
				for depth > 0 && i+1 < len(lines) {
					i++
					next := strings.TrimSpace(stripComment(lines[i]))
					b.WriteString(" ")
					b.WriteString(next)
					depth += bracketBalance(next)
				}
				raw = b.String()
			}
			v, rest, err := parseTOMLValue(raw)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %v", n, key, err)
			}
			if strings.TrimSpace(rest) != "" {
				return nil, fmt.Errorf("line %d: unexpected %q after the value of %s", n, strings.TrimSpace(rest), key)
			}
			if _, dup := cur[key]; dup {
				return nil, fmt.Errorf("line %d: %s is set twice", n, key)
			}
			cur[key] = v
			doc.lines[curName+"."+key] = n
		}
	}
	return doc, nil
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// outsideStrings calls visit with each byte that is not inside a TOML
// string (basic "…" with escapes, or literal '…'), until visit says stop.
func outsideStrings(s string, visit func(i int, c byte) (stop bool)) {
	inBasic, inLiteral := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inBasic:
			if c == '\\' {
				i++
			} else if c == '"' {
				inBasic = false
			}
		case inLiteral:
			if c == '\'' {
				inLiteral = false
			}
		case c == '"':
			inBasic = true
		case c == '\'':
			inLiteral = true
		default:
			if visit(i, c) {
				return
			}
		}
	}
}

// stripComment removes a trailing # comment that is not inside a string.
func stripComment(s string) string {
	cut := len(s)
	outsideStrings(s, func(i int, c byte) bool {
		if c == '#' {
			cut = i
			return true
		}
		return false
	})
	return s[:cut]
}

// bracketBalance counts [ minus ] outside strings.
func bracketBalance(s string) int {
	depth := 0
	outsideStrings(s, func(_ int, c byte) bool {
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		}
		return false
	})
	return depth
}

func parseTOMLValue(s string) (any, string, error) {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return nil, "", fmt.Errorf("missing value")
	}
	switch s[0] {
	case '"':
		return parseBasicString(s)
	case '\'':
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return nil, "", fmt.Errorf("unterminated string")
		}
		return s[1 : 1+end], s[2+end:], nil
	case '[':
		var out []any
		rest := strings.TrimLeft(s[1:], " \t")
		for {
			if rest == "" {
				return nil, "", fmt.Errorf("unterminated array")
			}
			if rest[0] == ']' {
				return out, rest[1:], nil
			}
			v, r, err := parseTOMLValue(rest)
			if err != nil {
				return nil, "", err
			}
			out = append(out, v)
			rest = strings.TrimLeft(r, " \t")
			if rest != "" && rest[0] == ',' {
				rest = strings.TrimLeft(rest[1:], " \t")
			} else if rest == "" || rest[0] != ']' {
				return nil, "", fmt.Errorf("expected , or ] in array")
			}
		}
	}
	end := strings.IndexAny(s, " \t,]")
	if end < 0 {
		end = len(s)
	}
	word, rest := s[:end], s[end:]
	switch word {
	case "true":
		return true, rest, nil
	case "false":
		return false, rest, nil
	}
	if n, err := strconv.ParseInt(strings.ReplaceAll(word, "_", ""), 10, 64); err == nil {
		return n, rest, nil
	}
	return nil, "", fmt.Errorf("unsupported value %q (strings need quotes)", word)
}

func parseBasicString(s string) (any, string, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 >= len(s) {
				return nil, "", fmt.Errorf("unterminated string")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '"':
				b.WriteByte('"')
			case '\\':
				b.WriteByte('\\')
			case 'u', 'U':
				width := 4
				if s[i] == 'U' {
					width = 8
				}
				if i+width >= len(s) {
					return nil, "", fmt.Errorf("bad unicode escape")
				}
				r, err := strconv.ParseUint(s[i+1:i+1+width], 16, 32)
				if err != nil {
					return nil, "", fmt.Errorf("bad unicode escape")
				}
				b.WriteRune(rune(r))
				i += width
			default:
				return nil, "", fmt.Errorf("unknown escape \\%c", s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return nil, "", fmt.Errorf("unterminated string")
}
