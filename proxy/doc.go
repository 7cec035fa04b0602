// Package proxy is faed's Redis front: it listens for each pool, runs one
// session per client connection, routes every request by key to a server of
// the pool and writes the replies back in request order.
//
// Data flow: a session's reader goroutine reads into its own buffer, parses
// requests with package resp (arguments alias the buffer), classifies them
// with package rediscmd and either answers locally, forwards the raw bytes to
// the key's server (package backend), or splits a multi-key command into one
// part per server. Every request becomes a call pushed on the session's
// bounded FIFO; when the FIFO is full the reader stops reading, which bounds
// pipelining per client. After draining what it read, the reader flushes the
// backend connections it touched, so a pipelined batch goes out in one write
// per server. The writer goroutine pops calls in order, waits until each is
// ready, merges split replies (MGET arrays in key order, MSET +OK, integer
// sums) and writes; it flushes when it would wait or every 64 KiB.
//
// Goroutines: Server owns one accept loop per pool and two goroutines per
// client session; Close stops accepting, closes client connections, waits for
// every session and then closes the pools (failing calls still in flight).
//
// Routing: Pool keeps an immutable snapshot of the distribution over its live
// servers in an atomic pointer; ejection (auto_eject_hosts) and revival swap
// in a new snapshot under Pool.mu. A session always uses the same connection
// index of a server, so its requests to one server keep their order.
//
// Locks: Server.mu guards the client set; Pool.mu guards rebuilds; the fifo
// has its own mutex. None is held while calling into package backend.
package proxy
