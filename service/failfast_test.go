package service

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// ffBackend fails with errTestConnect until up is set.
type ffBackend struct {
	up    atomic.Bool
	calls atomic.Int64
}

func (b *ffBackend) Serve(context.Context, string) (string, error) {
	b.calls.Add(1)
	if !b.up.Load() {
		return "", errTestConnect
	}
	return "ok", nil
}

func isTestConnect(err error) bool { return errors.Is(err, errTestConnect) }

func newTestFailFast(t *testing.T, reconnect func(context.Context) error) *FailFast[string, string] {
	t.Helper()
	f, err := NewFailFast[string, string](FailFastConfig{
		IsConnectError: isTestConnect, Reconnect: reconnect,
		BackoffMin: time.Millisecond, BackoffMax: 4 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("NewFailFast: %v", err)
	}
	return f
}

func TestFailFastValidate(t *testing.T) {
	reconnect := func(context.Context) error { return nil }
	tests := []struct {
		name    string
		cfg     FailFastConfig
		wantErr bool
	}{
		{"complete", FailFastConfig{IsConnectError: isTestConnect, Reconnect: reconnect}, false},
		{"no IsConnectError", FailFastConfig{Reconnect: reconnect}, true},
		{"no Reconnect", FailFastConfig{IsConnectError: isTestConnect}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewFailFast[string, string](tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewFailFast error = %v, want error: %v", err, tt.wantErr)
			}
			if f != nil {
				f.Close()
			}
		})
	}
}

func TestFailFastReconnect(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	backend := &ffBackend{}
	attempts, results := make(chan struct{}), make(chan error)
	f := newTestFailFast(t, func(ctx context.Context) error {
		select {
		case attempts <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		return <-results
	})
	defer f.Close()
	s := f.Filter(backend)
	ctx := context.Background()

	if _, err := s.Serve(ctx, "x"); !errors.Is(err, ErrUnavailable) || !errors.Is(err, errTestConnect) {
		t.Fatalf("connect failure: err = %v, want ErrUnavailable wrapping it", err)
	}
	for i := range 3 {
		if _, err := s.Serve(ctx, "x"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("request %d while reconnecting: err = %v, want ErrUnavailable", i, err)
		}
	}
	if got := backend.calls.Load(); got != 1 {
		t.Fatalf("backend calls = %d, want 1: an unavailable endpoint must fail fast", got)
	}
	<-attempts
	results <- errTestConnect
	backend.up.Store(true)
	<-attempts
	results <- nil
	awaitCond(t, "the endpoint to become available", f.Available)
	if rep, err := s.Serve(ctx, "x"); err != nil || rep != "ok" {
		t.Errorf("after reconnect: Serve = %q, %v; want \"ok\", nil", rep, err)
	}
}

func TestFailFastOtherErrors(t *testing.T) {
	f := newTestFailFast(t, func(context.Context) error { return nil })
	defer f.Close()
	s := f.Filter(&scriptService{errs: []error{errTestApp}})
	for range 3 {
		if _, err := s.Serve(context.Background(), "x"); !errors.Is(err, errTestApp) || errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want the backend's error unchanged", err)
		}
	}
	if !f.Available() {
		t.Error("an error that is not a connect error made the endpoint unavailable")
	}
}

func TestFailFastOneReconnector(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var active, most atomic.Int32
	f := newTestFailFast(t, func(ctx context.Context) error {
		n := active.Add(1)
		defer active.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-ctx.Done()
		return ctx.Err()
	})
	s := f.Filter(&ffBackend{})
	done := make(chan struct{})
	for range 20 {
		go func() {
			s.Serve(context.Background(), "x")
			done <- struct{}{}
		}()
	}
	for range 20 {
		<-done
	}
	awaitCond(t, "a reconnect attempt", func() bool { return active.Load() == 1 })
	closed := make(chan error, 1)
	go func() { closed <- f.Close() }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not interrupt a Reconnect blocked on its context")
	}
	if got := most.Load(); got != 1 {
		t.Errorf("concurrent reconnects = %d, want 1", got)
	}
}

func TestFailFastClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var attempts atomic.Int64
	f := newTestFailFast(t, func(context.Context) error {
		attempts.Add(1)
		return errTestConnect
	})
	s := f.Filter(&ffBackend{})
	s.Serve(context.Background(), "x")
	awaitCond(t, "two reconnect attempts", func() bool { return attempts.Load() >= 2 })
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	n := attempts.Load()
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Serve(context.Background(), "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("Serve after Close: err = %v, want ErrClosed", err)
	}
	if f.Available() {
		t.Error("Available() after Close = true")
	}
	if got := attempts.Load(); got != n {
		t.Errorf("reconnect attempts went on after Close: %d, then %d", n, got)
	}
}
