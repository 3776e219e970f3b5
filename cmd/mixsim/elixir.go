package main

// A deliberately tiny reader for the Elixir subset that appears in Ash
// resources and generated migrations: literals, atoms, module names,
// keyword lists, calls and `<>` concatenation. It is not an Elixir parser;
// anything outside the subset is reported, never guessed.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

type tokKind int

const (
	tkEOF tokKind = iota
	tkAtom
	tkString
	tkNumber
	tkIdent // identifiers and dotted module names (Blog.Repo)
	tkKey   // keyword key: `name:`
	tkPunct // ( ) [ ] { } , <> & / % | etc.
)

type token struct {
	kind  tokKind
	text  string // decoded value for strings/atoms/keys, raw otherwise
	start int
	end   int
}

// lexElixir splits src into tokens. Comments are dropped.
func lexElixir(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"':
			s, n, err := lexString(src[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tkString, s, i, i + n})
			i += n
		case c == ':' && i+1 < len(src) && src[i+1] == '"':
			s, n, err := lexString(src[i+1:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tkAtom, s, i, i + 1 + n})
			i += 1 + n
		case c == ':' && i+1 < len(src) && isIdentStart(src[i+1]):
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			if j < len(src) && (src[j] == '?' || src[j] == '!') {
				j++
			}
			toks = append(toks, token{tkAtom, src[i+1 : j], i, j})
			i = j
		case c >= '0' && c <= '9' || (c == '-' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9' && prevAllowsSign(toks)):
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '_' || src[j] == '.' || src[j] == 'e') {
				if src[j] == '.' && (j+1 >= len(src) || src[j+1] < '0' || src[j+1] > '9') {
					break
				}
				j++
			}
			toks = append(toks, token{tkNumber, src[i:j], i, j})
			i = j
		case isIdentStart(c) || (c >= 'A' && c <= 'Z'):
			j := i
			for j < len(src) && (isIdentChar(src[j]) || (src[j] == '.' && j+1 < len(src) && src[j+1] >= 'A' && src[j+1] <= 'Z')) {
				j++
			}
			if j < len(src) && (src[j] == '?' || src[j] == '!') {
				j++
			}
			word := src[i:j]
			if j < len(src) && src[j] == ':' && (j+1 >= len(src) || src[j+1] != ':') {
				toks = append(toks, token{tkKey, word, i, j + 1})
				i = j + 1
				continue
			}
			toks = append(toks, token{tkIdent, word, i, j})
			i = j
		case c == '<' && i+1 < len(src) && src[i+1] == '>':
			toks = append(toks, token{tkPunct, "<>", i, i + 2})
			i += 2
		default:
			toks = append(toks, token{tkPunct, string(c), i, i + 1})
			i++
		}
	}
	return toks, nil
}

func prevAllowsSign(toks []token) bool {
	if len(toks) == 0 {
		return true
	}
	p := toks[len(toks)-1]
	return p.kind == tkKey || (p.kind == tkPunct && strings.Contains("([,", p.text))
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' }
func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// lexString reads a double-quoted string starting at s[0] == '"'.
func lexString(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("unterminated string")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), i + 1, nil
		case '#':
			if i+1 < len(s) && s[i+1] == '{' {
				return "", 0, fmt.Errorf("string interpolation is outside mixsim's subset")
			}
			b.WriteByte('#')
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

type valKind int

const (
	vAtom valKind = iota
	vString
	vNumber
	vBool
	vNil
	vList
	vKeyword
	vCall  // name(args)
	vIdent // bare name or module
	vOther // something we keep only as raw text (&fun/0, %{}, ...)
)

type kv struct {
	key string
	val value
}

type value struct {
	kind valKind
	s    string // atom name, string contents, number text, ident/call name
	b    bool
	list []value
	kw   []kv
	args []value // for calls
	raw  string  // source text, used for snapshot defaults
}

// get returns a keyword value from a keyword list value.
func (v value) get(key string) (value, bool) {
	for _, p := range v.kw {
		if p.key == key {
			return p.val, true
		}
	}
	return value{}, false
}

type parser struct {
	src  string
	toks []token
	pos  int
}

func newParser(src string) (*parser, error) {
	toks, err := lexElixir(src)
	if err != nil {
		return nil, err
	}
	return &parser{src: src, toks: toks}, nil
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tkEOF, start: len(p.src), end: len(p.src)}
}

func (p *parser) next() token { t := p.peek(); p.pos++; return t }

func (p *parser) atEOF() bool { return p.pos >= len(p.toks) }

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tkPunct && t.text == s
}

func (p *parser) expect(s string) error {
	if !p.isPunct(s) {
		return fmt.Errorf("expected %q near %q", s, p.rest())
	}
	p.pos++
	return nil
}

func (p *parser) rest() string {
	t := p.peek()
	r := p.src[t.start:]
	if len(r) > 40 {
		r = r[:40]
	}
	return r
}

// parseArgs reads comma-separated arguments until `end` punct (or EOF when
// end is ""), folding trailing `key: value` pairs into one keyword value.
func (p *parser) parseArgs(end string) ([]value, error) {
	var args []value
	var kw *value
	for {
		if p.atEOF() || (end != "" && p.isPunct(end)) {
			break
		}
		if p.peek().kind == tkKey {
			if kw == nil {
				kw = &value{kind: vKeyword}
			}
			k := p.next()
			v, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			kw.kw = append(kw.kw, kv{k.text, v})
		} else {
			if kw != nil {
				return nil, fmt.Errorf("positional argument after keywords near %q", p.rest())
			}
			v, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			args = append(args, v)
		}
		if p.isPunct(",") {
			p.pos++
			continue
		}
		break
	}
	if kw != nil {
		args = append(args, *kw)
	}
	return args, nil
}

// parseExpr reads a primary, then any `<>` string concatenations.
func (p *parser) parseExpr() (value, error) {
	start := p.peek().start
	v, err := p.parsePrimary()
	if err != nil {
		return v, err
	}
	for p.isPunct("<>") {
		p.pos++
		r, err := p.parsePrimary()
		if err != nil {
			return v, err
		}
		if v.kind != vString || r.kind != vString {
			return v, fmt.Errorf("<> on non-strings")
		}
		v.s += r.s
	}
	v.raw = strings.TrimSpace(p.src[start:p.prevEnd()])
	return v, nil
}

func (p *parser) prevEnd() int {
	if p.pos == 0 {
		return 0
	}
	if p.pos > len(p.toks) {
		return len(p.src)
	}
	return p.toks[p.pos-1].end
}

func (p *parser) parsePrimary() (value, error) {
	t := p.next()
	switch t.kind {
	case tkAtom:
		return value{kind: vAtom, s: t.text}, nil
	case tkString:
		return value{kind: vString, s: t.text}, nil
	case tkNumber:
		return value{kind: vNumber, s: strings.ReplaceAll(t.text, "_", "")}, nil
	case tkIdent:
		switch t.text {
		case "true", "false":
			return value{kind: vBool, b: t.text == "true"}, nil
		case "nil":
			return value{kind: vNil}, nil
		}
		if p.isPunct("(") {
			p.pos++
			args, err := p.parseArgs(")")
			if err != nil {
				return value{}, err
			}
			if err := p.expect(")"); err != nil {
				return value{}, err
			}
			return value{kind: vCall, s: t.text, args: args}, nil
		}
		return value{kind: vIdent, s: t.text}, nil
	case tkPunct:
		switch t.text {
		case "[":
			args, err := p.parseArgs("]")
			if err != nil {
				return value{}, err
			}
			if err := p.expect("]"); err != nil {
				return value{}, err
			}
			if len(args) == 1 && args[0].kind == vKeyword {
				return args[0], nil
			}
			return value{kind: vList, list: args}, nil
		case "&", "%", "~":
			// Captures, maps, sigils: keep as opaque text up to the next
			// top-level comma or closer.
			depth := 0
			for !p.atEOF() {
				n := p.peek()
				if n.kind == tkPunct {
					if strings.Contains("([{", n.text) {
						depth++
					} else if strings.Contains(")]}", n.text) {
						if depth == 0 {
							break
						}
						depth--
					} else if n.text == "," && depth == 0 {
						break
					}
				}
				p.pos++
			}
			return value{kind: vOther}, nil
		case "-":
			return value{}, fmt.Errorf("unexpected '-'")
		}
	case tkEOF:
		return value{}, fmt.Errorf("unexpected end of expression")
	}
	return value{}, fmt.Errorf("unexpected %q", t.text)
}

// literal renders a value back as Elixir source (for migration text).
func (v value) literal() string {
	switch v.kind {
	case vAtom:
		return ":" + v.s
	case vString:
		return strconv.Quote(v.s)
	case vNumber:
		return v.s
	case vBool:
		return strconv.FormatBool(v.b)
	case vNil:
		return "nil"
	}
	return v.raw
}

var (
	// A "word" includes ':' '.' '?' '!' so that `do:`, `:end` and `x.end?`
	// are not mistaken for block keywords.
	reWord = regexp.MustCompile(`[A-Za-z0-9_:.?!@]+`)
)

// stripStringsAndComments blanks string/heredoc contents and comments so
// keyword counting does not see words inside them. Line structure is kept.
func stripStringsAndComments(src string) string {
	b := []byte(src)
	i := 0
	for i < len(b) {
		switch {
		case b[i] == '#':
			for i < len(b) && b[i] != '\n' {
				b[i] = ' '
				i++
			}
		case i+2 < len(b) && string(b[i:i+3]) == `"""`:
			i += 3
			for i < len(b) && !(i+2 < len(b) && string(b[i:i+3]) == `"""`) {
				if b[i] != '\n' {
					b[i] = ' '
				}
				i++
			}
			i += 3
		case b[i] == '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' && i+1 < len(b) {
					b[i] = ' '
					i++
				}
				if b[i] != '\n' {
					b[i] = ' '
				}
				i++
			}
			i++
		case b[i] == '?' && i+1 < len(b) && i > 0 && !isIdentChar(b[i-1]):
			// character literal like ?" or ?#
			i += 2
		default:
			i++
		}
	}
	return string(b)
}

// blockDelta counts block openers (`do`, `fn`) minus `end` on one stripped
// line. `do:` (keyword form) is not an opener.
func blockDelta(stripped string) int {
	d := 0
	for _, w := range reWord.FindAllString(stripped, -1) {
		switch w {
		case "do", "fn":
			d++
		case "end":
			d--
		}
	}
	return d
}

// logicalLine is one Elixir statement spread over one or more source lines.
type logicalLine struct {
	text string
	line int // 1-based line of the first source line
}

// joinLogicalLines groups source lines into statements: a statement goes on
// while brackets are open, or a line ends with `,` / `<>` / an operator, or
// the next line starts with `<>` / `|>`.
func joinLogicalLines(src string, firstLine int) []logicalLine {
	lines := strings.Split(src, "\n")
	stripped := strings.Split(stripStringsAndComments(src), "\n")
	var out []logicalLine
	var cur []string
	start := 0
	depth := 0
	for i, l := range lines {
		s := strings.TrimSpace(stripped[i])
		if len(cur) == 0 && s == "" {
			continue
		}
		if len(cur) == 0 {
			start = i
		}
		cur = append(cur, strings.TrimSpace(stripComment(l)))
		for _, c := range s {
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth--
			}
		}
		cont := depth > 0 || strings.HasSuffix(s, ",") || strings.HasSuffix(s, "<>") || strings.HasSuffix(s, "|>")
		if !cont {
			// look ahead for a leading operator
			for j := i + 1; j < len(lines); j++ {
				n := strings.TrimSpace(stripped[j])
				if n == "" {
					continue
				}
				cont = strings.HasPrefix(n, "<>") || strings.HasPrefix(n, "|>")
				break
			}
		}
		if !cont {
			out = append(out, logicalLine{strings.Join(cur, " "), firstLine + start})
			cur = nil
			depth = 0
		}
	}
	if len(cur) > 0 {
		out = append(out, logicalLine{strings.Join(cur, " "), firstLine + start})
	}
	return out
}

// stripComment removes a trailing `# ...` that is outside a string.
func stripComment(l string) string {
	in := false
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '\\':
			if in {
				i++
			}
		case '"':
			in = !in
		case '#':
			if !in && !(i+1 < len(l) && l[i+1] == '{') {
				return l[:i]
			}
		}
	}
	return l
}

// camelize mirrors Macro.camelize/1 for snake_case names.
func camelize(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

// underscore mirrors Macro.underscore/1 for a module segment (OtherRepo -> other_repo).
func underscore(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
