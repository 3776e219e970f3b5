package gitops

import "strings"

// This is a port of git's wildmatch.c (dowild), kept structurally close to
// the C so that its quirks (`**` rules, `[!...]`, `[[:class:]]`, escapes,
// case folding) stay identical. Go's path.Match differs from it in all of
// these, which is why go-git's gitignore matcher disagrees with git.

const (
	wmMatch = iota
	wmNoMatch
	wmAbortAll
	wmAbortToStarStar
)

const (
	wmCaseFold = 1 << iota // core.ignoreCase
	wmPathname             // `*` and `?` do not match `/`
)

func wildmatch(pattern, text string, flags int) bool {
	return dowild(pattern, 0, text, 0, flags) == wmMatch
}

// at returns s[i] or 0 past the end, standing in for C's NUL terminator.
func at(s string, i int) byte {
	if i >= 0 && i < len(s) {
		return s[i]
	}
	return 0
}

func isGlobSpecial(c byte) bool { return c == '*' || c == '?' || c == '[' || c == '\\' }

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func dowild(p string, pi int, t string, ti int, flags int) int {
	fold := flags&wmCaseFold != 0
	for ; pi < len(p); pi, ti = pi+1, ti+1 {
		pCh := p[pi]
		tCh := at(t, ti)
		if tCh == 0 && pCh != '*' {
			return wmAbortAll
		}
		if fold {
			tCh = lowerByte(tCh)
			pCh = lowerByte(pCh)
		}
		switch pCh {
		case '\\':
			// Literal match with the following character (not case-folded,
			// as in git).
			pi++
			if tCh != at(p, pi) {
				return wmNoMatch
			}
			continue
		default:
			if tCh != pCh {
				return wmNoMatch
			}
			continue
		case '?':
			if flags&wmPathname != 0 && tCh == '/' {
				return wmNoMatch
			}
			continue
		case '*':
			var matchSlash bool
			pi++
			if at(p, pi) == '*' {
				prevP := pi - 2
				for pi++; at(p, pi) == '*'; pi++ {
				}
				if (prevP < 0 || p[prevP] == '/') &&
					(at(p, pi) == 0 || at(p, pi) == '/' || (at(p, pi) == '\\' && at(p, pi+1) == '/')) {
					// "foo/**/bar" also matches "foo/bar": try "**/" as
					// matching nothing first.
					if at(p, pi) == '/' && dowild(p, pi+1, t, ti, flags) == wmMatch {
						return wmMatch
					}
					matchSlash = true
				} else {
					matchSlash = false
				}
			} else {
				// Without WM_PATHNAME, '*' == '**'.
				matchSlash = flags&wmPathname == 0
			}
			if pi >= len(p) {
				// Trailing "**" matches everything; trailing "*" only if no
				// slash follows.
				if !matchSlash && strings.IndexByte(t[min(ti, len(t)):], '/') >= 0 {
					return wmNoMatch
				}
				return wmMatch
			} else if !matchSlash && p[pi] == '/' {
				// One asterisk followed by a slash matches the next folder.
				slash := strings.IndexByte(t[min(ti, len(t)):], '/')
				if slash < 0 {
					return wmNoMatch
				}
				ti += slash
				continue // the loop steps over both slashes
			}
			for {
				if tCh == 0 {
					break
				}
				// Skip quickly to the next occurrence of a literal that
				// follows the asterisk.
				if !isGlobSpecial(at(p, pi)) {
					pc := at(p, pi)
					if fold {
						pc = lowerByte(pc)
					}
					for {
						tCh = at(t, ti)
						if tCh == 0 || (!matchSlash && tCh == '/') {
							break
						}
						if fold {
							tCh = lowerByte(tCh)
						}
						if tCh == pc {
							break
						}
						ti++
					}
					if tCh != pc {
						return wmNoMatch
					}
				}
				if m := dowild(p, pi, t, ti, flags); m != wmNoMatch {
					if !matchSlash || m != wmAbortToStarStar {
						return m
					}
				} else if !matchSlash && tCh == '/' {
					return wmAbortToStarStar
				}
				ti++
				tCh = at(t, ti)
			}
			return wmAbortAll
		case '[':
			pi++
			pCh = at(p, pi)
			if pCh == '^' {
				pCh = '!'
			}
			negated := pCh == '!'
			if negated {
				pi++
				pCh = at(p, pi)
			}
			var prevCh byte
			matched := false
			for {
				if pCh == 0 {
					return wmAbortAll
				}
				switch {
				case pCh == '\\':
					pi++
					pCh = at(p, pi)
					if pCh == 0 {
						return wmAbortAll
					}
					if tCh == pCh {
						matched = true
					}
				case pCh == '-' && prevCh != 0 && at(p, pi+1) != 0 && at(p, pi+1) != ']':
					pi++
					pCh = at(p, pi)
					if pCh == '\\' {
						pi++
						pCh = at(p, pi)
						if pCh == 0 {
							return wmAbortAll
						}
					}
					if tCh <= pCh && tCh >= prevCh {
						matched = true
					} else if fold && tCh >= 'a' && tCh <= 'z' {
						up := tCh - ('a' - 'A')
						if up <= pCh && up >= prevCh {
							matched = true
						}
					}
					pCh = 0 // so that prevCh becomes 0
				case pCh == '[' && at(p, pi+1) == ':':
					pi += 2
					s := pi
					for pi < len(p) && p[pi] != ']' {
						pi++
					}
					pCh = at(p, pi)
					if pCh == 0 {
						return wmAbortAll
					}
					n := pi - s - 1
					if n < 0 || p[pi-1] != ':' {
						// No ":]": a plain '[' in the set.
						pi = s - 2
						pCh = '['
						if tCh == pCh {
							matched = true
						}
						break
					}
					ok, valid := charClass(p[s:s+n], tCh, fold)
					if !valid {
						return wmAbortAll
					}
					if ok {
						matched = true
					}
					pCh = 0
				default:
					if tCh == pCh {
						matched = true
					}
				}
				prevCh = pCh
				pi++
				pCh = at(p, pi)
				if pCh == ']' {
					break
				}
			}
			if matched == negated || (flags&wmPathname != 0 && tCh == '/') {
				return wmNoMatch
			}
			continue
		}
	}
	if ti < len(t) {
		return wmNoMatch
	}
	return wmMatch
}

// charClass evaluates a `[:name:]` class with git's ASCII ctype.
func charClass(name string, c byte, fold bool) (match, valid bool) {
	isUpper := c >= 'A' && c <= 'Z'
	isLower := c >= 'a' && c <= 'z'
	isDigit := c >= '0' && c <= '9'
	isAlpha := isUpper || isLower
	isPrint := c >= 0x20 && c < 0x7f
	isSpace := c == ' ' || c == '\t' || c == '\n' || c == '\r'
	switch name {
	case "alnum":
		return isAlpha || isDigit, true
	case "alpha":
		return isAlpha, true
	case "blank":
		return c == ' ' || c == '\t', true
	case "cntrl":
		return c < 0x20 || c == 0x7f, true
	case "digit":
		return isDigit, true
	case "graph":
		return isPrint && c != ' ', true
	case "lower":
		return isLower, true
	case "print":
		return isPrint, true
	case "punct":
		return isPrint && c != ' ' && !isAlpha && !isDigit, true
	case "space":
		return isSpace, true
	case "upper":
		return isUpper || (fold && isLower), true
	case "xdigit":
		return isDigit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'), true
	}
	return false, false
}
