package memcache

import "errors"

// Error is memcached's refusal of a request: the line it answers and whether
// it then closes the connection. The
// values ParseRequest returns are the shared ones declared below (or their
// noreply twins), so returning them allocates nothing; never modify one.
// Test for a kind of refusal with errors.Is(err, ErrBadFormat) and so on:
// that matches the noreply twin too.
type Error struct {
	// Line is memcached's reply without the trailing "\r\n", such as
	// "CLIENT_ERROR bad data chunk". It is empty when memcached closes the
	// connection without answering.
	Line string
	// Close reports that memcached closes the connection.
	Close bool
	// NoReply reports that the request carried "noreply", so memcached does
	// not send Line (a classic command refused after memcached saw its
	// noreply token).
	NoReply bool
}

// Error returns Line, or a description when memcached just closes.
func (e *Error) Error() string {
	if e.Line == "" {
		return "memcache: request line too long: connection closed"
	}
	return e.Line
}

// Is reports whether target is an *Error for the same refusal, ignoring
// NoReply.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Line == e.Line && t.Close == e.Close
}

// AppendReply appends what memcached sends for the refusal: Line and
// "\r\n", or nothing when Line is empty or NoReply is set.
func (e *Error) AppendReply(dst []byte) []byte {
	if e.Line == "" || e.NoReply {
		return dst
	}
	dst = append(dst, e.Line...)
	return append(dst, '\r', '\n')
}

// Sentinel errors of the package. Test for them with errors.Is. The *Error
// values are the refusals ParseRequest reports, with memcached 1.6's exact
// texts; after each, except ErrLineTooLong, the connection goes on with the
// next request.
var (
	// ErrIncomplete reports that the buffer holds only the start of a
	// request or reply. The length returned with it is the total the buffer
	// must reach, at least, before another attempt can change the outcome.
	ErrIncomplete = errors.New("memcache: incomplete request or reply")
	// ErrMalformedReply reports a server reply that does not follow the
	// protocol. ReplyLen wraps it with a detail.
	ErrMalformedReply = errors.New("memcache: malformed reply")

	// ErrUnknownCommand is memcached's "ERROR": an unknown command name
	// (names are case-sensitive), an empty line, or a known command with the
	// wrong number of tokens.
	ErrUnknownCommand = &Error{Line: "ERROR"}
	// ErrBadFormat is "CLIENT_ERROR bad command line format": a key longer
	// than MaxKey, a bad number in a storage command, a missing meta
	// data length. memcached does not read a data block after it, so the
	// block that follows a refused storage line is parsed as commands.
	ErrBadFormat = &Error{Line: "CLIENT_ERROR bad command line format"}
	// ErrBadDataChunk is "CLIENT_ERROR bad data chunk": the data block of a
	// storage command does not end with "\r\n" right after the declared
	// number of bytes. The line and the declared bytes plus two are consumed.
	ErrBadDataChunk = &Error{Line: "CLIENT_ERROR bad data chunk"}
	// ErrTooLarge is "SERVER_ERROR object too large for cache": the declared
	// value is longer than Limits.MaxValue. memcached swallows the line and
	// the declared bytes plus two without looking at them.
	ErrTooLarge = &Error{Line: "SERVER_ERROR object too large for cache"}
	// ErrBadExptime is "CLIENT_ERROR invalid exptime argument" (touch, gat,
	// gats, flush_all).
	ErrBadExptime = &Error{Line: "CLIENT_ERROR invalid exptime argument"}
	// ErrBadDelta is "CLIENT_ERROR invalid numeric delta argument" (incr,
	// decr).
	ErrBadDelta = &Error{Line: "CLIENT_ERROR invalid numeric delta argument"}
	// ErrDeleteUsage is memcached's answer to a delete with a third token
	// other than "0" or "noreply" (the legacy "delete <key> 0" is accepted).
	ErrDeleteUsage = &Error{Line: "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"}
	// ErrGetFlagsTooLong is mg's answer to 20 or more tokens.
	ErrGetFlagsTooLong = &Error{Line: "CLIENT_ERROR options flags are too long"}
	// ErrFlagsTooLong is the answer of ms, md and ma to 20 or more tokens.
	// ms does not read its data block after it.
	ErrFlagsTooLong = &Error{Line: "CLIENT_ERROR options flags too long"}
	// ErrTooManyKeys is fae's answer to a get line with more than
	// Limits.MaxKeys keys, where memcached has no limit.
	ErrTooManyKeys = &Error{Line: "SERVER_ERROR too many keys"}
	// ErrLineTooLong reports a command line longer than Limits.MaxLine (or,
	// for get and gets, the longer bound of Limits): memcached closes the
	// connection without a reply.
	ErrLineTooLong = &Error{Close: true}
)

// Noreply twins of the refusals that a classic command's "noreply" silences.
var (
	errBadFormatQuiet    = &Error{Line: ErrBadFormat.Line, NoReply: true}
	errBadDataChunkQuiet = &Error{Line: ErrBadDataChunk.Line, NoReply: true}
	errTooLargeQuiet     = &Error{Line: ErrTooLarge.Line, NoReply: true}
	errBadExptimeQuiet   = &Error{Line: ErrBadExptime.Line, NoReply: true}
	errBadDeltaQuiet     = &Error{Line: ErrBadDelta.Line, NoReply: true}
	errDeleteUsageQuiet  = &Error{Line: ErrDeleteUsage.Line, NoReply: true}
)

// refuse returns e, or its noreply twin when the request asked for no reply.
func refuse(e *Error, noreply bool) *Error {
	if !noreply {
		return e
	}
	switch e {
	case ErrBadFormat:
		return errBadFormatQuiet
	case ErrBadDataChunk:
		return errBadDataChunkQuiet
	case ErrTooLarge:
		return errTooLargeQuiet
	case ErrBadExptime:
		return errBadExptimeQuiet
	case ErrBadDelta:
		return errBadDeltaQuiet
	case ErrDeleteUsage:
		return errDeleteUsageQuiet
	}
	return e
}
