package backend

import "errors"

// Errors a Call can complete with, wrapped with the server's name.
var (
	// ErrTimeout means the server did not reply within the call's deadline.
	ErrTimeout = errors.New("timeout")
	// ErrReset means the connection was reset (after an earlier request timed
	// out or the socket failed) before this call's reply arrived.
	ErrReset = errors.New("connection reset before the reply")
	// ErrUnreachable means the server cannot be connected to now; faed retries
	// in the background with backoff.
	ErrUnreachable = errors.New("server unreachable")
	// ErrClosed means the server was closed (faed is shutting down or the
	// server left the config).
	ErrClosed = errors.New("server closed")
	// ErrBadReply means the server sent bytes that are not a valid reply.
	ErrBadReply = errors.New("bad reply from server")
	// ErrInit means a connection's set-up commands (AUTH, SELECT) failed.
	ErrInit = errors.New("connection set-up failed")
)

// Error is a failure of one call at one server.
type Error struct {
	// Server is the server's display name (host:port or socket path).
	Server string
	// Err is one of the sentinel errors above, possibly wrapping a cause.
	Err error
}

func (e *Error) Error() string { return "server " + e.Server + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }
