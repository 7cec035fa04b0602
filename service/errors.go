package service

import (
	"context"
	"errors"
)

// Errors the filters of this package fail requests with. Filters pass other
// errors through unchanged; an edge (a proxy front end) turns them into its
// protocol's error reply.
var (
	// ErrTimeout means the request did not complete within its timeout.
	ErrTimeout = errors.New("timeout")
	// ErrDead means failure accrual has marked the endpoint dead; it is
	// tried again after a backoff.
	ErrDead = errors.New("marked dead by failure accrual")
	// ErrOpen means the endpoint's circuit breaker is open.
	ErrOpen = errors.New("circuit breaker open")
	// ErrUnavailable means the endpoint cannot be connected to now (fail
	// fast); a reconnect is under way in the background.
	ErrUnavailable = errors.New("endpoint unavailable")
	// ErrBudgetExhausted is wrapped with the last failure when a request
	// could have been retried but the retry budget was empty.
	ErrBudgetExhausted = errors.New("retry budget exhausted")
	// ErrBusy means a connection pool's waiter queue is full.
	ErrBusy = errors.New("busy: too many requests waiting for a connection")
	// ErrNoEndpoints means a balancer has no live endpoint to pick.
	ErrNoEndpoints = errors.New("no live endpoints")
	// ErrClosed means the service was closed.
	ErrClosed = errors.New("closed")
)

// Cause names the kind of a failure for the "failures" metric: one of
// "timeout", "dead", "open", "unavailable", "budget", "busy", "no_endpoints",
// "closed", "canceled" or "other". A nil error has cause "".
func Cause(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrDead):
		return "dead"
	case errors.Is(err, ErrOpen):
		return "open"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	case errors.Is(err, ErrBudgetExhausted):
		return "budget"
	case errors.Is(err, ErrBusy):
		return "busy"
	case errors.Is(err, ErrNoEndpoints):
		return "no_endpoints"
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other"
}
