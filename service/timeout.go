package service

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Timeout returns a filter that gives each request at most d to complete.
// The next service gets a context that ends after d, or at the caller's
// deadline when that is earlier. When that context's deadline passes and
// next fails, the error wraps ErrTimeout as well as next's error (usually
// context.DeadlineExceeded), so errors.Is works for both. A reply that
// arrives in time is returned as it is.
//
// The filter starts no goroutine: it relies on next honouring its context,
// as the Service contract requires. A d of zero or less means no timeout;
// the filter then returns next unchanged. The returned Service is safe for
// concurrent use if next is.
func Timeout[Req, Rep any](d time.Duration) Filter[Req, Rep] {
	return func(next Service[Req, Rep]) Service[Req, Rep] {
		if d <= 0 {
			return next
		}
		return Func[Req, Rep](func(ctx context.Context, req Req) (Rep, error) {
			tctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			rep, err := next.Serve(tctx, req)
			if err != nil && errors.Is(tctx.Err(), context.DeadlineExceeded) && !errors.Is(err, ErrTimeout) {
				return rep, timeoutError(ctx, d, err)
			}
			return rep, err
		})
	}
}

// timeoutError wraps err, the failure of a request whose deadline passed,
// with ErrTimeout and says whose deadline it was.
func timeoutError(parent context.Context, d time.Duration, err error) error {
	if errors.Is(parent.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: caller's deadline passed: %w", ErrTimeout, err)
	}
	return fmt.Errorf("%w after %v: %w", ErrTimeout, d, err)
}
