// Package backend owns the long-lived, pipelined connections from faed to one
// backend server (redis-server, memcached) and the health of that server.
//
// Data flow: a client session builds a Call (the raw request bytes) and hands
// it to Conn.Send, which appends the bytes to the connection's write buffer and
// the call to its FIFO queue. Conn.Flush writes the buffer in one syscall; if
// another goroutine is already writing, the bytes ride along with its next
// write, so requests from many sessions share syscalls. The connection's reader
// goroutine scans replies off the socket, pops the queue head for each one and
// completes it (Call.Done). Replies are matched purely by FIFO order, which is
// why any doubt about the stream (a timeout, a read or write error) resets the
// connection: every call still queued fails, and no later request can ever be
// given a stale reply.
//
// Goroutines: per Conn, one writer goroutine (started with the Server, stopped
// by Server.Close) that takes over flushing when a sender's write leaves bytes
// behind, one dialer goroutine while connecting, and one reader goroutine per
// established socket, which exits when that socket is closed.
//
// Locks: Conn.mu guards the socket, the queue and the write buffer. It is never
// held while calling Call.Done or while blocked in a syscall other than a write
// of a bounded buffer... (writes happen outside the lock). Server health
// fields are atomics.
//
// Timeouts: each call may carry a deadline. The socket's read deadline is set
// lazily to the deadline of the oldest queued call; when it fires the reader
// checks the head again, and only a head that really expired resets the
// connection (ErrTimeout for the head, ErrReset for the calls behind it).
package backend
