// Package nutstats serves faed's counters in twemproxy's (nutcracker's)
// stats format, so that monitoring written for nutcracker's stats port
// (Datadog's and Telegraf's twemproxy checks, collectd, Diamond, munin
// plugins, shell one-liners) keeps working when faed replaces it.
//
// # Data flow
//
// A client connects to the stats port (`faed -s PORT`, address `-a ADDR`;
// nutcracker's defaults are port 22222 on 0.0.0.0, DefaultPort and
// DefaultAddr). The Server calls its snapshot func for an admin.Stats,
// Render turns it into nutcracker's document, the Server writes it and
// closes the connection. The client sends nothing; tools read until EOF (or
// one line: the document is a single line ending in "\n").
//
// The document is the one nutcracker 0.5.0 writes, byte for byte in layout:
// the same keys in the same order with the same spacing (", " after a
// number or string, "," after an object). Render documents how each faed
// counter maps onto a nutcracker field; fields faed has no counter for are
// written as 0, so every key a tool looks up is present.
//
// Unlike nutcracker, which aggregates its counters every stats interval
// (-i, 30 s by default) and serves the last aggregate, faed takes a fresh
// snapshot for each connection.
//
// # Goroutines
//
// Listen starts one accept goroutine; each accepted connection gets one
// goroutine that writes the document and closes it (a connection lives at
// most about 5.5 s: a 5 s write deadline, then 0.5 s for the client to
// close). Close stops the accept loop, closes the open connections and waits
// for all of these goroutines.
//
// # Locks
//
// Server.mu guards the set of open connections and the closed flag; it is
// never held while writing to a connection or while waiting.
package nutstats
