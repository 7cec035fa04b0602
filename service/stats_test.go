package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func TestStats(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		isFailure   func(error) bool
		wantSuccess float64
		wantCause   string // "" for no failure
	}{
		{name: "success", wantSuccess: 1},
		{name: "timeout", err: ErrTimeout, wantCause: "timeout"},
		{name: "deadline", err: context.DeadlineExceeded, wantCause: "timeout"},
		{name: "dead", err: ErrDead, wantCause: "dead"},
		{name: "other", err: errTestApp, wantCause: "other"},
		{name: "error reply counts as success", err: errTestApp, wantSuccess: 1,
			isFailure: func(err error) bool { return err != nil && !errors.Is(err, errTestApp) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			metrics := filterTestMetrics(t)
			m := metrics.Endpoint("p", "s")
			pendingInside := -1.0
			backend := Func[string, string](func(context.Context, string) (string, error) {
				pendingInside = testutil.ToFloat64(m.Pending)
				time.Sleep(2 * time.Millisecond) // latency to measure
				return "", tt.err
			})
			Stats[string, string](m, tt.isFailure)(backend).Serve(context.Background(), "x")
			checkCounter(t, "requests", m.Requests, 1)
			checkCounter(t, "success", m.Success, tt.wantSuccess)
			checkCounter(t, "pending", m.Pending, 0)
			if pendingInside != 1 {
				t.Errorf("pending during the request = %v, want 1", pendingInside)
			}
			for _, cause := range []string{"timeout", "dead", "other"} {
				want := 0.0
				if cause == tt.wantCause {
					want = 1
				}
				checkCounter(t, "failures "+cause, metrics.failures.WithLabelValues("p", "s", cause), want)
			}
			checkLatency(t, m.Latency, 2, 1000)
		})
	}
}

func checkCounter(t *testing.T, name string, c prometheus.Collector, want float64) {
	t.Helper()
	if got := testutil.ToFloat64(c); got != want {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

// checkLatency checks that o holds one observation between lo and hi
// milliseconds.
func checkLatency(t *testing.T, o prometheus.Observer, lo, hi float64) {
	t.Helper()
	var d dto.Metric
	if err := o.(prometheus.Metric).Write(&d); err != nil {
		t.Fatalf("reading the latency histogram: %v", err)
	}
	h := d.GetHistogram()
	if h.GetSampleCount() != 1 || h.GetSampleSum() < lo || h.GetSampleSum() > hi {
		t.Errorf("latency: %d samples summing to %vms, want 1 between %vms and %vms", h.GetSampleCount(), h.GetSampleSum(), lo, hi)
	}
}
