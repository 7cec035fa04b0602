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
// client session; each pool with failure accrual owns a health checker
// (health.go) that probes dead servers, or every server when the pool has
// replicas or a failover pool. Close stops accepting, closes client
// connections, waits for every session and then closes the pools (stopping
// their health checkers first, then failing calls still in flight).
//
// Routing: Pool keeps an immutable snapshot of the distribution over its
// servers in an atomic pointer; with auto_eject_hosts a server marked dead
// and revived swaps in a new snapshot under Pool.mu. pick turns a key into a
// target: the shard, a replica for a read (read_policy), or, for a dead
// shard, a live replica or the failover pool. A session always uses the same
// connection index of a server, so its requests to one server keep their
// order.
//
// Client stack (stack.go): begin and end bracket every call sent to a
// backend: metrics, retry budget, breaker, failure accrual, and the retry
// decision, taken in the goroutine that completes the call (a retry is sent
// from a timer after a short backoff).
//
// Locks: Server.mu guards the client set; Pool.mu guards rebuilds; the fifo
// has its own mutex. None is held while calling into package backend.
package proxy
