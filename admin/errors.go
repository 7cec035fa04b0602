package admin

import "errors"

// Errors of the admin server. Wrapped errors are tested with errors.Is.
var (
	// ErrInvalidConfig is wrapped by Config.Validate (and so New) for a
	// Config that cannot work.
	ErrInvalidConfig = errors.New("admin: invalid config")
	// ErrNilTarget is returned by New without a Target.
	ErrNilTarget = errors.New("admin: nil target")
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("admin: server already started")
	// ErrClosed is returned by Start after Close.
	ErrClosed = errors.New("admin: server closed")
	// ErrNotFound is what a Target's Degrade wraps when the switch names a
	// pool or server that does not exist: POST /degrade answers it 404.
	// Any other error of Degrade is answered 400.
	ErrNotFound = errors.New("admin: no such pool or server")
	// ErrInvalidSwitch is wrapped for a degrade switch that is malformed:
	// no pool, an unknown kind, or a kind without its server or class.
	// POST /degrade answers it 400 without calling the Target.
	ErrInvalidSwitch = errors.New("admin: invalid switch")
)
