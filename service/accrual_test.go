package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// outcome is one request's result at a second after testT0.
type outcome struct {
	sec int
	ok  bool
}

// replay records outs in a and returns the index of the outcome that
// marked it dead, or -1. It fails the test if more than one did.
func replay(t *testing.T, a *Accrual, outs []outcome) int {
	t.Helper()
	removedAt := -1
	for i, o := range outs {
		if a.Record(testT0.Add(time.Duration(o.sec)*time.Second), o.ok) {
			if removedAt >= 0 {
				t.Fatalf("Record reported a second removal at %d (first at %d)", i, removedAt)
			}
			removedAt = i
		}
	}
	return removedAt
}

// repeat returns n outcomes ok at second sec.
func repeat(n, sec int, ok bool) []outcome {
	outs := make([]outcome, n)
	for i := range outs {
		outs[i] = outcome{sec, ok}
	}
	return outs
}

func TestAccrualRules(t *testing.T) {
	consec := AccrualConfig{Consecutive: 3, SuccessRate: -1}
	rate := AccrualConfig{Consecutive: -1, SuccessRate: 0.8, MinRequests: 10, Window: 30 * time.Second}
	tests := []struct {
		name string
		cfg  AccrualConfig
		outs []outcome
		want int // index of the removal, -1 for none
	}{
		{"consecutive: three failures", consec, repeat(3, 0, false), 2},
		{"consecutive: two failures", consec, repeat(2, 0, false), -1},
		{"consecutive: success resets", consec, []outcome{{0, false}, {0, false}, {0, true}, {0, false}, {0, false}}, -1},
		{"consecutive: after reset", consec, []outcome{{0, false}, {0, false}, {0, true}, {0, false}, {0, false}, {1, false}}, 5},
		{"consecutive: rule off", AccrualConfig{Consecutive: -1, SuccessRate: -1}, repeat(50, 0, false), -1},
		{"rate: under MinRequests", rate, append(repeat(4, 0, true), repeat(5, 0, false)...), -1},
		{"rate: at 80%", rate, append(repeat(8, 0, true), repeat(2, 1, false)...), -1},
		{"rate: under 80%", rate, append(repeat(7, 0, true), repeat(3, 1, false)...), 9},
		{"rate: old failures expire", rate, append(repeat(3, 0, false), append(repeat(8, 30, true), repeat(2, 31, false)...)...), -1},
		{"rate: within window", rate, append(repeat(3, 0, false), append(repeat(8, 29, true), repeat(2, 29, false)...)...), 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAccrual(tt.cfg)
			if got := replay(t, a, tt.outs); got != tt.want {
				t.Errorf("removed at outcome %d, want %d", got, tt.want)
			}
			if got, want := a.Alive(), tt.want < 0; got != want {
				t.Errorf("Alive() = %v, want %v", got, want)
			}
		})
	}
}

func TestAccrualProbeBackoff(t *testing.T) {
	a := NewAccrual(AccrualConfig{Consecutive: 1, DeadMin: time.Second, DeadMax: 5 * time.Second, Jitter: -1})
	if !a.ProbeAt().IsZero() {
		t.Fatalf("ProbeAt() = %v while alive, want zero", a.ProbeAt())
	}
	now := testT0
	if !a.Record(now, false) {
		t.Fatal("Record(failure) did not mark the endpoint dead")
	}
	if got, want := a.ProbeAt(), now.Add(time.Second); !got.Equal(want) {
		t.Fatalf("first ProbeAt() = %v, want %v", got, want)
	}
	for i, want := range []time.Duration{2, 4, 5, 5} {
		now = a.ProbeAt()
		if a.Probed(now, false) {
			t.Fatalf("failed probe %d revived the endpoint", i)
		}
		if got := a.ProbeAt().Sub(now); got != want*time.Second {
			t.Errorf("dead period after failed probe %d = %v, want %v", i, got, want*time.Second)
		}
	}
	if !a.Probed(a.ProbeAt(), true) || !a.Alive() {
		t.Fatal("a successful probe did not revive the endpoint")
	}
	if a.Probed(now, true) {
		t.Error("Probed on a live endpoint reported a revival")
	}
	a.Record(now, false)
	if got := a.ProbeAt().Sub(now); got != time.Second {
		t.Errorf("dead period after revival and failure = %v, want DeadMin 1s", got)
	}
}

func TestAccrualJitter(t *testing.T) {
	a := NewAccrual(AccrualConfig{DeadMin: time.Second}) // default jitter ±50%
	for range 200 {
		a.MarkDead(testT0)
		d := a.ProbeAt().Sub(testT0)
		if d < 500*time.Millisecond || d > 1500*time.Millisecond {
			t.Fatalf("jittered dead period %v, want within [0.5s, 1.5s]", d)
		}
		a.Revive()
	}
}

func TestAccrualRevive(t *testing.T) {
	a := NewAccrual(AccrualConfig{Consecutive: 3, SuccessRate: -1})
	if a.Revive() {
		t.Error("Revive of a live endpoint returned true")
	}
	replay(t, a, repeat(2, 0, false))
	if !a.MarkDead(testT0) || a.MarkDead(testT0) {
		t.Fatal("MarkDead: want true once, then false")
	}
	if !a.Revive() || !a.Alive() {
		t.Fatal("Revive did not bring the endpoint back")
	}
	if got := replay(t, a, repeat(2, 0, false)); got != -1 {
		t.Errorf("two failures after Revive removed the endpoint: failures before it were not forgotten")
	}
	if got := replay(t, a, repeat(1, 0, false)); got != 0 {
		t.Errorf("third failure after Revive: removal at %d, want 0", got)
	}
}

func TestFailureAccrualFilter(t *testing.T) {
	m := filterTestMetrics(t).Endpoint("p", "s")
	a := NewAccrual(AccrualConfig{Consecutive: 2, SuccessRate: -1, DeadMin: time.Hour})
	backend := &scriptService{errs: []error{errTestApp}}
	s := Chain[string, string](backend, FailureAccrual[string, string](a, nil, m))
	ctx := context.Background()
	for i := range 2 {
		if _, err := s.Serve(ctx, "x"); !errors.Is(err, errTestApp) {
			t.Fatalf("request %d: err = %v, want %v", i, err, errTestApp)
		}
	}
	if _, err := s.Serve(ctx, "x"); !errors.Is(err, ErrDead) {
		t.Fatalf("request to a dead endpoint: err = %v, want ErrDead", err)
	}
	if got := backend.calls.Load(); got != 2 {
		t.Errorf("backend calls = %d, want 2 (dead endpoint must fail fast)", got)
	}
	if got := testutil.ToFloat64(m.Removals); got != 1 {
		t.Errorf("removals = %v, want 1", got)
	}
}

func TestFailureAccrualProbe(t *testing.T) {
	tests := []struct {
		name      string
		probeErr  error
		wantAlive bool
	}{
		{"probe succeeds", nil, true},
		{"probe fails", errTestApp, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := filterTestMetrics(t).Endpoint("p", "s")
			a := NewAccrual(AccrualConfig{DeadMin: time.Minute})
			a.MarkDead(time.Now().Add(-time.Hour)) // probe due
			backend := &scriptService{errs: []error{tt.probeErr}}
			s := FailureAccrual[string, string](a, nil, m)(backend)
			if _, err := s.Serve(context.Background(), "x"); !errors.Is(err, tt.probeErr) {
				t.Fatalf("probe err = %v, want %v", err, tt.probeErr)
			}
			if a.Alive() != tt.wantAlive {
				t.Errorf("Alive() = %v, want %v", a.Alive(), tt.wantAlive)
			}
			wantRevivals := map[bool]float64{true: 1, false: 0}[tt.wantAlive]
			if got := testutil.ToFloat64(m.Revivals); got != wantRevivals {
				t.Errorf("revivals = %v, want %v", got, wantRevivals)
			}
			if !tt.wantAlive && !a.ProbeAt().After(time.Now()) {
				t.Errorf("after a failed probe ProbeAt() = %v, want in the future", a.ProbeAt())
			}
		})
	}
}

func TestFailureAccrualOneProbe(t *testing.T) {
	a := NewAccrual(AccrualConfig{DeadMin: time.Minute})
	a.MarkDead(time.Now().Add(-time.Hour))
	entered, release := make(chan struct{}), make(chan struct{})
	backend := Func[string, string](func(context.Context, string) (string, error) {
		entered <- struct{}{}
		<-release
		return "ok", nil
	})
	s := FailureAccrual[string, string](a, nil, nil)(backend)
	done := make(chan error, 1)
	go func() { _, err := s.Serve(context.Background(), "probe"); done <- err }()
	<-entered
	if _, err := s.Serve(context.Background(), "second"); !errors.Is(err, ErrDead) {
		t.Errorf("request during the probe: err = %v, want ErrDead", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if !a.Alive() {
		t.Error("endpoint still dead after a successful probe")
	}
}

func TestFailureAccrualIgnoresCallerCancel(t *testing.T) {
	a := NewAccrual(AccrualConfig{Consecutive: 1, SuccessRate: -1})
	backend := Func[string, string](func(ctx context.Context, _ string) (string, error) {
		return "", ctx.Err()
	})
	s := FailureAccrual[string, string](a, func(err error) bool { return err != nil }, nil)(backend)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Serve(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !a.Alive() {
		t.Error("a request canceled by its caller marked the endpoint dead")
	}
}
