// Package loadkit holds the pieces the bench load tools (chaosload, opsload,
// tierload, mcload) share: writing RESP commands and reading RESP and
// memcache replies off a bufio.Reader, a one-request-at-a-time RESP client,
// the start of a pool of worker goroutines, the "LABEL UNIXTIME" mark files
// the bench scripts append to, and the median of a series.
//
// Only Start starts goroutines, and its caller owns them; nothing keeps
// package-level state. A Client is for one goroutine at a time; the
// functions are safe for concurrent use on distinct readers.
package loadkit
