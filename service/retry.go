package service

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Retry defaults, used for zero RetryConfig fields.
const (
	DefaultMaxRetries      = 2
	DefaultRetryBackoffMin = 5 * time.Millisecond
	DefaultRetryBackoffMax = 100 * time.Millisecond
)

// RetryConfig configures the Retry filter. Zero fields take the defaults
// documented on each; the filled-in copy is never shared with the caller.
type RetryConfig[Req any] struct {
	// Budget bounds retries to a share of the requests. Nil means a budget
	// of NewBudget(BudgetConfig{}) (20% plus 10 a second), made by Retry
	// and shared by every service its filter wraps.
	Budget *Budget
	// MaxRetries is the most retries of one request. Zero means
	// DefaultMaxRetries; a negative value means none.
	MaxRetries int
	// BackoffMin and BackoffMax bound the wait before a retry: BackoffMin
	// before the first, doubling up to BackoffMax, each spread by equal
	// jitter (half fixed, half random). Defaults 5ms and 100ms.
	BackoffMin, BackoffMax time.Duration
	// Retryable reports whether req may be sent again after it failed with
	// err. Nil means errors.Is(err, ErrUnavailable): only requests that
	// never reached the server are retried. It must be safe for concurrent
	// use.
	Retryable func(req Req, err error) bool
	// Metrics counts retries and refusals by the budget; nil counts
	// nothing.
	Metrics *Client
}

func (c *RetryConfig[Req]) fill() {
	if c.Budget == nil {
		c.Budget = NewBudget(BudgetConfig{})
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = DefaultRetryBackoffMin
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = max(DefaultRetryBackoffMax, c.BackoffMin)
	}
	if c.Retryable == nil {
		c.Retryable = func(_ Req, err error) bool { return errors.Is(err, ErrUnavailable) }
	}
}

// Retry returns a filter that sends a failed request again when
// cfg.Retryable allows it, up to cfg.MaxRetries times, after a jittered
// backoff, as long as the retry budget has room. Every request deposits
// into the budget once; every retry withdraws. When the budget is empty the
// last error is returned wrapped so that both errors.Is(err,
// ErrBudgetExhausted) and errors.Is(err, last) hold. A retry is not
// attempted when its backoff would end past the context's deadline or the
// context has ended: the last error is returned as it is. The returned
// Service is safe for concurrent use if next is.
func Retry[Req, Rep any](cfg RetryConfig[Req]) Filter[Req, Rep] {
	cfg.fill()
	return func(next Service[Req, Rep]) Service[Req, Rep] {
		r := &retrier[Req, Rep]{cfg: cfg, next: next}
		return Func[Req, Rep](r.serve)
	}
}

type retrier[Req, Rep any] struct {
	cfg  RetryConfig[Req]
	next Service[Req, Rep]
}

func (r *retrier[Req, Rep]) serve(ctx context.Context, req Req) (Rep, error) {
	r.cfg.Budget.Deposit(time.Now())
	for attempt := 0; ; attempt++ {
		rep, err := r.next.Serve(ctx, req)
		if err == nil || attempt >= r.cfg.MaxRetries || !r.cfg.Retryable(req, err) {
			return rep, err
		}
		if err := r.wait(ctx, attempt, err); err != nil {
			return rep, err
		}
	}
}

// wait decides whether the request that failed with err on attempt may be
// retried and waits for its backoff. A nil result means retry now.
func (r *retrier[Req, Rep]) wait(ctx context.Context, attempt int, err error) error {
	d := backoffDelay(r.cfg.BackoffMin, r.cfg.BackoffMax, attempt)
	now := time.Now()
	if dl, ok := ctx.Deadline(); ctx.Err() != nil || ok && !now.Add(d).Before(dl) {
		return err
	}
	if !r.cfg.Budget.Withdraw(now) {
		if m := r.cfg.Metrics; m != nil {
			m.BudgetExhausted.Inc()
		}
		return fmt.Errorf("%w: %w", ErrBudgetExhausted, err)
	}
	if m := r.cfg.Metrics; m != nil {
		m.Retries.Inc()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return err
	}
}

// backoffDelay returns the wait before retry attempt+1: lo doubled attempt
// times, capped at hi, with equal jitter (half of it fixed, half uniformly
// random) so that clients that failed together do not retry together.
func backoffDelay(lo, hi time.Duration, attempt int) time.Duration {
	d := min(lo, hi)
	for i := 0; i < attempt && d < hi; i++ {
		if d > hi/2 {
			d = hi
		} else {
			d *= 2
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
