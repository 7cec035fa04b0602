// Package memcache is the codec for memcached's text protocol, classic
// commands and meta commands: it parses client requests, measures server
// replies and encodes requests and replies, as pure functions over byte
// slices. It owns no buffers, sockets or goroutines and keeps no state, so
// every function is safe for concurrent use (a Request is not).
//
// # Data flow
//
// A proxy session reads from the client socket into a buffer it owns and
// calls ParseRequest on the unread part with a Request it reuses. The
// request's name, keys, flag tokens and data block come back as subslices
// of that buffer, so nothing is copied or allocated; they stay valid until
// the session overwrites or compacts the buffer. ParseRequest returns the
// bytes the request took, and the next one is parsed at buf[n:].
//
// When the buffer ends inside a request, ParseRequest returns ErrIncomplete
// with the total length the buffer must reach before another attempt can
// change the outcome: one byte more while the command line is open, the end
// of the data block once a storage line is complete, so a large value is
// not re-parsed on every read.
//
// A request memcached would refuse gives an *Error: the reply memcached
// sends (AppendReply; empty after noreply), whether it closes the
// connection, and n set to exactly what memcached consumes, so the session
// stays in step with the client as memcached would. memcached reads a bad
// storage line alone (its data block is then read as commands, and mostly
// answered ERROR), swallows a too-large data block unread (n may then reach
// past the buffer: the session discards bytes as they arrive) and closes a
// connection whose command line grows past its limit. The parser follows
// memcached 1.6's proto_text.c, number parsing quirks included (see num.go);
// a differential test checks its verdicts against a real memcached.
//
// Meta command flags are passed through unchecked, since the server answers
// bad ones itself and newer servers add flags; ParseRequest only pulls out
// what a proxy needs: the key, q (Quiet), O (Opaque) and b (Base64).
//
// # Where fae differs from memcached
//
//   - A command line longer than MaxLine is refused even when its newline
//     came in the same read; memcached's verdict depends on read sizes.
//   - MaxValue counts the value's bytes; memcached's item size limit also
//     counts its item header and key, so it refuses values a few dozen
//     bytes shorter. A server refusing a value fae let through swallows it
//     too, so the stream stays in step.
//   - An ms line with a bad flag and a bad or too-large data block is
//     refused for the block, where memcached names the flag; both consume
//     the same bytes.
//   - A get with a key over MaxKey is refused on its own; memcached 1.6.18
//     also drops the unsent replies of pipelined commands before it.
//   - Only the text protocol is spoken: a first byte of 0x80 (memcached's
//     binary protocol) is an unknown command.
//
// On the server side, a backend connection reads replies into its buffer and
// calls ReplyLen with the request it sent to find where each reply ends.
// Requests with noreply get no reply, and neither do quiet meta requests
// whose outcome is the nominal one, which is why a proxy should forward
// those without q (AppendRequestNoQuiet) and drop what Omitted names. The
// raw reply bytes are forwarded to the client as they are; NextValue walks
// the VALUE blocks of get replies so a split multi-get can be merged back
// in key order. The Append functions encode requests (AppendRequest,
// AppendGet for one server's share of a multi-get, AppendStorage) and
// replies into a caller's buffer.
package memcache
