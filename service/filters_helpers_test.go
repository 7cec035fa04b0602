package service

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testT0 is the fake clock's epoch for the policy tests: a realistic unix
// time, so that window buckets never meet their zero second.
var testT0 = time.Unix(1_700_000_000, 0)

// errTestConnect and errTestApp are a backend's connect failure and an
// ordinary failure.
var (
	errTestConnect = errors.New("test: connection refused")
	errTestApp     = errors.New("test: backend failed")
)

// awaitCond polls cond every millisecond until it holds, failing the test
// after five seconds.
func awaitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// scriptService answers the i-th call with errs[i] (nil: the reply "ok");
// calls past the script repeat its last entry. It counts calls.
type scriptService struct {
	mu    sync.Mutex
	errs  []error
	calls atomic.Int64
}

func (s *scriptService) Serve(_ context.Context, _ string) (string, error) {
	n := int(s.calls.Add(1)) - 1
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) == 0 {
		return "ok", nil
	}
	err := s.errs[min(n, len(s.errs)-1)]
	if err != nil {
		return "", err
	}
	return "ok", nil
}

// filterTestMetrics returns unregistered metrics.
func filterTestMetrics(t *testing.T) *Metrics {
	t.Helper()
	m, err := NewMetrics(nil)
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	return m
}
