package main

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/fae-dev/fae/admin"
)

// infBound is the smallest bucket bound read as +Inf: faed writes +Inf as
// 1e308, which JSON can carry.
const infBound = 1e308

// serverRate is one server's activity between two snapshots.
type serverRate struct {
	Pool, Server, Role, State string
	Requests                  float64 // per second
	Errors                    float64 // failures per second
	Timeouts                  float64 // per second
	// P50 and P99 are latency quantiles over the interval.
	P50, P99       estimate
	Pending, Conns int64 // now
}

// serverID names a server across snapshots.
type serverID struct{ pool, server, role string }

// interval returns the time between two snapshots: by faed's clock when both
// carry a time, else wall, the time between the fetches.
func interval(prev, cur *admin.Stats, wall time.Duration) time.Duration {
	if !prev.Time.IsZero() && !cur.Time.IsZero() {
		if d := cur.Time.Sub(prev.Time); d > 0 {
			return d
		}
	}
	return wall
}

// rates returns each server of cur with its rates since prev over d, sorted
// by pool name, then requests per second (highest first), then server.
// A server new in cur, or whose counters went back (faed restarted), is
// measured from zero.
func rates(prev, cur *admin.Stats, d time.Duration) []serverRate {
	old := map[serverID]admin.ServerStats{}
	for _, p := range prev.Pools {
		for _, s := range p.Servers {
			old[serverID{p.Name, s.Name, s.Role}] = s
		}
	}
	secs := d.Seconds()
	var out []serverRate
	for _, p := range cur.Pools {
		for _, s := range p.Servers {
			o := old[serverID{p.Name, s.Name, s.Role}]
			if s.Requests < o.Requests { // restarted: start from zero
				o = admin.ServerStats{}
			}
			lat := diffBuckets(o.LatencyBuckets, s.LatencyBuckets)
			out = append(out, serverRate{
				Pool: p.Name, Server: s.Name, Role: s.Role, State: serverState(s),
				Requests: perSec(s.Requests-o.Requests, secs),
				Errors:   perSec(s.Failures-o.Failures, secs),
				Timeouts: perSec(s.Timeouts-o.Timeouts, secs),
				P50:      quantile(0.50, lat),
				P99:      quantile(0.99, lat),
				Pending:  s.Pending, Conns: s.Connections,
			})
		}
	}
	slices.SortStableFunc(out, func(a, b serverRate) int {
		return cmp.Or(cmp.Compare(a.Pool, b.Pool), cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Server, b.Server))
	})
	return out
}

// perSec is n per secs seconds; 0 for no time or a negative n.
func perSec(n int64, secs float64) float64 {
	if secs <= 0 || n <= 0 {
		return 0
	}
	return float64(n) / secs
}

// diffBuckets returns the cumulative histogram of what cur counted since
// prev, matching buckets by bound. A bound missing from prev counts from 0.
// When counts went back (faed restarted), cur is returned whole.
func diffBuckets(prev, cur []admin.Bucket) []admin.Bucket {
	before := make(map[float64]int64, len(prev))
	for _, b := range prev {
		before[b.LE] = b.Count
	}
	out := make([]admin.Bucket, len(cur))
	for i, b := range cur {
		n := b.Count - before[b.LE]
		if n < 0 {
			return cur
		}
		out[i] = admin.Bucket{LE: b.LE, Count: n}
	}
	return out
}

// estimate is a latency quantile in milliseconds. MS is NaN when there was
// nothing to measure; Beyond means the quantile lies past the highest finite
// bucket bound, which MS then is.
type estimate struct {
	MS     float64
	Beyond bool
}

// quantile estimates the q-quantile (0 < q < 1) of a cumulative histogram,
// as Prometheus's histogram_quantile does: it finds the bucket holding the
// rank q*total and interpolates linearly between the bucket's bounds (the
// first bucket starts at 0). A rank in the +Inf bucket gives the highest
// finite bound, marked Beyond.
func quantile(q float64, buckets []admin.Bucket) estimate {
	none := estimate{MS: math.NaN()}
	if len(buckets) == 0 {
		return none
	}
	total := buckets[len(buckets)-1].Count
	if total <= 0 {
		return none
	}
	rank := q * float64(total)
	i, _ := slices.BinarySearchFunc(buckets, rank, func(b admin.Bucket, r float64) int {
		return cmp.Compare(float64(b.Count), r)
	})
	i = min(i, len(buckets)-1)
	if buckets[i].LE >= infBound {
		if i == 0 {
			return none
		}
		return estimate{MS: buckets[i-1].LE, Beyond: true}
	}
	lower, below := 0.0, int64(0)
	if i > 0 {
		lower, below = buckets[i-1].LE, buckets[i-1].Count
	}
	in := buckets[i].Count - below
	if in <= 0 {
		return estimate{MS: buckets[i].LE}
	}
	return estimate{MS: lower + (buckets[i].LE-lower)*(rank-float64(below))/float64(in)}
}
