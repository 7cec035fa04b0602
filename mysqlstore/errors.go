package mysqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/go-sql-driver/mysql"
)

// Errors of a Store; test for them with errors.Is. Failures of a query come
// as an *Error that wraps one of ErrTimeout or ErrUnavailable when it applies,
// and always the underlying error (a *mysql.MySQLError for an error the server
// answered, context.DeadlineExceeded for a timeout).
var (
	// ErrConfig is wrapped by Validate and Open for an unusable Config, and
	// by operations when Config.Route returned an index out of range.
	ErrConfig = errors.New("mysqlstore: bad config")
	// ErrNoMapping reports a key that matches no template while there is no
	// default Table, or an operation its template has no statement for.
	ErrNoMapping = errors.New("mysqlstore: no mapping for key")
	// ErrTimeout reports an operation that did not finish within
	// Config.Timeout (or the caller's deadline).
	ErrTimeout = errors.New("timeout")
	// ErrUnavailable reports a server that could not be reached: connection
	// refused, reset or closed, or a server shutting down or out of
	// connections.
	ErrUnavailable = errors.New("server unavailable")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("mysqlstore: closed")
)

// Error is a failed query: the operation, the server and database it ran on,
// and the cause. Server is host:port (or a socket path) from the DSN, never
// its user or password.
type Error struct {
	// Op is the operation: "get", "set", "delete", "mget" or "mset".
	Op string
	// Server is the address of the server that failed.
	Server string
	// Database is the database the query ran in.
	Database string
	// Kind is ErrTimeout, ErrUnavailable, or nil for another failure (such
	// as an SQL error the server answered).
	Kind error
	// Err is the error the driver returned.
	Err error
}

// Error formats the failure as "mysqlstore: get on 10.0.0.5:3306/fae_1:
// timeout: context deadline exceeded".
func (e *Error) Error() string {
	if e.Kind != nil {
		return fmt.Sprintf("mysqlstore: %s on %s/%s: %v: %v", e.Op, e.Server, e.Database, e.Kind, e.Err)
	}
	return fmt.Sprintf("mysqlstore: %s on %s/%s: %v", e.Op, e.Server, e.Database, e.Err)
}

// Unwrap returns Kind (when set) and Err, so errors.Is finds both.
func (e *Error) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// MySQL server error numbers that mean the server cannot serve now.
const (
	erConCount        = 1040 // too many connections
	erServerShutdown  = 1053 // server shutdown in progress
	erConnectionKill  = 1927 // MariaDB: connection was killed
	erUnknownComError = 1047 // unknown command: a non-MySQL server answered
)

// kind classifies a driver error: ErrTimeout, ErrUnavailable or nil. ctx is
// the operation's context; a query broken off because it expired is a
// timeout whatever the driver reports.
func kind(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ErrTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ErrTimeout
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case erConCount, erServerShutdown, erConnectionKill, erUnknownComError:
			return ErrUnavailable
		}
		return nil
	}
	var op *net.OpError
	switch {
	case errors.As(err, &op),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF):
		return ErrUnavailable
	}
	return nil
}
