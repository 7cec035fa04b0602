package logs

import "errors"

// The sentinel errors of package logs. Callers test for them with errors.Is;
// the errors returned wrap them with details.
var (
	// ErrInvalidConfig is wrapped by every error Config.Validate returns,
	// and so by New and NewRotatingFile when the Config is invalid.
	ErrInvalidConfig = errors.New("logs: invalid config")

	// ErrUnknownLevel is returned (wrapped) by ParseLevel for a name that is
	// not debug, info, warn (or warning) or error.
	ErrUnknownLevel = errors.New("logs: unknown level")

	// ErrClosed is returned by writes to a closed RotatingFile, and by
	// Reopen after Close.
	ErrClosed = errors.New("logs: closed")
)
