package service

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a zero Load.
const (
	// DefaultTau is the time constant of the peak-EWMA latency estimate:
	// an estimate not refreshed for DefaultTau has decayed to 1/e of its
	// value (Finagle's default decay time).
	DefaultTau = 10 * time.Second
	// DefaultInitialCost is the latency a Load assumes before its first
	// sample: small, so that a new endpoint is tried soon.
	DefaultInitialCost = 100 * time.Microsecond
)

// loadEpoch is the origin of the monotonic timestamps a Load keeps in an
// atomic integer. It is set once and never written again.
var loadEpoch = time.Now()

// Load tracks the load of one endpoint: its outstanding requests and a
// peak-EWMA estimate of its latency (Finagle's PeakEwma balancer). The
// estimate jumps at once to any slower sample and otherwise decays towards
// the recent samples with time constant Tau; Cost, the estimate times
// outstanding+1, is what PeakEWMA compares.
//
// The zero value is ready to use: Tau DefaultTau, Initial
// DefaultInitialCost, nothing outstanding. Set the fields before first use.
// Begin, Outstanding and Cost are lock-free; End takes a short mutex. All
// methods are safe for concurrent use. A Load must not be copied after
// first use.
type Load struct {
	// Tau is the decay time constant of the latency estimate. Zero means
	// DefaultTau.
	Tau time.Duration
	// Initial is the latency assumed until the first sample. Zero means
	// DefaultInitialCost.
	Initial time.Duration

	outstanding atomic.Int64
	sampled     atomic.Bool
	ewma        atomic.Uint64 // math.Float64bits of the estimate, in ns
	stamp       atomic.Int64  // ns since loadEpoch of the last sample
	mu          sync.Mutex    // serializes End's read-modify-write
}

// Begin counts a request as outstanding and returns its start time, to be
// handed to End when the request completes (successfully or not).
func (l *Load) Begin() time.Time {
	l.outstanding.Add(1)
	return time.Now()
}

// End counts the request begun at start as complete and feeds its latency,
// now minus start, into the estimate. Every Begin must be matched by
// exactly one End.
func (l *Load) End(start time.Time) {
	now := time.Now()
	l.outstanding.Add(-1)
	l.observe(now, now.Sub(start))
}

// observe folds the latency rtt, measured at now, into the estimate.
func (l *Load) observe(now time.Time, rtt time.Duration) {
	sample := float64(max(rtt, 0))
	t := int64(now.Sub(loadEpoch))
	l.mu.Lock()
	defer l.mu.Unlock()
	cost := math.Float64frombits(l.ewma.Load())
	switch {
	case !l.sampled.Load(), sample > cost:
		cost = sample // a new peak is taken at once
	default:
		w := math.Exp(-float64(max(t-l.stamp.Load(), 0)) / float64(l.tau()))
		cost = cost*w + sample*(1-w)
	}
	l.ewma.Store(math.Float64bits(cost))
	l.stamp.Store(t)
	l.sampled.Store(true)
}

func (l *Load) tau() time.Duration {
	if l.Tau > 0 {
		return l.Tau
	}
	return DefaultTau
}

// BeginAt is Begin for a caller that already read the clock: now is the
// request's start.
func (l *Load) BeginAt(now time.Time) { l.outstanding.Add(1) }

// EndAt is End for a caller that already read the clock at the end.
func (l *Load) EndAt(start, now time.Time) {
	l.outstanding.Add(-1)
	l.observe(now, now.Sub(start))
}

// Outstanding returns the number of requests begun and not yet ended.
func (l *Load) Outstanding() int64 { return l.outstanding.Load() }

// Cost returns the load of the endpoint at time now: the latency estimate in
// nanoseconds, decayed for the time since its last sample, times
// outstanding requests plus one. Before the first sample the estimate is
// Initial. Lower is better.
func (l *Load) Cost(now time.Time) float64 {
	pending := float64(l.outstanding.Load() + 1)
	if !l.sampled.Load() {
		initial := l.Initial
		if initial <= 0 {
			initial = DefaultInitialCost
		}
		return float64(initial) * pending
	}
	cost := math.Float64frombits(l.ewma.Load())
	if idle := int64(now.Sub(loadEpoch)) - l.stamp.Load(); idle > 0 {
		cost *= math.Exp(-float64(idle) / float64(l.tau()))
	}
	// A floor of 1ns keeps outstanding requests counting once an idle
	// estimate has decayed to nothing.
	return max(cost, 1) * pending
}

// Policy is a load-balancing policy: how Pick compares the two endpoints
// it draws. The zero value is LeastLoaded.
type Policy uint8

// The policies. Both are "power of two choices": draw two usable endpoints
// at random and take the less loaded one.
const (
	// LeastLoaded compares outstanding requests.
	LeastLoaded Policy = iota
	// PeakEWMA compares Load.Cost, latency times outstanding requests.
	PeakEWMA
)

// ParsePolicy returns the policy named s: "least_loaded" (or "p2c") for
// LeastLoaded, "peak_ewma" (or "ewma") for PeakEWMA, in any case.
func ParsePolicy(s string) (Policy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "least_loaded", "p2c":
		return LeastLoaded, nil
	case "peak_ewma", "ewma":
		return PeakEWMA, nil
	}
	return 0, fmt.Errorf("service: unknown balancer policy %q (want least_loaded or peak_ewma)", s)
}

// String returns the name ParsePolicy accepts for p.
func (p Policy) String() string {
	switch p {
	case LeastLoaded:
		return "least_loaded"
	case PeakEWMA:
		return "peak_ewma"
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// MarshalText encodes p as its String, for configuration files.
func (p Policy) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText decodes a policy name with ParsePolicy, for configuration
// files.
func (p *Policy) UnmarshalText(b []byte) error {
	v, err := ParsePolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Pick chooses one of loads by policy with power of two choices: it draws
// two distinct indexes i at random among those where usable(i) is true
// (all of them when usable is nil) and returns the less loaded one, ties
// broken at random. It returns -1 when no index is usable and the only
// usable one when there is one.
//
// usable is called at most once per index and should be cheap; with a
// non-nil usable Pick is O(len(loads)), otherwise O(1). rnd is the source
// of randomness; nil means math/rand/v2's global source, which is safe for
// concurrent use (a *rand.Rand is not). Pick does not allocate.
func Pick(policy Policy, loads []*Load, usable func(i int) bool, rnd *rand.Rand) int {
	a, b := pickTwo(len(loads), usable, rnd)
	if b < 0 {
		return a
	}
	var la, lb float64
	if policy == PeakEWMA {
		now := time.Now()
		la, lb = loads[a].Cost(now), loads[b].Cost(now)
	} else {
		la, lb = float64(loads[a].Outstanding()), float64(loads[b].Outstanding())
	}
	switch {
	case la < lb:
		return a
	case lb < la:
		return b
	case pickIntN(rnd, 2) == 0:
		return a
	}
	return b
}

// pickTwo draws two distinct usable indexes below n, uniformly. b is -1
// when fewer than two are usable; a is -1 too when none is.
func pickTwo(n int, usable func(int) bool, rnd *rand.Rand) (a, b int) {
	if usable == nil {
		switch n {
		case 0:
			return -1, -1
		case 1:
			return 0, -1
		}
		a, b = pickIntN(rnd, n), pickIntN(rnd, n-1)
		if b >= a {
			b++
		}
		return a, b
	}
	// Reservoir sampling of two, in one pass, so that usable is asked once
	// per index even if its answers change meanwhile.
	a, b = -1, -1
	seen := 0
	for i := range n {
		if !usable(i) {
			continue
		}
		seen++
		switch seen {
		case 1:
			a = i
		case 2:
			b = i
		default:
			switch pickIntN(rnd, seen) {
			case 0:
				a = i
			case 1:
				b = i
			}
		}
	}
	return a, b
}

func pickIntN(rnd *rand.Rand, n int) int {
	if rnd == nil {
		return rand.IntN(n)
	}
	return rnd.IntN(n)
}

// Balancer is a Service that spreads requests over a dynamic set of
// endpoint Services with Pick, tracking each endpoint's Load around its
// calls.
//
// The zero value is an empty LeastLoaded balancer without metrics. Add and
// Remove swap in a new immutable snapshot of the endpoints, so Serve takes
// no lock; a request already sent to a removed endpoint completes there.
// Safe for concurrent use.
type Balancer[Req, Rep any] struct {
	policy  Policy
	metrics *Client
	mu      sync.Mutex // serializes Add and Remove
	set     atomic.Pointer[balancerSet[Req, Rep]]
}

// balancerSet is an immutable snapshot of a Balancer's endpoints; the three
// slices are parallel.
type balancerSet[Req, Rep any] struct {
	names []string
	svcs  []Service[Req, Rep]
	loads []*Load
}

var _ Service[any, any] = (*Balancer[any, any])(nil)

// NewBalancer returns an empty balancer choosing by policy. m receives
// BalancerSize, BalancerAdds and BalancerRemoves; nil means no metrics.
func NewBalancer[Req, Rep any](policy Policy, m *Client) *Balancer[Req, Rep] {
	return &Balancer[Req, Rep]{policy: policy, metrics: m}
}

// Add adds the endpoint s under name. If name is already present, s
// replaces its Service and keeps its Load (the same server, reconnected);
// that does not count as an add.
func (b *Balancer[Req, Rep]) Add(name string, s Service[Req, Rep]) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.snapshot()
	next := &balancerSet[Req, Rep]{
		names: append([]string(nil), old.names...),
		svcs:  append([]Service[Req, Rep](nil), old.svcs...),
		loads: append([]*Load(nil), old.loads...),
	}
	if i := old.index(name); i >= 0 {
		next.svcs[i] = s
		b.set.Store(next)
		return
	}
	next.names = append(next.names, name)
	next.svcs = append(next.svcs, s)
	next.loads = append(next.loads, new(Load))
	b.set.Store(next)
	if b.metrics != nil {
		b.metrics.BalancerAdds.Inc()
		b.metrics.BalancerSize.Set(float64(len(next.names)))
	}
}

// Remove removes the endpoint called name; it does nothing if there is
// none.
func (b *Balancer[Req, Rep]) Remove(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.snapshot()
	i := old.index(name)
	if i < 0 {
		return
	}
	next := &balancerSet[Req, Rep]{
		names: append(append([]string(nil), old.names[:i]...), old.names[i+1:]...),
		svcs:  append(append([]Service[Req, Rep](nil), old.svcs[:i]...), old.svcs[i+1:]...),
		loads: append(append([]*Load(nil), old.loads[:i]...), old.loads[i+1:]...),
	}
	b.set.Store(next)
	if b.metrics != nil {
		b.metrics.BalancerRemoves.Inc()
		b.metrics.BalancerSize.Set(float64(len(next.names)))
	}
}

// Size returns the number of endpoints.
func (b *Balancer[Req, Rep]) Size() int { return len(b.snapshot().names) }

// Serve sends req to the endpoint Pick chooses and returns its answer. It
// fails with an error wrapping ErrNoEndpoints when there is none.
func (b *Balancer[Req, Rep]) Serve(ctx context.Context, req Req) (Rep, error) {
	set := b.set.Load()
	i := -1
	if set != nil {
		i = Pick(b.policy, set.loads, nil, nil)
	}
	if i < 0 {
		var zero Rep
		return zero, fmt.Errorf("service: balancer: %w", ErrNoEndpoints)
	}
	load := set.loads[i]
	start := load.Begin()
	defer load.End(start)
	return set.svcs[i].Serve(ctx, req)
}

func (b *Balancer[Req, Rep]) snapshot() *balancerSet[Req, Rep] {
	if s := b.set.Load(); s != nil {
		return s
	}
	return &balancerSet[Req, Rep]{}
}

func (s *balancerSet[Req, Rep]) index(name string) int {
	for i, n := range s.names {
		if n == name {
			return i
		}
	}
	return -1
}
