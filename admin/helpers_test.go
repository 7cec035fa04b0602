package admin_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/prometheus/client_golang/prometheus"
)

// fakeTarget is an admin.Target whose counters the test steers. A server's
// request counter grows at a rate set with setRate, computed from the clock
// at each Stats call, so that a reader sees exact rates without a
// goroutine feeding it.
type fakeTarget struct {
	reg   *prometheus.Registry
	start time.Time

	mu         sync.Mutex
	stats      admin.Stats // the template: counters are filled by Stats
	meters     map[string]*meter
	ready      bool
	config     any
	reloadErr  error
	reloads    int
	reloadHook func() // called inside Reload, unlocked
	degradeErr error
	degraded   []admin.Switch
}

var _ admin.Target = (*fakeTarget)(nil)

// meter is a counter that grows at rate per second since since.
type meter struct {
	base  float64
	rate  float64
	since time.Time
}

func (m *meter) at(now time.Time) int64 {
	return int64(m.base + m.rate*now.Sub(m.since).Seconds())
}

// latencySplit is how the fake spreads requests over latency bounds: half
// in (0.5, 1] ms, 40% in (1, 5], 10% in (5, 10]. The quantiles over any
// interval are then p50 = 1 ms and p99 = 9.5 ms.
var latencySplit = []struct {
	le    float64
	share float64 // cumulative
}{{0.5, 0}, {1, 0.5}, {5, 0.9}, {10, 1}, {1e308, 1}}

func newFakeTarget() *fakeTarget {
	return &fakeTarget{
		reg:    prometheus.NewRegistry(),
		start:  time.Now(),
		meters: map[string]*meter{},
		ready:  true,
		config: map[string]any{"server": map[string]any{"admin_token": "<redacted>"}, "pools": []string{"alpha"}},
		stats: admin.Stats{
			Service: "faed",
			Version: "v9.9.9-test",
			Pools: []admin.PoolStats{{
				Name: "alpha", Listen: "127.0.0.1:7000", Protocol: "redis",
				Servers: []admin.ServerStats{
					{Name: "A", Role: "primary", Alive: true},
					{Name: "B", Role: "primary", Alive: false},
				},
			}},
		},
	}
}

// setRate makes server (in any pool) answer rate requests per second from now.
func (f *fakeTarget) setRate(server string, rate float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	m := f.meters[server]
	if m == nil {
		m = &meter{since: now}
		f.meters[server] = m
	}
	m.base, m.since, m.rate = float64(m.at(now)), now, rate
}

// edit changes the stats template under the lock.
func (f *fakeTarget) edit(fn func(s *admin.Stats)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(&f.stats)
}

func (f *fakeTarget) setReady(ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready = ok
}

func (f *fakeTarget) Stats() admin.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	s := f.stats
	s.Time, s.UptimeSeconds = now, now.Sub(f.start).Seconds()
	s.Switches = append([]admin.Switch(nil), f.stats.Switches...)
	s.Pools = make([]admin.PoolStats, len(f.stats.Pools))
	for i, p := range f.stats.Pools {
		p.Servers = append([]admin.ServerStats(nil), p.Servers...)
		p.Requests = 0
		for j := range p.Servers {
			sv := &p.Servers[j]
			if m := f.meters[sv.Name]; m != nil {
				sv.Requests = m.at(now)
				sv.Success = sv.Requests
			}
			sv.LatencyBuckets = split(sv.Requests)
			p.Requests += sv.Requests
		}
		p.Commands = []admin.CommandStats{{Name: "get", Requests: p.Requests, LatencyBuckets: split(p.Requests)}}
		s.Pools[i] = p
	}
	return s
}

// split spreads n requests over latencySplit as cumulative buckets.
func split(n int64) []admin.Bucket {
	out := make([]admin.Bucket, len(latencySplit))
	for i, b := range latencySplit {
		out[i] = admin.Bucket{LE: b.le, Count: int64(float64(n) * b.share)}
	}
	return out
}

func (f *fakeTarget) Gatherer() prometheus.Gatherer { return f.reg }

func (f *fakeTarget) Config() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.config
}

func (f *fakeTarget) Reload() error {
	f.mu.Lock()
	hook := f.reloadHook
	f.reloads++
	err := f.reloadErr
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return err
}

func (f *fakeTarget) Ready() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready
}

// errUnknownPool is what the fake's Degrade returns for a pool it lacks.
var errUnknownPool = errors.New("unknown pool")

func (f *fakeTarget) Degrade(sw admin.Switch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.degraded = append(f.degraded, sw)
	if f.degradeErr != nil {
		return f.degradeErr
	}
	if sw.Pool != "alpha" {
		return errors.Join(admin.ErrNotFound, errUnknownPool)
	}
	if sw.On {
		f.stats.Switches = append(f.stats.Switches, sw)
	}
	return nil
}

// newServer returns an admin server for f that is not listening; its
// Handler serves the requests of do.
func newServer(t *testing.T, cfg admin.Config, f *fakeTarget) *admin.Server {
	t.Helper()
	s, err := admin.New(cfg, f, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// startServer starts an admin server for f on a free loopback port and
// closes it at cleanup.
func startServer(t *testing.T, cfg admin.Config, f *fakeTarget) *admin.Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s := newServer(t, cfg, f)
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// do sends one request to h and returns the recorded answer.
func do(h http.Handler, method, target, token, body string) *httptest.ResponseRecorder {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
