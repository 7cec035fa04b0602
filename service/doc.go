// Package service is fae's client stack: Finagle's "server as a function"
// in Go. A Service answers requests; a Filter wraps a Service with one
// concern; Chain composes them once, at start-up.
//
// The filters, outermost first in the order fae builds them:
//
//	stats      requests, success, failures by cause, pending, latency
//	timeout    per request; an earlier context deadline wins
//	retry      idempotent requests and requests that never reached the
//	           server, with jittered backoff, within a retry Budget
//	accrual    failure accrual: an endpoint whose success rate falls under
//	           80% over 30 s, or that fails 5 times in a row, is marked dead
//	           and probed after a jittered backoff (5 s doubling to 300 s)
//	breaker    a circuit breaker (sony/gobreaker) where asked for
//	failfast   an endpoint whose connect failed is avoided while a
//	           background reconnect backs off (1 s doubling to 32 s)
//	balancer   power of two choices over replicas, by least outstanding
//	           requests or by peak-EWMA latency
//	pool       a connection pool for endpoints that cannot pipeline
//
// The policies (Accrual, Budget, Load) are plain objects as well as filters,
// so that fae's pipelined proxy, which completes requests through callbacks
// rather than blocking calls, applies the very same rules: see package proxy.
//
// Metrics holds the metrics of every layer in one prometheus registry.
//
// Nothing in this package starts a goroutine that its owner cannot stop:
// the ones that do (failfast's reconnect, the pool's idle reaper) stop on
// Close.
package service
