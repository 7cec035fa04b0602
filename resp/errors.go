package resp

import "errors"

// Sentinel errors of the package. Test for them with errors.Is.
var (
	// ErrIncomplete reports that the buffer holds only the start of a request
	// or reply. The accompanying length says how many bytes the buffer must
	// hold, at least, before parsing again can make progress.
	ErrIncomplete = errors.New("resp: incomplete request or reply")
)

// ProtocolError reports malformed input. For requests, Msg is the text that
// redis-server puts after "Protocol error: ", so the proxy can answer
// "-ERR " + Error() exactly as Redis would before closing the connection.
// For replies, Msg describes what was wrong with the server's reply.
type ProtocolError struct {
	// Msg is the detail, without the "Protocol error: " prefix. It never
	// holds CR or LF, so it can be sent in an error reply as is.
	Msg string
}

// Error returns "Protocol error: " followed by Msg.
func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

func protoErr(msg string) error { return &ProtocolError{Msg: msg} }
