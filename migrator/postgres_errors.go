package migrator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// Classes of connection failure, each reported as one line that says what
// to fix. Test with errors.Is.
var (
	// ErrPGUnreachable: nothing answers at the address (refused, no such
	// host or socket, or no answer in time).
	ErrPGUnreachable = errors.New("PostgreSQL server unreachable")
	// ErrPGAuth: the server rejected the login (wrong password, or no
	// pg_hba.conf entry for this user).
	ErrPGAuth = errors.New("PostgreSQL authentication failed")
	// ErrPGNoDatabase: the server is there but the database is not.
	ErrPGNoDatabase = errors.New("PostgreSQL database does not exist")
	// ErrPGBusy: other sessions are connected to the database, so it cannot
	// be used as a template (a running Phoenix server, psql, an IDE).
	ErrPGBusy = errors.New("other sessions are connected to the database")
)

// pgError is an error whose text has been written (and redacted) here; it
// still unwraps to its class and to the driver's error for errors.Is/As.
type pgError struct {
	msg   string
	kind  error
	cause error
}

func (e *pgError) Error() string { return e.msg }

func (e *pgError) Unwrap() []error {
	var errs []error
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// fail wraps a failure of operation op on c with the password removed from
// the text: driver messages echo SQL and server text, never trust them.
func (c PGConn) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pgError
	if errors.As(err, &pe) && pe.kind != nil {
		// Already one clear line; only add what was being done.
		return &pgError{msg: Redact(op+": "+pe.msg, c.password()), kind: pe.kind, cause: err}
	}
	return &pgError{msg: Redact(op+": "+err.Error(), c.password()), cause: err}
}

// classifyConnError turns a failure to connect into one of the classes
// above, or a generic redacted error.
func (c PGConn) classifyConnError(err error) error {
	where := c.hostPort()
	pw := c.password()
	mk := func(kind error, format string, args ...any) error {
		return &pgError{msg: Redact(fmt.Sprintf(format, args...), pw), kind: kind, cause: err}
	}
	if e := pq.As(err, pqerror.InvalidPassword); e != nil {
		return mk(ErrPGAuth, "PostgreSQL at %s rejected the password for user %q", where, c.user())
	}
	if e := pq.As(err, pqerror.InvalidAuthorizationSpecification); e != nil {
		return mk(ErrPGAuth, "PostgreSQL at %s refused user %q: %s", where, c.user(), e.Message)
	}
	if e := pq.As(err, pqerror.InvalidCatalogName); e != nil {
		return mk(ErrPGNoDatabase, "PostgreSQL database %q does not exist on %s", c.Database(), where)
	}
	if e := pq.As(err, pqerror.CannotConnectNow); e != nil {
		return mk(ErrPGUnreachable, "PostgreSQL at %s is not accepting connections yet: %s", where, e.Message)
	}
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return mk(ErrPGUnreachable, "cannot connect to PostgreSQL at %s: connection refused (is the server running?)", where)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return mk(ErrPGUnreachable, "timed out connecting to PostgreSQL at %s", where)
	case errors.As(err, &dnsErr):
		return mk(ErrPGUnreachable, "cannot connect to PostgreSQL at %s: host not found", where)
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ENOENT):
		return mk(ErrPGUnreachable, "cannot connect to PostgreSQL at %s: no server socket there (is the server running?)", where)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return mk(ErrPGUnreachable, "cannot connect to PostgreSQL at %s: host unreachable", where)
	}
	return &pgError{msg: Redact(fmt.Sprintf("connecting to PostgreSQL at %s: %v", where, err), pw), cause: err}
}

// isPGCode reports whether err carries one of the SQLSTATE codes.
func isPGCode(err error, codes ...pqerror.Code) bool {
	return pq.As(err, codes...) != nil
}
