package check

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The unsafe-operation rules read a migration the way a reviewer does:
// statement by statement inside `def up` / `def change` (a `down` undoes
// things and may drop what it likes). The source is lexed just enough to
// blank out strings and comments, count do/fn…end blocks and find where a
// multi-line statement ends; it is not an Elixir parser, and says so in the
// finding's wording ("looks like").

// unsafeFindings scans the new migrations.
func (in *checkInput) unsafeFindings(fresh []checkMigration) []Finding {
	postgres := strings.Contains(in.v.Config().Preset, "postgres")
	var out []Finding
	for _, m := range fresh {
		data, err := in.read(m.path)
		if err != nil {
			continue // a vanished file is reported by the git-state rules
		}
		for _, h := range scanUnsafe(string(data), postgres) {
			out = append(out, newCheckFinding(h.rule, m.path, h.line, h.message, h.fix+" To accept it, add `# regen:allow "+h.rule+"` on the line or the line above."))
		}
	}
	return out
}

type unsafeHit struct {
	rule    string
	line    int
	message string
	fix     string
}

// unsafeLine is one source line with strings emptied and the comment apart.
type unsafeLine struct {
	code     string // string contents removed (quotes kept), comment removed
	comment  string // text after `#`, "" when none
	inString bool   // the line ends inside a string or heredoc
}

// unsafeLex splits src into lines of code and comments.
func unsafeLex(src string) []unsafeLine {
	var lines []unsafeLine
	var code, comment strings.Builder
	quote := "" // the open string's delimiter: `"`, `'`, `"""` or `'''`
	inComment := false
	flush := func() {
		lines = append(lines, unsafeLine{code: code.String(), comment: comment.String(), inString: quote != ""})
		code.Reset()
		comment.Reset()
		inComment = false
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\n' {
			flush()
			continue
		}
		switch {
		case inComment:
			comment.WriteByte(c)
		case quote != "":
			if c == '\\' && len(quote) == 1 {
				i++ // skip the escaped character
				continue
			}
			if strings.HasPrefix(src[i:], quote) {
				code.WriteString(quote)
				i += len(quote) - 1
				quote = ""
			}
		case c == '#':
			inComment = true
		case c == '"' || c == '\'':
			q := string(c)
			if strings.HasPrefix(src[i:], q+q+q) {
				q = q + q + q
			}
			// `?"` is a character literal, not a string.
			if i > 0 && src[i-1] == '?' {
				code.WriteByte(c)
				continue
			}
			quote = q
			code.WriteString(q)
			i += len(q) - 1
		default:
			code.WriteByte(c)
		}
	}
	flush()
	return lines
}

var (
	unsafeReWord      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_?!]*:?`) })
	unsafeReDef       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*def\s+(up|down|change)\b`) })
	unsafeReAlter     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*alter\s+table\(\s*:?"?([A-Za-z0-9_]+)`) })
	unsafeReStatement = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\s*(remove_if_exists|remove|rename|create_if_not_exists|create|modify|add_if_not_exists|add|execute)\b`)
	})
	unsafeReColumn = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*[a-z_]+\s*\(?\s*:"?([A-Za-z0-9_]+)`) })
	unsafeReIndex  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\s*(create|create_if_not_exists)\s*\(?\s*(unique_index|index)\(`)
	})
	unsafeReAllow   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`regen:allow\s+([a-z0-9_, -]+)`) })
	unsafeReConcur  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`concurrently:\s*true`) })
	unsafeReNotNull = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`null:\s*false`) })
	unsafeReDefault = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bdefault:`) })
)

// unsafeBlockDelta counts the do/fn blocks a line opens minus those it closes.
func unsafeBlockDelta(code string) (opens, closes int) {
	for _, w := range unsafeReWord().FindAllString(code, -1) {
		switch w {
		case "do", "fn":
			opens++
		case "end":
			closes++
		}
	}
	return opens, closes
}

// scanUnsafe returns the unsafe operations of one migration source.
func scanUnsafe(src string, postgres bool) []unsafeHit {
	lines := unsafeLex(src)
	hasDown := false
	for _, l := range lines {
		if m := unsafeReDef().FindStringSubmatch(l.code); m != nil && m[1] == "down" {
			hasDown = true
		}
	}
	type block struct{ table string }
	var (
		hits       []unsafeHit
		stack      []block
		region     string // up | down | change | ""
		regionSize int    // stack depth at which the region's def opened
	)
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		defLine := false
		if m := unsafeReDef().FindStringSubmatch(l.code); m != nil && region == "" {
			region, regionSize, defLine = m[1], len(stack), true
		}
		if region == "up" || region == "change" {
			if m := unsafeReStatement().FindStringSubmatch(l.code); m != nil {
				end := unsafeStatementEnd(lines, i)
				text := unsafeJoinCode(lines, i, end)
				table := ""
				if len(stack) > 0 {
					table = stack[len(stack)-1].table
				}
				for _, h := range unsafeJudge(m[1], text, table, region, hasDown, postgres) {
					if !unsafeAllowed(lines, i, end, h.rule) {
						h.line = i + 1
						hits = append(hits, h)
					}
				}
			}
		}
		opens, closes := unsafeBlockDelta(l.code)
		for k := 0; k < opens; k++ {
			b := block{}
			if m := unsafeReAlter().FindStringSubmatch(l.code); m != nil {
				b.table = m[1]
			}
			stack = append(stack, b)
		}
		for k := 0; k < closes && len(stack) > 0; k++ {
			stack = stack[:len(stack)-1]
		}
		// A `def up, do: …` one-liner opens no block: its region is the line.
		if region != "" && (defLine && opens == 0 || len(stack) <= regionSize && closes > 0) {
			region = ""
		}
	}
	return hits
}

// unsafeStatementEnd is the last line of the statement starting at i: while
// brackets are open, a string runs on, or a line ends with a comma.
func unsafeStatementEnd(lines []unsafeLine, i int) int {
	depth := 0
	for j := i; j < len(lines); j++ {
		for _, c := range lines[j].code {
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth--
			}
		}
		trimmed := strings.TrimSpace(lines[j].code)
		if depth <= 0 && !lines[j].inString && !strings.HasSuffix(trimmed, ",") {
			return j
		}
	}
	return len(lines) - 1
}

func unsafeJoinCode(lines []unsafeLine, from, to int) string {
	parts := make([]string, 0, to-from+1)
	for j := from; j <= to; j++ {
		parts = append(parts, strings.TrimSpace(lines[j].code))
	}
	return strings.Join(parts, " ")
}

// unsafeAllowed: `# regen:allow <rule>[, <rule>]` on the statement's lines or the
// line above it.
func unsafeAllowed(lines []unsafeLine, from, to int, rule string) bool {
	start := from - 1
	if start < 0 {
		start = 0
	}
	for j := start; j <= to; j++ {
		for _, m := range unsafeReAllow().FindAllStringSubmatch(lines[j].comment, -1) {
			for _, r := range strings.FieldsFunc(m[1], func(c rune) bool { return c == ',' || c == ' ' }) {
				if r == rule {
					return true
				}
			}
		}
	}
	return false
}

// unsafeJudge applies the rules to one statement of up/change.
func unsafeJudge(verb, text, table, region string, hasDown, postgres bool) []unsafeHit {
	column := ""
	if m := unsafeReColumn().FindStringSubmatch(text); m != nil {
		column = m[1]
	}
	of := ""
	if table != "" {
		of = " of table " + table
	}
	short := text
	if len(short) > 100 {
		short = short[:100] + "…"
	}
	var hits []unsafeHit
	switch verb {
	case "remove", "remove_if_exists":
		if table != "" { // `remove` outside `alter table` is not a column
			hits = append(hits, unsafeHit{rule: RuleDropColumn,
				message: fmt.Sprintf("drops column %s%s: code still running during the deploy reads or writes it, and its data is gone.", column, of),
				fix:     "Stop using the column in a release first (and ignore it in the resource), then drop it in a later migration."})
		}
	case "rename":
		hits = append(hits, unsafeHit{rule: RuleRename,
			message: fmt.Sprintf("renames a table or column (%s): code still running during the deploy uses the old name.", short),
			fix:     "Add the new column or table, copy the data and switch the code over, then remove the old one in a later release."})
	case "create", "create_if_not_exists":
		if postgres && unsafeReIndex().MatchString(text) && !unsafeReConcur().MatchString(text) {
			hits = append(hits, unsafeHit{rule: RuleIndexConcurrent,
				message: fmt.Sprintf("creates an index without `concurrently: true` (%s): PostgreSQL blocks writes to the table while it builds.", short),
				fix:     "Pass `concurrently: true` and set `@disable_ddl_transaction true` and `@disable_migration_lock true` in the migration module."})
		}
	case "modify", "add", "add_if_not_exists":
		notNull := unsafeReNotNull().MatchString(text)
		hasDefault := unsafeReDefault().MatchString(text)
		if notNull && !hasDefault && (verb == "modify" || table != "") {
			what := "makes column " + column + of + " NOT NULL"
			if verb != "modify" {
				what = "adds NOT NULL column " + column + " to the existing table" + strings.TrimPrefix(of, " of table")
			}
			hits = append(hits, unsafeHit{rule: RuleNotNullDefault,
				message: what + " without a default: it fails on a table that has rows (or with a NULL left in it).",
				fix:     "Give it a default (`default: …`), or add it nullable, backfill, and set NOT NULL in a later migration."})
		}
	case "execute":
		irreversible := region == "up" && !hasDown || region == "change" && unsafeExecuteArgs(text) < 2
		if irreversible {
			hits = append(hits, unsafeHit{rule: RuleExecuteNoDown,
				message: "runs raw SQL with no way back: rolling this migration back fails (or silently leaves the change).",
				fix:     "In `change`, pass the reverse SQL too: `execute(up_sql, down_sql)`; or write `def up`/`def down`."})
		}
	}
	return hits
}

// unsafeExecuteArgs counts the top-level arguments of an `execute` statement.
func unsafeExecuteArgs(text string) int {
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "execute"))
	if rest == "" {
		return 0
	}
	depth, n := 0, 1
	for i, c := range rest {
		switch c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 || depth == 1 && strings.HasPrefix(rest, "(") && i > 0 {
				n++
			}
		}
	}
	return n
}
