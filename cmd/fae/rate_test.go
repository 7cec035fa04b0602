package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/admin"
)

func buckets(pairs ...float64) []admin.Bucket {
	var bs []admin.Bucket
	for i := 0; i < len(pairs); i += 2 {
		bs = append(bs, admin.Bucket{LE: pairs[i], Count: int64(pairs[i+1])})
	}
	return bs
}

func TestQuantile(t *testing.T) {
	cases := []struct {
		name   string
		q      float64
		bs     []admin.Bucket
		want   float64 // NaN: no estimate
		beyond bool
	}{
		{"empty", 0.5, nil, math.NaN(), false},
		{"no requests", 0.5, buckets(1, 0, 2, 0, inf, 0), math.NaN(), false},
		{"first bucket starts at 0", 0.5, buckets(1, 10, 2, 10, inf, 10), 0.5, false},
		{"interpolated in the second bucket", 0.5, buckets(1, 20, 2, 80, 5, 100, inf, 100), 1.5, false},
		{"p99 in the third bucket", 0.99, buckets(1, 20, 2, 80, 5, 100, inf, 100), 4.85, false},
		{"rank on a bucket's top", 0.2, buckets(1, 20, 2, 80, 5, 100, inf, 100), 1, false},
		{"beyond the last bound", 0.99, buckets(1, 20, 2, 80, 5, 90, inf, 100), 5, true},
		{"everything beyond", 0.5, buckets(1, 0, inf, 7), 1, true},
		{"only the +Inf bucket", 0.5, buckets(inf, 7), math.NaN(), false},
		{"no +Inf bucket", 0.9, buckets(10, 50, 20, 100), 18, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := quantile(c.q, c.bs)
			if math.IsNaN(c.want) {
				if !math.IsNaN(got.MS) {
					t.Errorf("got %+v, want no estimate", got)
				}
				return
			}
			if math.Abs(got.MS-c.want) > 1e-9 || got.Beyond != c.beyond {
				t.Errorf("got %+v, want %g (beyond %v)", got, c.want, c.beyond)
			}
		})
	}
}

func TestDiffBuckets(t *testing.T) {
	cases := []struct {
		name            string
		prev, cur, want []admin.Bucket
	}{
		{"growing", buckets(1, 5, inf, 9), buckets(1, 7, inf, 15), buckets(1, 2, inf, 6)},
		{"new server", nil, buckets(1, 7, inf, 15), buckets(1, 7, inf, 15)},
		{"new bound", buckets(1, 5, inf, 9), buckets(1, 5, 2, 8, inf, 10), buckets(1, 0, 2, 8, inf, 1)},
		{"restarted", buckets(1, 5, inf, 9), buckets(1, 1, inf, 2), buckets(1, 1, inf, 2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := diffBuckets(c.prev, c.cur)
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("got %v, want %v", got, c.want)
					break
				}
			}
		})
	}
}

func TestRatesRestartAndClock(t *testing.T) {
	srv := func(req int64) admin.ServerStats {
		return admin.ServerStats{Name: "s", Role: "primary", Alive: true, Requests: req, LatencyBuckets: buckets(1, float64(req), inf, float64(req))}
	}
	at := func(sec int, req int64) *admin.Stats {
		return &admin.Stats{Time: time.Unix(int64(sec), 0), Pools: []admin.PoolStats{{Name: "p", Servers: []admin.ServerStats{srv(req)}}}}
	}
	cases := []struct {
		name      string
		prev, cur *admin.Stats
		wall      time.Duration
		wantD     time.Duration
		wantRate  float64
	}{
		{"faed's clock", at(10, 100), at(14, 300), time.Second, 4 * time.Second, 50},
		{"restarted: counted from zero", at(10, 1000), at(12, 40), time.Second, 2 * time.Second, 20},
		{"no clock: wall time", &admin.Stats{Pools: at(0, 0).Pools}, &admin.Stats{Pools: at(0, 30).Pools}, 3 * time.Second, 3 * time.Second, 10},
		{"clock went back: wall time", at(10, 0), at(9, 10), 2 * time.Second, 2 * time.Second, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := interval(c.prev, c.cur, c.wall)
			if d != c.wantD {
				t.Errorf("interval %v, want %v", d, c.wantD)
			}
			rs := rates(c.prev, c.cur, d)
			if len(rs) != 1 || rs[0].Requests != c.wantRate {
				t.Errorf("got %+v, want %g requests/s", rs, c.wantRate)
			}
		})
	}
}

// TestTopRedraw checks the terminal frames: cursor home and clear screen
// before each table.
func TestTopRedraw(t *testing.T) {
	var out bytes.Buffer
	v := &topView{out: &out, redraw: true}
	for i := range 2 {
		if err := v.show([]byte("table\n"), i); err != nil {
			t.Fatal(err)
		}
	}
	if want := strings.Repeat(ansiHome+ansiClear+"table\n", 2); out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestTopFetchFails checks that a failure after the first fetch is shown
// in place of a table and makes top exit 1 when it is the last refresh.
func TestTopFetchFails(t *testing.T) {
	f := newFakeAdmin(t, "", snapshots()...)
	f.failFrom = 3
	stdout, stderr, code := fae(t, "top", "-a", f.addr(), "-interval", "1ms", "-n", "2")
	wantCode(t, code, exitFailure, stdout, stderr)
	frames := strings.Split(stdout, "\n\n")
	last := frames[len(frames)-1]
	wantContains(t, "last frame", last, "fae top: GET /stats: 500 Internal Server Error: stats broke")
	wantContains(t, "first frame", stdout, "alpha  127.0.0.1:6379")
}
