package proxy

import "bytes"

// frontend is one client protocol. A session's reader hands it what it read;
// it parses one request at a time, answers it locally or routes it to the
// pool's servers as calls pushed on the session's queue; the session's writer
// asks it for each call's client-visible reply. Implementations keep no
// per-session state of their own (that lives in session) and are safe for
// concurrent use.
type frontend interface {
	// next parses and dispatches the request at the start of buf. It
	// returns the bytes consumed; 0 when buf holds no complete request, with
	// need the total length known to be needed. stop means the session must
	// stop reading (QUIT, or an error the protocol cannot recover from; the
	// reply saying so is already queued).
	next(s *session, buf []byte) (n, need int, stop bool)
	// appendReply appends the reply of a ready call to dst.
	appendReply(s *session, dst []byte, c *call) []byte
	// isError reports whether reply (as appended) is an error reply.
	isError(reply []byte) bool
}

var _ frontend = redisFront{}

func (redisFront) isError(reply []byte) bool { return len(reply) > 0 && reply[0] == '-' }

func (memcacheFront) isError(reply []byte) bool {
	return bytes.HasPrefix(reply, []byte("SERVER_ERROR")) || bytes.HasPrefix(reply, []byte("CLIENT_ERROR")) ||
		bytes.HasPrefix(reply, []byte("ERROR"))
}
