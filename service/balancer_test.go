package service

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// newLoads returns loads with the given numbers of outstanding requests.
func newLoads(outstanding ...int) []*Load {
	loads := make([]*Load, len(outstanding))
	for i, n := range outstanding {
		loads[i] = new(Load)
		for range n {
			loads[i].Begin()
		}
	}
	return loads
}

// pickCounts picks n times and counts the picks of each index.
func pickCounts(policy Policy, loads []*Load, usable func(int) bool, n int) []int {
	rnd := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, len(loads))
	for range n {
		if i := Pick(policy, loads, usable, rnd); i >= 0 {
			counts[i]++
		}
	}
	return counts
}

func TestPickLeastLoaded(t *testing.T) {
	const n = 10000
	tests := []struct {
		name        string
		outstanding []int
		index       int     // the index whose share is checked
		lo, hi      float64 // bounds of its share of the picks
	}{
		{"busy of two", []int{0, 10}, 1, 0, 0.10},
		{"idle of two", []int{0, 10}, 0, 0.90, 1},
		{"busiest of three", []int{3, 1, 10}, 2, 0, 0.01},
		{"idlest of three", []int{3, 1, 10}, 1, 0.60, 0.72}, // 2/3 expected
		{"tie of two", []int{2, 2}, 0, 0.45, 0.55},
		{"tie of four", []int{0, 0, 0, 0}, 3, 0.20, 0.30},
		{"one", []int{5}, 0, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counts := pickCounts(LeastLoaded, newLoads(tt.outstanding...), nil, n)
			share := float64(counts[tt.index]) / n
			if share < tt.lo || share > tt.hi {
				t.Errorf("index %d got share %.3f (counts %v), want in [%.2f, %.2f]", tt.index, share, counts, tt.lo, tt.hi)
			}
		})
	}
}

func TestPickUsable(t *testing.T) {
	loads := newLoads(0, 0, 0, 0, 0)
	tests := []struct {
		name   string
		loads  []*Load
		usable func(int) bool
		want   []bool // indexes that may be picked; nil: expect -1 only
	}{
		{"no loads", nil, nil, nil},
		{"none usable", loads, func(int) bool { return false }, nil},
		{"one usable", loads, func(i int) bool { return i == 3 }, []bool{3: true, 4: false}},
		{"evens usable", loads, func(i int) bool { return i%2 == 0 }, []bool{true, false, true, false, true}},
		{"nil is all", loads, nil, []bool{true, true, true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counts := make([]int, len(tt.loads))
			rnd := rand.New(rand.NewPCG(3, 4))
			for range 1000 {
				i := Pick(LeastLoaded, tt.loads, tt.usable, rnd)
				if i < 0 {
					if tt.want != nil {
						t.Fatalf("got -1, want a usable index")
					}
					continue
				}
				if i >= len(tt.want) || !tt.want[i] {
					t.Fatalf("got index %d, which is not usable", i)
				}
				counts[i]++
			}
			for i, ok := range tt.want {
				if ok && counts[i] == 0 {
					t.Errorf("usable index %d never picked (counts %v)", i, counts)
				}
			}
		})
	}
}

func TestPickUsablePrefersLessLoaded(t *testing.T) {
	// Index 0 is the least loaded but unusable; among the rest, 2 is.
	loads := newLoads(0, 5, 1, 5)
	counts := pickCounts(LeastLoaded, loads, func(i int) bool { return i != 0 }, 3000)
	if counts[0] != 0 {
		t.Errorf("unusable index 0 picked %d times", counts[0])
	}
	if got, want := counts[2], 1800; got < want {
		t.Errorf("least loaded usable index 2 got %d of 3000 picks, want >= %d (counts %v)", got, want, counts)
	}
}

// loadSample feeds l one synthetic request that took d.
func loadSample(l *Load, d time.Duration) {
	l.Begin()
	l.End(time.Now().Add(-d))
}

func TestPickPeakEWMA(t *testing.T) {
	fast, slow := new(Load), new(Load)
	for range 5 {
		loadSample(fast, time.Millisecond)
		loadSample(slow, 50*time.Millisecond)
	}
	counts := pickCounts(PeakEWMA, []*Load{fast, slow}, nil, 10000)
	if share := float64(counts[1]) / 10000; share > 0.01 {
		t.Errorf("slow endpoint got share %.3f, want <= 0.01", share)
	}
	// Outstanding requests count too: 100 on the fast one outweigh a 50x
	// latency.
	for range 100 {
		fast.Begin()
	}
	counts = pickCounts(PeakEWMA, []*Load{fast, slow}, nil, 10000)
	if share := float64(counts[0]) / 10000; share > 0.01 {
		t.Errorf("fast endpoint with 100 outstanding got share %.3f, want <= 0.01", share)
	}
}

func TestLoadCost(t *testing.T) {
	const ms = float64(time.Millisecond)
	var l Load
	now := time.Now()
	if got, want := l.Cost(now), float64(DefaultInitialCost); got != want {
		t.Errorf("unsampled cost got %v, want %v", got, want)
	}
	l.Begin()
	if got, want := l.Cost(now), 2*float64(DefaultInitialCost); got != want {
		t.Errorf("unsampled cost with one outstanding got %v, want %v", got, want)
	}
	l.End(time.Now().Add(-10 * time.Millisecond))
	if got := l.Cost(time.Now()); got < 9.9*ms || got > 10.1*ms {
		t.Errorf("cost after a 10ms loadSample got %.0fns, want about 10ms", got)
	}
	loadSample(&l, 100*time.Millisecond)
	if got := l.Cost(time.Now()); got < 99*ms {
		t.Errorf("cost after a 100ms peak got %.0fns, want at least 99ms at once", got)
	}
	// A fast sample right after the peak barely moves the estimate.
	loadSample(&l, time.Millisecond)
	if got := l.Cost(time.Now()); got < 90*ms {
		t.Errorf("cost after a fast loadSample following a peak got %.0fns, want still >= 90ms", got)
	}
	// Idle for one Tau, the estimate has decayed to 1/e.
	got := l.Cost(time.Now().Add(DefaultTau))
	if got < 30*ms || got > 40*ms {
		t.Errorf("cost one Tau later got %.0fns, want about 100ms/e", got)
	}
	if got := l.Cost(time.Now().Add(1000 * DefaultTau)); got != 1 {
		t.Errorf("cost long idle got %v, want the floor 1", got)
	}
	if got := l.Outstanding(); got != 0 {
		t.Errorf("outstanding got %d, want 0", got)
	}
}

func TestLoadTau(t *testing.T) {
	l := Load{Tau: time.Second, Initial: time.Second}
	if got, want := l.Cost(time.Now()), float64(time.Second); got != want {
		t.Errorf("unsampled cost got %v, want Initial %v", got, want)
	}
	loadSample(&l, 100*time.Millisecond)
	got := l.Cost(time.Now().Add(time.Second))
	if want := 100 * float64(time.Millisecond) / 2.718281828; got < want*0.95 || got > want*1.05 {
		t.Errorf("cost one Tau (1s) later got %.0f, want about %.0f", got, want)
	}
}

func TestLoadConcurrent(t *testing.T) {
	var l Load
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				start := l.Begin()
				_ = l.Cost(time.Now())
				l.End(start)
			}
		})
	}
	wg.Wait()
	if got := l.Outstanding(); got != 0 {
		t.Errorf("outstanding got %d, want 0", got)
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    Policy
		wantErr bool
	}{
		{"least_loaded", LeastLoaded, false},
		{"p2c", LeastLoaded, false},
		{"peak_ewma", PeakEWMA, false},
		{"EWMA", PeakEWMA, false},
		{" ewma ", PeakEWMA, false},
		{"", 0, true},
		{"round_robin", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePolicy(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePolicy(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParsePolicy(%q) got %v, want %v", tt.in, got, tt.want)
			}
			if err != nil {
				return
			}
			var round Policy
			text, _ := got.MarshalText()
			if err := round.UnmarshalText(text); err != nil || round != got {
				t.Errorf("round trip of %v through %q got %v, %v", got, text, round, err)
			}
		})
	}
	if got, want := Policy(9).String(), "Policy(9)"; got != want {
		t.Errorf("String of unknown policy got %q, want %q", got, want)
	}
}

func TestPickAllocs(t *testing.T) {
	loads := newLoads(1, 2, 3, 4, 5, 6, 7, 8)
	usable := func(i int) bool { return i != 3 }
	for _, policy := range []Policy{LeastLoaded, PeakEWMA} {
		for _, u := range []func(int) bool{nil, usable} {
			if got := testing.AllocsPerRun(100, func() { Pick(policy, loads, u, nil) }); got != 0 {
				t.Errorf("Pick(%v, usable %v) got %v allocs, want 0", policy, u != nil, got)
			}
		}
	}
}

func BenchmarkPick(b *testing.B) {
	loads := newLoads(1, 2, 3, 4, 5, 6, 7, 8)
	for i, l := range loads {
		loadSample(l, time.Duration(i+1)*time.Millisecond)
	}
	usable := func(i int) bool { return i != 3 }
	for _, policy := range []Policy{LeastLoaded, PeakEWMA} {
		for _, u := range []struct {
			name string
			f    func(int) bool
		}{{"all", nil}, {"usable", usable}} {
			b.Run(policy.String()+"/"+u.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					Pick(policy, loads, u.f, nil)
				}
			})
		}
	}
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				Pick(PeakEWMA, loads, nil, nil)
			}
		})
	})
}

func TestBalancerEmpty(t *testing.T) {
	for _, b := range []*Balancer[int, int]{new(Balancer[int, int]), NewBalancer[int, int](PeakEWMA, nil)} {
		if _, err := b.Serve(context.Background(), 1); !errors.Is(err, ErrNoEndpoints) {
			t.Errorf("Serve on an empty balancer got %v, want ErrNoEndpoints", err)
		}
		if got := b.Size(); got != 0 {
			t.Errorf("Size got %d, want 0", got)
		}
	}
}

// namedEndpoint is an endpoint answering its name.
func namedEndpoint(name string) Service[int, string] {
	return Func[int, string](func(context.Context, int) (string, error) { return name, nil })
}

func TestBalancerAddRemove(t *testing.T) {
	m, err := NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	cm := m.Client("test")
	b := NewBalancer[int, string](LeastLoaded, cm)
	b.Add("a", namedEndpoint("a"))
	b.Add("b", namedEndpoint("b"))
	b.Add("b", namedEndpoint("b2")) // replaces, not an add
	b.Remove("nope")                // not a remove
	if got := b.Size(); got != 2 {
		t.Fatalf("Size got %d, want 2", got)
	}
	seen := map[string]int{}
	for range 200 {
		rep, err := b.Serve(context.Background(), 0)
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		seen[rep]++
	}
	if seen["a"] == 0 || seen["b2"] == 0 || len(seen) != 2 {
		t.Errorf("replies got %v, want both a and b2 only", seen)
	}
	b.Remove("a")
	if rep, err := b.Serve(context.Background(), 0); err != nil || rep != "b2" {
		t.Errorf("Serve after removing a got %q, %v, want b2", rep, err)
	}
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"balancer_size", testutil.ToFloat64(cm.BalancerSize), 1},
		{"balancer_adds", testutil.ToFloat64(cm.BalancerAdds), 2},
		{"balancer_removes", testutil.ToFloat64(cm.BalancerRemoves), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestBalancerPropagatesErrors(t *testing.T) {
	boom := errors.New("boom")
	b := NewBalancer[int, int](PeakEWMA, nil)
	b.Add("x", Func[int, int](func(context.Context, int) (int, error) { return 0, boom }))
	if _, err := b.Serve(context.Background(), 1); !errors.Is(err, boom) {
		t.Errorf("Serve got %v, want boom", err)
	}
}

// TestBalancerLeastLoaded holds every request sent to "slow" and answers
// the ones sent to "fast" at once: p2c over two endpoints must then send
// at most one request to slow (the one it got while both were idle).
func TestBalancerLeastLoaded(t *testing.T) {
	release := make(chan struct{})
	events := make(chan string, 100) // "slow" entered, or "fast" completed
	b := NewBalancer[int, string](LeastLoaded, nil)
	b.Add("slow", Func[int, string](func(context.Context, int) (string, error) {
		events <- "slow"
		<-release
		return "slow", nil
	}))
	b.Add("fast", namedEndpoint("fast"))
	var wg sync.WaitGroup
	slow := 0
	for range 50 {
		wg.Go(func() {
			rep, err := b.Serve(context.Background(), 0)
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
			if rep == "fast" {
				events <- "fast" // after Serve returned, so after Load.End
			}
		})
		if <-events == "slow" {
			slow++
		}
	}
	close(release)
	wg.Wait()
	if slow != 1 {
		t.Errorf("slow endpoint got %d requests, want exactly 1", slow)
	}
}

func TestBalancerConcurrent(t *testing.T) {
	b := NewBalancer[int, string](PeakEWMA, nil)
	b.Add("base", namedEndpoint("base"))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var served atomic.Int64
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := b.Serve(ctx, 0); err != nil {
					t.Errorf("Serve: %v", err)
					return
				}
				served.Add(1)
			}
		})
	}
	for i := range 200 {
		name := fmt.Sprint("ep", i%7)
		if i%2 == 0 {
			b.Add(name, namedEndpoint(name))
		} else {
			b.Remove(name)
		}
		_ = b.Size()
	}
	deadline := time.Now().Add(5 * time.Second)
	for served.Load() < 1000 && time.Now().Before(deadline) {
		b.Add("extra", namedEndpoint("extra"))
		b.Remove("extra")
	}
	cancel()
	wg.Wait()
	if served.Load() < 1000 {
		t.Errorf("served %d requests, want >= 1000", served.Load())
	}
	if got := b.Size(); got < 1 || got > 8 {
		t.Errorf("Size got %d, want 1..8", got)
	}
}
