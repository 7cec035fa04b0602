// Package resp is the codec for RESP2, the Redis protocol: it parses client
// requests, measures server replies and encodes replies, as pure functions
// over byte slices. It owns no buffers, sockets or goroutines and keeps no
// state, so every function is safe for concurrent use.
//
// # Data flow
//
// A proxy session reads from the client socket into a buffer it owns and
// calls ParseRequest on the unread part. ParseRequest returns the number of
// bytes the request took and its arguments as subslices of that buffer, so
// nothing is copied on the hot path (only inline arguments that needed
// unquoting live in a new buffer). The arguments alias the buffer: they stay
// valid until the session overwrites or compacts it, so the session must be
// done with a request (or copy what it keeps) before reusing that space.
// Several pipelined requests are parsed by calling ParseRequest again at
// buf[n:]; a request with no arguments ("*0\r\n", an empty inline line) is
// consumed and skipped, as redis-server does.
//
// When the buffer ends inside a request, ParseRequest and ReplyLen return
// ErrIncomplete with the total length the buffer must reach before another
// attempt can change the outcome. For a bulk string that is the end of its
// payload, known from its "$n" header, so a large value is not re-parsed on
// every read: the caller grows its buffer (within its own bound: n follows
// lengths declared by the peer) and reads until it holds that many bytes.
//
// A malformed request gives a *ProtocolError whose Error() is the exact text
// redis-server sends after "-ERR "; the session sends it and closes the
// connection, as Redis does. The parser follows redis 7's networking.c,
// quirks included (see ParseRequest), so a client sees the same verdicts
// through fae as from Redis itself; a differential test checks this against
// a real redis-server.
//
// On the server side, a backend connection reads replies into its buffer and
// calls ReplyLen to find where each one ends, jumping over bulk payloads
// without scanning them. The raw reply bytes are forwarded to the client as
// they are; ParseInt and ArrayElems look inside the replies that multi-key
// commands merge (DEL counts, MGET arrays). The Append functions encode
// replies and requests into a caller's buffer.
package resp
