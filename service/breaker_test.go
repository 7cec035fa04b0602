package service

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
)

// switchService fails with err while failing is set; while block is set it
// signals entered and waits for release before replying.
type switchService struct {
	failing, block atomic.Bool
	entered        chan struct{}
	release        chan struct{}
	calls          atomic.Int64
}

func (s *switchService) Serve(context.Context, string) (string, error) {
	s.calls.Add(1)
	if s.block.Load() {
		s.entered <- struct{}{}
		<-s.release
	}
	if s.failing.Load() {
		return "", errTestApp
	}
	return "ok", nil
}

// transitions records a breaker's state changes.
type transitions struct {
	mu  sync.Mutex
	got []string
}

func (tr *transitions) record(name, from, to string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.got = append(tr.got, name+":"+from+"->"+to)
}

func (tr *transitions) list() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.got)
}

func TestBreaker(t *testing.T) {
	tr := &transitions{}
	backend := &switchService{entered: make(chan struct{}), release: make(chan struct{})}
	backend.failing.Store(true)
	s := Breaker[string, string](BreakerConfig{
		Name: "b", ConsecutiveFailures: 3, OpenTimeout: 20 * time.Millisecond, OnStateChange: tr.record,
	})(backend)
	ctx := context.Background()
	for i := range 3 {
		if _, err := s.Serve(ctx, "x"); !errors.Is(err, errTestApp) {
			t.Fatalf("request %d: err = %v, want the backend's", i, err)
		}
	}
	_, err := s.Serve(ctx, "x")
	if !errors.Is(err, ErrOpen) || backend.calls.Load() != 3 {
		t.Fatalf("after 3 failures: err = %v, calls = %d; want ErrOpen and 3", err, backend.calls.Load())
	}

	// Half-open: one request goes through; a second one meanwhile is refused.
	backend.failing.Store(false)
	backend.block.Store(true)
	probe := make(chan error, 1)
	go func() { probe <- serveUntilAdmitted(s) }()
	<-backend.entered
	if _, err := s.Serve(ctx, "x"); !errors.Is(err, ErrOpen) || !errors.Is(err, gobreaker.ErrTooManyRequests) {
		t.Errorf("second request while half-open: err = %v, want ErrOpen", err)
	}
	backend.block.Store(false)
	close(backend.release)
	if err := <-probe; err != nil {
		t.Fatalf("half-open request: %v", err)
	}
	if _, err := s.Serve(ctx, "x"); err != nil {
		t.Errorf("after a successful half-open request: err = %v, want the breaker closed", err)
	}
	want := []string{"b:closed->open", "b:open->half-open", "b:half-open->closed"}
	if got := tr.list(); !slices.Equal(got, want) {
		t.Errorf("transitions = %q, want %q", got, want)
	}
}

// serveUntilAdmitted sends requests until the breaker lets one through,
// for at most five seconds, and returns its error.
func serveUntilAdmitted(s Service[string, string]) error {
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		_, err := s.Serve(context.Background(), "x")
		if !errors.Is(err, ErrOpen) || time.Now().After(deadline) {
			return err
		}
		<-tick.C
	}
}

func TestBreakerCounting(t *testing.T) {
	canceled := func(context.Context, string) (string, error) { return "", context.Canceled }
	appErr := func(context.Context, string) (string, error) { return "", errTestApp }
	tests := []struct {
		name     string
		cfg      BreakerConfig
		backend  Func[string, string]
		n        int
		wantOpen bool
	}{
		{"default opens after 5", BreakerConfig{}, appErr, 5, true},
		{"default closed after 4", BreakerConfig{}, appErr, 4, false},
		{"cancellations not counted", BreakerConfig{ConsecutiveFailures: 1}, canceled, 10, false},
		{"IsFailure", BreakerConfig{ConsecutiveFailures: 1, IsFailure: func(err error) bool { return !errors.Is(err, errTestApp) }}, appErr, 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Breaker[string, string](tt.cfg)(tt.backend)
			for range tt.n {
				s.Serve(context.Background(), "x")
			}
			_, err := s.Serve(context.Background(), "x")
			if got := errors.Is(err, ErrOpen); got != tt.wantOpen {
				t.Errorf("after %d failures: err = %v, open = %v, want %v", tt.n, err, got, tt.wantOpen)
			}
		})
	}
}
