package service_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fae-dev/fae/service"
)

// trace is a filter that prints when a request passes it.
func trace(name string) service.Filter[string, string] {
	return func(next service.Service[string, string]) service.Service[string, string] {
		return service.Func[string, string](func(ctx context.Context, req string) (string, error) {
			fmt.Println(name, "in")
			defer fmt.Println(name, "out")
			return next.Serve(ctx, req)
		})
	}
}

func ExampleChain() {
	backend := service.Func[string, string](func(_ context.Context, req string) (string, error) {
		fmt.Println("backend")
		return strings.ToUpper(req), nil
	})
	s := service.Chain(backend, trace("outer"), trace("inner"))
	fmt.Println(s.Serve(context.Background(), "hello"))
	// Output:
	// outer in
	// inner in
	// backend
	// inner out
	// outer out
	// HELLO <nil>
}

func ExampleRetry() {
	calls := 0
	backend := service.Func[string, string](func(context.Context, string) (string, error) {
		calls++
		if calls == 1 {
			return "", fmt.Errorf("%w: connection refused", service.ErrUnavailable)
		}
		return "PONG", nil
	})
	s := service.Retry[string, string](service.RetryConfig[string]{})(backend)
	fmt.Println(s.Serve(context.Background(), "PING"))
	fmt.Println("calls:", calls)

	// A budget with no room: the failure is returned, marked as such.
	calls = 0
	empty := service.NewBudget(service.BudgetConfig{Percent: -1, MinPerSec: -1})
	s = service.Retry[string, string](service.RetryConfig[string]{Budget: empty})(backend)
	_, err := s.Serve(context.Background(), "PING")
	fmt.Println(err)
	fmt.Println(errors.Is(err, service.ErrBudgetExhausted), errors.Is(err, service.ErrUnavailable))
	// Output:
	// PONG <nil>
	// calls: 2
	// retry budget exhausted: endpoint unavailable: connection refused
	// true true
}

func ExampleFailureAccrual() {
	a := service.NewAccrual(service.AccrualConfig{Consecutive: 2})
	backend := service.Func[string, string](func(context.Context, string) (string, error) {
		return "", errors.New("connection reset")
	})
	s := service.FailureAccrual[string, string](a, nil, nil)(backend)
	for i := range 3 {
		_, err := s.Serve(context.Background(), "GET k")
		fmt.Printf("request %d: dead=%v alive=%v\n", i, errors.Is(err, service.ErrDead), a.Alive())
	}
	a.Revive()
	fmt.Println("revived:", a.Alive())
	// Output:
	// request 0: dead=false alive=true
	// request 1: dead=false alive=false
	// request 2: dead=true alive=false
	// revived: true
}

func ExampleTimeout() {
	slow := service.Func[string, string](func(ctx context.Context, _ string) (string, error) {
		<-ctx.Done() // a backend that never answers
		return "", ctx.Err()
	})
	s := service.Timeout[string, string](10 * time.Millisecond)(slow)
	_, err := s.Serve(context.Background(), "GET k")
	fmt.Println(err)
	fmt.Println(errors.Is(err, service.ErrTimeout), service.Cause(err))
	// Output:
	// timeout after 10ms: context deadline exceeded
	// true timeout
}

func ExampleBreaker() {
	failing := service.Func[string, string](func(context.Context, string) (string, error) {
		return "", errors.New("server error")
	})
	s := service.Breaker[string, string](service.BreakerConfig{Name: "cache", ConsecutiveFailures: 2})(failing)
	for range 3 {
		_, err := s.Serve(context.Background(), "GET k")
		fmt.Println(err)
	}
	// Output:
	// server error
	// server error
	// cache: circuit breaker open: circuit breaker is open
}

func ExampleNewFailFast() {
	refused := errors.New("connection refused")
	ff, err := service.NewFailFast[string, string](service.FailFastConfig{
		IsConnectError: func(err error) bool { return errors.Is(err, refused) },
		Reconnect:      func(ctx context.Context) error { return refused }, // still down
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ff.Close() // stops the background reconnect
	down := service.Func[string, string](func(context.Context, string) (string, error) { return "", refused })
	s := service.Chain(down, ff.Filter)
	for range 2 {
		_, err := s.Serve(context.Background(), "GET k")
		fmt.Println(err)
	}
	// Output:
	// endpoint unavailable: connection refused
	// endpoint unavailable: reconnecting
}
