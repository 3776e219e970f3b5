package migrator

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// redactedMark replaces every secret Redact finds.
const redactedMark = "***"

var (
	// password=… in a key=value DSN (quoted with backslash escapes, or bare
	// up to a space) or in a URL query (up to & or a space).
	passwordParamRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&'"]*)`)
	})
	// scheme://user:secret@ — the secret ends at the last @ before a space or
	// a path, so an unescaped @ inside it is covered too.
	userinfoRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@]*):[^\s/?#]*@`)
	})
)

// Redact removes a password from s: its raw text and every escaped form a
// connection string can carry (URL userinfo, URL query, key=value quoting),
// plus any password=… parameter and any scheme://user:…@ userinfo whatever
// the password (so a secret regen was not told about does not leak either).
// An empty password only applies the pattern rules.
func Redact(s, password string) string {
	if password != "" {
		forms := map[string]bool{
			password:                   true,
			url.QueryEscape(password):  true,
			url.PathEscape(password):   true,
			userinfoPassword(password): true,
			quotePGValue(password):     true,
			strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(password): true,
		}
		list := make([]string, 0, len(forms))
		for f := range forms {
			if f != "" {
				list = append(list, f)
			}
		}
		// Longest first, so a form that contains another is replaced whole.
		sort.Slice(list, func(i, j int) bool {
			if len(list[i]) != len(list[j]) {
				return len(list[i]) > len(list[j])
			}
			return list[i] < list[j]
		})
		for _, f := range list {
			s = strings.ReplaceAll(s, f, redactedMark)
		}
	}
	s = userinfoRE().ReplaceAllString(s, "${1}:"+redactedMark+"@")
	s = passwordParamRE().ReplaceAllString(s, "${1}"+redactedMark)
	return s
}

// redactUserinfo applies only the pattern rules: for text that may hold a
// password regen could not parse out.
func redactUserinfo(s string) string { return Redact(s, "") }

// userinfoPassword is the password as url.UserPassword escapes it.
func userinfoPassword(password string) string {
	full := url.UserPassword("u", password).String()
	return strings.TrimPrefix(full, "u:")
}

// WithoutPassword removes the password from a URL or key=value connection
// string and keeps it usable (the journal's record of a database: recover
// gets the password again from the project, PGPASSWORD or ~/.pgpass). The
// same patterns as Redact find it; an unparsable URL gives "".
func WithoutPassword(conn string) string {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return ""
		}
		if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		q := u.Query()
		if q.Has("password") {
			q.Del("password")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return strings.TrimSpace(passwordParamRE().ReplaceAllString(conn, ""))
}

// HasSecret says whether Redact's rules find a password in s (URL userinfo
// or a password=… parameter).
func HasSecret(s string) bool { return Redact(s, "") != s }
