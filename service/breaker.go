package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Circuit breaker defaults, used for zero BreakerConfig fields.
const (
	DefaultBreakerFailures    = 5
	DefaultBreakerOpenTimeout = 5 * time.Second
	DefaultBreakerHalfOpen    = 1
)

// BreakerConfig configures the Breaker filter. Zero fields take the
// defaults documented on each.
type BreakerConfig struct {
	// Name names the breaker in OnStateChange. Default "".
	Name string
	// ConsecutiveFailures opens the breaker after this many failures in a
	// row while it is closed. Default 5.
	ConsecutiveFailures uint32
	// OpenTimeout is how long the breaker stays open before it lets
	// requests through again, half-open. Default 5s.
	OpenTimeout time.Duration
	// HalfOpenRequests is how many requests a half-open breaker lets
	// through; when they all succeed it closes, when one fails it opens
	// again. Default 1.
	HalfOpenRequests uint32
	// Interval is how often a closed breaker clears its counts. Zero means
	// never: only a success resets the consecutive failures.
	Interval time.Duration
	// IsFailure tells failures from successes. Nil means err != nil.
	// Errors wrapping context.Canceled are never counted either way.
	IsFailure func(error) bool
	// OnStateChange, if not nil, is called with the breaker's name and its
	// old and new state ("closed", "half-open" or "open") on every change.
	// It is called with the breaker's lock held: it must be quick and must
	// not send requests through the breaker.
	OnStateChange func(name, from, to string)
}

func (c *BreakerConfig) settings() gobreaker.Settings {
	if c.ConsecutiveFailures == 0 {
		c.ConsecutiveFailures = DefaultBreakerFailures
	}
	if c.OpenTimeout <= 0 {
		c.OpenTimeout = DefaultBreakerOpenTimeout
	}
	if c.HalfOpenRequests == 0 {
		c.HalfOpenRequests = DefaultBreakerHalfOpen
	}
	isFailure := c.IsFailure
	if isFailure == nil {
		isFailure = func(err error) bool { return err != nil }
	}
	st := gobreaker.Settings{
		Name:         c.Name,
		MaxRequests:  c.HalfOpenRequests,
		Interval:     c.Interval,
		Timeout:      c.OpenTimeout,
		ReadyToTrip:  func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= c.ConsecutiveFailures },
		IsSuccessful: func(err error) bool { return !isFailure(err) },
		IsExcluded:   func(err error) bool { return errors.Is(err, context.Canceled) },
	}
	if f := c.OnStateChange; f != nil {
		st.OnStateChange = func(name string, from, to gobreaker.State) { f(name, from.String(), to.String()) }
	}
	return st
}

// Breaker returns a filter that puts a circuit breaker (sony/gobreaker) in
// front of the service it wraps: after cfg.ConsecutiveFailures failures in
// a row it opens and fails requests at once with an error wrapping ErrOpen;
// after cfg.OpenTimeout it lets cfg.HalfOpenRequests requests through to
// decide whether to close again. Each service the filter wraps gets its own
// breaker. The returned Service is safe for concurrent use if next is.
func Breaker[Req, Rep any](cfg BreakerConfig) Filter[Req, Rep] {
	st := cfg.settings()
	return func(next Service[Req, Rep]) Service[Req, Rep] {
		cb := gobreaker.NewCircuitBreaker[Rep](st)
		return Func[Req, Rep](func(ctx context.Context, req Req) (Rep, error) {
			rep, err := cb.Execute(func() (Rep, error) { return next.Serve(ctx, req) })
			return rep, breakerError(cfg.Name, err)
		})
	}
}

// breakerError turns gobreaker's refusals into errors wrapping ErrOpen and
// passes other errors through.
func breakerError(name string, err error) error {
	if !errors.Is(err, gobreaker.ErrOpenState) && !errors.Is(err, gobreaker.ErrTooManyRequests) {
		return err
	}
	if name == "" {
		return fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return fmt.Errorf("%s: %w: %w", name, ErrOpen, err)
}
