package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Fail fast defaults, used for zero FailFastConfig fields.
const (
	DefaultReconnectMin = time.Second
	DefaultReconnectMax = 32 * time.Second
)

// FailFastConfig configures a FailFast. IsConnectError and Reconnect are
// required; zero durations take the defaults documented on each.
type FailFastConfig struct {
	// IsConnectError reports whether err means the request could not reach
	// the endpoint (a refused or timed-out connect). Required. It must be
	// safe for concurrent use.
	IsConnectError func(err error) bool
	// Reconnect tries to connect to the endpoint and returns nil when it
	// could. It is called from the background reconnect goroutine only,
	// with a context that ends on Close. Required.
	Reconnect func(ctx context.Context) error
	// BackoffMin and BackoffMax bound the wait before each reconnect
	// attempt: BackoffMin before the first, doubling up to BackoffMax, each
	// spread by equal jitter. Defaults 1s and 32s.
	BackoffMin, BackoffMax time.Duration
}

// Validate reports a missing required field.
func (c *FailFastConfig) Validate() error {
	switch {
	case c.IsConnectError == nil:
		return errors.New("service: FailFastConfig.IsConnectError is required")
	case c.Reconnect == nil:
		return errors.New("service: FailFastConfig.Reconnect is required")
	}
	return nil
}

func (c *FailFastConfig) fill() {
	if c.BackoffMin <= 0 {
		c.BackoffMin = DefaultReconnectMin
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = max(DefaultReconnectMax, c.BackoffMin)
	}
}

// FailFast keeps requests away from one endpoint that cannot be connected
// to. After a request fails with a connect error the endpoint is marked
// unavailable: requests fail at once with an error wrapping ErrUnavailable
// (and so are retryable by Retry's default) while one background goroutine
// calls Reconnect, with jittered exponential backoff, until it succeeds and
// the endpoint is available again. The request that failed to connect is
// returned its error wrapped with ErrUnavailable as well.
//
// FailFast owns that goroutine: Close stops it and waits for it. It is safe
// for concurrent use. Use one FailFast per endpoint; its Filter may wrap
// that endpoint's service only.
type FailFast[Req, Rep any] struct {
	cfg  FailFastConfig
	down atomic.Bool // the endpoint is unavailable
	stop context.CancelFunc
	ctx  context.Context // ends on Close

	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup
}

// NewFailFast returns a FailFast for one endpoint, available, or the error
// of cfg.Validate.
func NewFailFast[Req, Rep any](cfg FailFastConfig) (*FailFast[Req, Rep], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.fill()
	ctx, stop := context.WithCancel(context.Background())
	return &FailFast[Req, Rep]{cfg: cfg, ctx: ctx, stop: stop}, nil
}

// Available reports whether requests are let through: false while a
// reconnect is under way and after Close.
func (f *FailFast[Req, Rep]) Available() bool { return !f.down.Load() && f.ctx.Err() == nil }

// Filter wraps next, the endpoint's service. Its method value f.Filter is a
// Filter[Req, Rep].
func (f *FailFast[Req, Rep]) Filter(next Service[Req, Rep]) Service[Req, Rep] {
	return Func[Req, Rep](func(ctx context.Context, req Req) (Rep, error) {
		var zero Rep
		switch {
		case f.ctx.Err() != nil:
			return zero, fmt.Errorf("fail fast: %w", ErrClosed)
		case f.down.Load():
			return zero, fmt.Errorf("%w: reconnecting", ErrUnavailable)
		}
		rep, err := next.Serve(ctx, req)
		if err != nil && f.cfg.IsConnectError(err) {
			f.markDown()
			if !errors.Is(err, ErrUnavailable) {
				err = fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
		}
		return rep, err
	})
}

// markDown marks the endpoint unavailable and starts the reconnect
// goroutine, unless it is down already or f is closed.
func (f *FailFast[Req, Rep]) markDown() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || !f.down.CompareAndSwap(false, true) {
		return
	}
	f.wg.Add(1)
	go f.reconnect()
}

// reconnect calls Reconnect after each backoff until it succeeds or f is
// closed.
func (f *FailFast[Req, Rep]) reconnect() {
	defer f.wg.Done()
	for attempt := 0; f.sleep(backoffDelay(f.cfg.BackoffMin, f.cfg.BackoffMax, attempt)); attempt++ {
		if f.cfg.Reconnect(f.ctx) == nil && f.ctx.Err() == nil {
			f.down.Store(false)
			return
		}
	}
}

// sleep waits d and reports true, or reports false as soon as f is closed.
func (f *FailFast[Req, Rep]) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-f.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Close stops the reconnect goroutine, waits for it to return, and fails
// later requests with ErrClosed. It is idempotent and always returns nil.
func (f *FailFast[Req, Rep]) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.stop()
	f.wg.Wait()
	return nil
}
