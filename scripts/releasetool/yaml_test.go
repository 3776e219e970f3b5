package main

import (
	"fmt"
	"strconv"
	"strings"
)

// A strict parser for the YAML subset action.yml, the README's workflow and
// .pre-commit-hooks.yaml use (no YAML library is a dependency): block
// mappings and sequences by indentation, plain and quoted scalars, `|`
// block scalars, `# comments`. Anything else (flow collections, anchors,
// tabs, a key twice) is an error, so a file outside the subset fails the
// test instead of being misread.

type yamlLine struct {
	n      int // 1-based line number
	indent int
	text   string
}

func parseYAML(src string) (any, error) {
	var lines []yamlLine
	for i, raw := range strings.Split(src, "\n") {
		if strings.Contains(raw, "\t") {
			return nil, fmt.Errorf("line %d: a tab", i+1)
		}
		trimmed := strings.TrimLeft(raw, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			lines = append(lines, yamlLine{n: i + 1, indent: -1, text: raw})
			continue
		}
		lines = append(lines, yamlLine{n: i + 1, indent: len(raw) - len(trimmed), text: trimmed})
	}
	p := &yamlParser{lines: lines}
	p.skipBlank()
	if p.i >= len(p.lines) {
		return nil, nil
	}
	v, err := p.node(p.lines[p.i].indent)
	if err != nil {
		return nil, err
	}
	p.skipBlank()
	if p.i < len(p.lines) {
		return nil, fmt.Errorf("line %d: unexpected indentation", p.lines[p.i].n)
	}
	return v, nil
}

type yamlParser struct {
	lines []yamlLine
	i     int
}

func (p *yamlParser) skipBlank() {
	for p.i < len(p.lines) && p.lines[p.i].indent < 0 {
		p.i++
	}
}

func (p *yamlParser) node(indent int) (any, error) {
	if strings.HasPrefix(p.lines[p.i].text, "- ") || p.lines[p.i].text == "-" {
		return p.seq(indent)
	}
	return p.mapping(indent, nil)
}

func (p *yamlParser) seq(indent int) (any, error) {
	var out []any
	for p.skipBlank(); p.i < len(p.lines) && p.lines[p.i].indent == indent && strings.HasPrefix(p.lines[p.i].text+" ", "- "); p.skipBlank() {
		l := p.lines[p.i]
		rest := strings.TrimPrefix(strings.TrimPrefix(l.text, "-"), " ")
		if rest == "" {
			p.i++
			p.skipBlank()
			v, err := p.node(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		if _, _, isKey := splitKey(rest); isKey {
			// "- key: v" opens a mapping indented at the key.
			p.lines[p.i] = yamlLine{n: l.n, indent: indent + 2, text: rest}
			v, err := p.mapping(indent+2, nil)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		v, err := scalar(rest, l.n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.i++
	}
	return out, nil
}

func (p *yamlParser) mapping(indent int, out map[string]any) (any, error) {
	out = map[string]any{}
	for p.skipBlank(); p.i < len(p.lines) && p.lines[p.i].indent == indent; p.skipBlank() {
		l := p.lines[p.i]
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, fmt.Errorf("line %d: want `key: value`, got %q", l.n, l.text)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: key %q twice", l.n, key)
		}
		p.i++
		switch {
		case rest == "|":
			out[key] = p.block(indent)
		case rest == "":
			p.skipBlank()
			if p.i < len(p.lines) && (p.lines[p.i].indent > indent || p.lines[p.i].indent == indent && strings.HasPrefix(p.lines[p.i].text, "- ")) {
				v, err := p.node(p.lines[p.i].indent)
				if err != nil {
					return nil, err
				}
				out[key] = v
			} else {
				out[key] = nil
			}
		default:
			v, err := scalar(rest, l.n)
			if err != nil {
				return nil, err
			}
			out[key] = v
		}
	}
	if p.i < len(p.lines) && p.lines[p.i].indent > indent {
		return nil, fmt.Errorf("line %d: unexpected indentation", p.lines[p.i].n)
	}
	return out, nil
}

// block reads a `|` scalar: the lines indented deeper than its key.
func (p *yamlParser) block(keyIndent int) string {
	var b strings.Builder
	ind := -1
	for ; p.i < len(p.lines); p.i++ {
		l := p.lines[p.i]
		if l.indent < 0 {
			if strings.TrimSpace(l.text) == "" {
				b.WriteString("\n")
				continue
			}
			// A "#" line inside a block scalar is content.
			l.indent = len(l.text) - len(strings.TrimLeft(l.text, " "))
			l.text = strings.TrimLeft(l.text, " ")
			if l.indent <= keyIndent {
				break
			}
		}
		if l.indent <= keyIndent {
			break
		}
		if ind < 0 {
			ind = l.indent
		}
		b.WriteString(strings.Repeat(" ", l.indent-ind) + l.text + "\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func splitKey(s string) (key, rest string, ok bool) {
	i := strings.Index(s, ": ")
	if strings.HasSuffix(s, ":") && (i < 0 || i == len(s)-1) {
		i = len(s) - 1
	}
	if i <= 0 || strings.ContainsAny(s[:i], `"'{}[]`) {
		return "", "", false
	}
	return s[:i], strings.TrimSpace(s[i+1:]), true
}

func scalar(s string, n int) (string, error) {
	if i := strings.Index(s, " #"); i >= 0 && s[0] != '"' && s[0] != '\'' {
		s = strings.TrimSpace(s[:i])
	}
	switch {
	case strings.HasPrefix(s, `"`):
		v, err := strconv.Unquote(s)
		if err != nil {
			return "", fmt.Errorf("line %d: bad double-quoted scalar %s", n, s)
		}
		return v, nil
	case strings.HasPrefix(s, "'"):
		if len(s) < 2 || !strings.HasSuffix(s, "'") {
			return "", fmt.Errorf("line %d: bad single-quoted scalar %s", n, s)
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	case strings.ContainsAny(s[:1], "[{&*!|>%@`"):
		return "", fmt.Errorf("line %d: %q is outside the YAML subset this test reads", n, s)
	}
	return s, nil
}
