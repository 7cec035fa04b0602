package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fastRetry is a RetryConfig with microsecond backoffs.
func fastRetry(b *Budget, m *Client) RetryConfig[string] {
	return RetryConfig[string]{Budget: b, BackoffMin: time.Microsecond, BackoffMax: 10 * time.Microsecond, Metrics: m}
}

func TestRetry(t *testing.T) {
	unavail := errors.Join(ErrUnavailable, errTestConnect)
	empty := BudgetConfig{Percent: -1, MinPerSec: -1}
	tests := []struct {
		name         string
		errs         []error
		budget       BudgetConfig
		maxRetries   int
		retryable    func(string, error) bool
		wantCalls    int64
		wantErrs     []error // each must satisfy errors.Is; none: want success
		wantRetries  float64
		wantExhausts float64
	}{
		{name: "success", errs: []error{nil}, wantCalls: 1},
		{name: "unavailable then success", errs: []error{unavail, nil}, wantCalls: 2, wantRetries: 1},
		{name: "not retryable", errs: []error{errTestApp, nil}, wantCalls: 1, wantErrs: []error{errTestApp}},
		{name: "max retries", errs: []error{unavail}, wantCalls: 3, wantErrs: []error{ErrUnavailable, errTestConnect}, wantRetries: 2},
		{name: "max retries 4", errs: []error{unavail}, maxRetries: 4, wantCalls: 5, wantErrs: []error{ErrUnavailable}, wantRetries: 4},
		{name: "retries off", errs: []error{unavail, nil}, maxRetries: -1, wantCalls: 1, wantErrs: []error{ErrUnavailable}},
		{name: "budget empty", errs: []error{unavail, nil}, budget: empty, wantCalls: 1,
			wantErrs: []error{ErrBudgetExhausted, ErrUnavailable, errTestConnect}, wantExhausts: 1},
		{name: "custom retryable", errs: []error{errTestApp, nil}, wantCalls: 2, wantRetries: 1,
			retryable: func(req string, err error) bool { return req == "get" && errors.Is(err, errTestApp) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := filterTestMetrics(t).Client("p")
			cfg := fastRetry(NewBudget(tt.budget), m)
			cfg.MaxRetries, cfg.Retryable = tt.maxRetries, tt.retryable
			backend := &scriptService{errs: tt.errs}
			s := Retry[string, string](cfg)(backend)
			rep, err := s.Serve(context.Background(), "get")
			if len(tt.wantErrs) == 0 && (err != nil || rep != "ok") {
				t.Errorf("Serve = %q, %v; want \"ok\", nil", rep, err)
			}
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want one wrapping %q", err, want)
				}
			}
			if got := backend.calls.Load(); got != tt.wantCalls {
				t.Errorf("backend calls = %d, want %d", got, tt.wantCalls)
			}
			if got := testutil.ToFloat64(m.Retries); got != tt.wantRetries {
				t.Errorf("retries = %v, want %v", got, tt.wantRetries)
			}
			if got := testutil.ToFloat64(m.BudgetExhausted); got != tt.wantExhausts {
				t.Errorf("budget exhausted = %v, want %v", got, tt.wantExhausts)
			}
		})
	}
}

// TestRetryBudgetShared sends 50 requests to a backend that is always
// unavailable through a 20% budget with no reserve: request k may retry
// only while retries < k/5, so exactly 10 are retried.
func TestRetryBudgetShared(t *testing.T) {
	m := filterTestMetrics(t).Client("p")
	cfg := fastRetry(NewBudget(BudgetConfig{MinPerSec: -1}), m)
	cfg.MaxRetries = 1
	backend := &scriptService{errs: []error{ErrUnavailable}}
	s := Retry[string, string](cfg)(backend)
	exhausted := 0
	for range 50 {
		if _, err := s.Serve(context.Background(), "x"); errors.Is(err, ErrBudgetExhausted) {
			exhausted++
		}
	}
	if got := testutil.ToFloat64(m.Retries); got != 10 {
		t.Errorf("retries = %v, want 10", got)
	}
	if exhausted != 40 || testutil.ToFloat64(m.BudgetExhausted) != 40 {
		t.Errorf("exhausted = %d (metric %v), want 40", exhausted, testutil.ToFloat64(m.BudgetExhausted))
	}
	if got := backend.calls.Load(); got != 60 {
		t.Errorf("backend calls = %d, want 60", got)
	}
}

func TestRetryRespectsContext(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"deadline before backoff ends", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}},
		{"canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := filterTestMetrics(t).Client("p")
			cfg := RetryConfig[string]{BackoffMin: time.Hour, Metrics: m}
			backend := &scriptService{errs: []error{ErrUnavailable, nil}}
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			_, err := Retry[string, string](cfg)(backend).Serve(ctx, "x")
			if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBudgetExhausted) {
				t.Errorf("err = %v, want the last error, ErrUnavailable", err)
			}
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("Serve waited %v, past the context's deadline", elapsed)
			}
			if backend.calls.Load() != 1 || testutil.ToFloat64(m.Retries) != 0 {
				t.Errorf("calls = %d, retries = %v; want 1 and 0", backend.calls.Load(), testutil.ToFloat64(m.Retries))
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	const lo, hi = 10 * time.Millisecond, 100 * time.Millisecond
	tests := []struct {
		attempt int
		min     time.Duration
		max     time.Duration
	}{
		{0, 5 * time.Millisecond, 10 * time.Millisecond},
		{1, 10 * time.Millisecond, 20 * time.Millisecond},
		{3, 40 * time.Millisecond, 80 * time.Millisecond},
		{4, 50 * time.Millisecond, 100 * time.Millisecond},
		{1000, 50 * time.Millisecond, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		for range 100 {
			if got := backoffDelay(lo, hi, tt.attempt); got < tt.min || got > tt.max {
				t.Fatalf("backoffDelay(attempt %d) = %v, want within [%v, %v]", tt.attempt, got, tt.min, tt.max)
			}
		}
	}
}
