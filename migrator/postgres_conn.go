package migrator

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// PGConn describes one PostgreSQL database: a postgres:// URL or a libpq
// key=value DSN. It holds a password, so it prints itself redacted (String,
// GoString); never format the URL field itself.
type PGConn struct {
	URL string
}

// pgParam is one libpq keyword and its value.
type pgParam struct{ key, value string }

// pgParams is a connection string taken apart. Keys are libpq keywords
// (host, port, user, password, dbname, sslmode, …); order is kept so a
// rewritten key=value DSN reads like the user's.
type pgParams struct {
	isURL  bool
	params []pgParam
}

func (p *pgParams) get(key string) string {
	for _, kv := range p.params {
		if kv.key == key {
			return kv.value
		}
	}
	return ""
}

func (p *pgParams) has(key string) bool {
	for _, kv := range p.params {
		if kv.key == key {
			return true
		}
	}
	return false
}

func (p *pgParams) set(key, value string) {
	for i, kv := range p.params {
		if kv.key == key {
			p.params[i].value = value
			return
		}
	}
	p.params = append(p.params, pgParam{key, value})
}

// ParsePGConn checks a connection string (URL or key=value form) and makes
// its TLS choice explicit: without an sslmode, PGSSLMODE wins if set, else a
// local server (localhost, 127.0.0.1, ::1, no host, or a unix socket
// directory) gets sslmode=disable, since a dev server rarely has TLS and lib/pq
// would otherwise insist on it. getenv is os.Getenv in production; errors
// never contain the password.
func ParsePGConn(s string, getenv func(string) string) (PGConn, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return PGConn{}, errors.New("empty PostgreSQL connection string")
	}
	p, err := parsePGParams(s)
	if err != nil {
		return PGConn{}, err
	}
	if !p.has("sslmode") {
		mode := ""
		if getenv != nil {
			mode = getenv("PGSSLMODE")
		}
		if mode == "" && isLocalPGHost(p.get("host")) {
			mode = "disable"
		}
		if mode != "" {
			p.set("sslmode", mode)
		}
	}
	return PGConn{URL: p.render()}, nil
}

// parsePGParams accepts both forms; a malformed string yields an error that
// names the problem but never echoes the string (it may hold the password).
func parsePGParams(s string) (pgParams, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return parsePGURL(s)
	}
	if strings.Contains(s, "://") {
		return pgParams{}, errors.New("PostgreSQL URL must start with postgres:// or postgresql://")
	}
	return parsePGKeyValue(s)
}

func parsePGURL(s string) (pgParams, error) {
	p := pgParams{isURL: true}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, password included
		}
		return p, fmt.Errorf("invalid PostgreSQL URL: %s", redactUserinfo(err.Error()))
	}
	if u.User != nil {
		if name := u.User.Username(); name != "" {
			p.set("user", name)
		}
		if pw, ok := u.User.Password(); ok {
			p.set("password", pw)
		}
	}
	if u.Host != "" {
		host, port := u.Hostname(), u.Port()
		if host != "" {
			p.set("host", host)
		}
		if port != "" {
			if _, err := strconv.ParseUint(port, 10, 16); err != nil {
				return p, fmt.Errorf("invalid PostgreSQL URL: port %q is not a number", port)
			}
			p.set("port", port)
		}
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		p.set("dbname", db)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return p, errors.New("invalid PostgreSQL URL: malformed query parameters")
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		// libpq lets the query override the authority part (host=/socket/dir).
		p.set(k, q.Get(k))
	}
	return p, nil
}

// parsePGKeyValue follows libpq's conninfo_parse: key = value pairs, values
// optionally single-quoted with backslash escapes.
func parsePGKeyValue(s string) (pgParams, error) {
	p := pgParams{}
	rs := []rune(s)
	i := 0
	skip := func() {
		for i < len(rs) && unicode.IsSpace(rs[i]) {
			i++
		}
	}
	for {
		skip()
		if i >= len(rs) {
			break
		}
		start := i
		for i < len(rs) && !unicode.IsSpace(rs[i]) && rs[i] != '=' {
			i++
		}
		key := string(rs[start:i])
		skip()
		if i >= len(rs) || rs[i] != '=' {
			return p, fmt.Errorf("invalid PostgreSQL connection string: missing \"=\" after %q", key)
		}
		i++
		skip()
		var val []rune
		if i < len(rs) && rs[i] == '\'' {
			i++
			closed := false
			for i < len(rs) {
				r := rs[i]
				i++
				if r == '\\' && i < len(rs) {
					val = append(val, rs[i])
					i++
					continue
				}
				if r == '\'' {
					closed = true
					break
				}
				val = append(val, r)
			}
			if !closed {
				return p, fmt.Errorf("invalid PostgreSQL connection string: unterminated quoted value for %q", key)
			}
		} else {
			for i < len(rs) && !unicode.IsSpace(rs[i]) {
				if rs[i] == '\\' && i+1 < len(rs) {
					i++
				}
				val = append(val, rs[i])
				i++
			}
		}
		if key == "" {
			return p, errors.New("invalid PostgreSQL connection string: empty key")
		}
		p.set(key, string(val))
	}
	if len(p.params) == 0 {
		return p, errors.New("empty PostgreSQL connection string")
	}
	return p, nil
}

// render writes the parameters back in the form they came in.
func (p pgParams) render() string {
	if p.isURL {
		return p.renderURL(true)
	}
	return p.renderKeyValue(true)
}

// renderKeyValue writes a libpq DSN; withPassword false leaves it out.
func (p pgParams) renderKeyValue(withPassword bool) string {
	parts := make([]string, 0, len(p.params))
	for _, kv := range p.params {
		if kv.key == "password" && !withPassword {
			continue
		}
		parts = append(parts, kv.key+"="+quotePGValue(kv.value))
	}
	return strings.Join(parts, " ")
}

// renderURL writes a postgres:// URL; a unix socket directory goes to the
// query (?host=/dir), as libpq reads it.
func (p pgParams) renderURL(withPassword bool) string {
	u := url.URL{Scheme: "postgres"}
	user, pw := p.get("user"), p.get("password")
	switch {
	case p.has("password") && withPassword:
		u.User = url.UserPassword(user, pw)
	case user != "":
		u.User = url.User(user)
	}
	q := url.Values{}
	host := p.get("host")
	if isSocketHost(host) {
		q.Set("host", host)
	} else if host != "" {
		u.Host = host
		if strings.Contains(host, ":") {
			u.Host = "[" + host + "]"
		}
		if port := p.get("port"); port != "" {
			u.Host = net.JoinHostPort(host, port)
		}
	}
	if db := p.get("dbname"); db != "" {
		u.Path = "/" + db
	}
	for _, kv := range p.params {
		switch kv.key {
		case "user", "password", "host", "dbname":
			continue
		case "port":
			if host != "" && !isSocketHost(host) {
				continue
			}
		}
		q.Set(kv.key, kv.value)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func quotePGValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\r'\\") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

func isSocketHost(host string) bool {
	return strings.HasPrefix(host, "/") || strings.HasPrefix(host, "@")
}

func isLocalPGHost(host string) bool {
	switch strings.ToLower(strings.Trim(host, "[]")) {
	case "", "localhost", "127.0.0.1", "::1":
		return true
	}
	return isSocketHost(host)
}

// params parses c. A PGConn built by hand (not by ParsePGConn) is parsed
// the same way, so every method copes with both forms.
func (c PGConn) params() (pgParams, error) {
	return parsePGParams(strings.TrimSpace(c.URL))
}

// String is the connection without its password, for messages and logs:
// postgres://user:***@host:port/db (postgres://user@/db?host=/dir for a
// unix socket).
func (c PGConn) String() string {
	p, err := c.params()
	if err != nil {
		return "postgres://(unparsable connection string)"
	}
	var b strings.Builder
	b.WriteString("postgres://")
	if user := p.get("user"); user != "" {
		b.WriteString(url.User(user).String())
		if p.has("password") {
			b.WriteString(":***")
		}
		b.WriteString("@")
	} else if p.has("password") {
		b.WriteString(":***@")
	}
	host := p.get("host")
	if !isSocketHost(host) {
		b.WriteString(c.hostPort())
	}
	b.WriteString("/")
	b.WriteString(p.get("dbname"))
	if isSocketHost(host) {
		b.WriteString("?host=")
		b.WriteString(host)
	}
	return b.String()
}

// GoString keeps %#v from printing the password too.
func (c PGConn) GoString() string { return "migrator.PGConn{" + strconv.Quote(c.String()) + "}" }

// Database is the database name; libpq's default is the user name.
func (c PGConn) Database() string {
	p, err := c.params()
	if err != nil {
		return ""
	}
	if db := p.get("dbname"); db != "" {
		return db
	}
	return p.get("user")
}

// WithDatabase is the same server and login, another database.
func (c PGConn) WithDatabase(name string) PGConn {
	p, err := c.params()
	if err != nil {
		return c
	}
	p.set("dbname", name)
	return PGConn{URL: p.render()}
}

// hostPort names the server for messages: host:port, or the socket path.
func (c PGConn) hostPort() string {
	p, err := c.params()
	if err != nil {
		return "(unparsable connection string)"
	}
	host, port := p.get("host"), p.get("port")
	if port == "" {
		port = "5432"
	}
	if isSocketHost(host) {
		return host + "/.s.PGSQL." + port
	}
	if host == "" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func (c PGConn) user() string {
	p, err := c.params()
	if err != nil {
		return ""
	}
	return p.get("user")
}

func (c PGConn) password() string {
	p, err := c.params()
	if err != nil {
		return ""
	}
	return p.get("password")
}

// driverDSN is what lib/pq gets: always key=value (its URL conversion drops
// query parameters it does not know the order of), with a connect timeout so
// a black-holed host cannot hang regen, and an application name so a DBA
// looking at pg_stat_activity sees who is connected.
func (c PGConn) driverDSN() (string, error) {
	p, err := c.params()
	if err != nil {
		return "", err
	}
	p.isURL = false
	if !p.has("connect_timeout") {
		p.set("connect_timeout", "10")
	}
	if !p.has("application_name") && !p.has("fallback_application_name") {
		p.set("fallback_application_name", "regen")
	}
	return p.renderKeyValue(true), nil
}
