package idgen

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when a test moves it. It counts its
// readings, so a test can see that a Gen is waiting on it.
type fakeClock struct {
	ms    atomic.Int64 // milliseconds since the default epoch
	reads atomic.Int64
}

func newFakeClock(ms int64) *fakeClock {
	c := &fakeClock{}
	c.ms.Store(ms)
	return c
}

func (c *fakeClock) Now() time.Time {
	c.reads.Add(1)
	return time.UnixMilli(DefaultEpochMilli + c.ms.Load())
}

func (c *fakeClock) set(ms int64) { c.ms.Store(ms) }

// newGen returns a Gen for cfg, failing the test if New does.
func newGen(t testing.TB, cfg Config) *Gen {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return g
}

// fakeGen returns a Gen of worker on a fake clock reading ms.
func fakeGen(t testing.TB, worker int, ms int64) (*Gen, *fakeClock) {
	t.Helper()
	clk := newFakeClock(ms)
	return newGen(t, Config{Worker: worker, Now: clk.Now}), clk
}

// mustNext returns g.Next(), failing the test on an error.
func mustNext(t testing.TB, g *Gen) uint64 {
	t.Helper()
	id, err := g.Next()
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return id
}

// fields returns the fields of id: milliseconds since the default epoch,
// worker, sequence.
func fields(id uint64) (ms int64, worker, seq int) {
	tm, worker, seq := Decode(id, time.Time{})
	return tm.UnixMilli() - DefaultEpochMilli, worker, seq
}

// wantFields fails the test unless id has the given fields.
func wantFields(t testing.TB, id uint64, ms int64, worker, seq int) {
	t.Helper()
	gotMs, gotWorker, gotSeq := fields(id)
	if gotMs != ms || gotWorker != worker || gotSeq != seq {
		t.Fatalf("ID %d = (ms %d, worker %d, seq %d), want (ms %d, worker %d, seq %d)",
			id, gotMs, gotWorker, gotSeq, ms, worker, seq)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"max worker", Config{Worker: MaxWorker}, true},
		{"negative worker", Config{Worker: -1}, false},
		{"worker too big", Config{Worker: MaxWorker + 1}, false},
		{"custom epoch", Config{Epoch: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, true},
		{"epoch before 1970", Config{Epoch: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)}, false},
		{"epoch after 9999", Config{Epoch: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want it to wrap ErrInvalidConfig", err)
			}
			if _, nerr := New(tt.cfg); (nerr == nil) != tt.ok {
				t.Fatalf("New() error %v, want ok %v", nerr, tt.ok)
			}
		})
	}
}

func TestLayout(t *testing.T) {
	g, _ := fakeGen(t, 5, 1000)
	// 1000<<22 | 5<<12 | 0 and | 1.
	if id := mustNext(t, g); id != 4194324480 {
		t.Fatalf("first ID %d, want 4194324480", id)
	}
	if id := mustNext(t, g); id != 4194324481 {
		t.Fatalf("second ID %d, want 4194324481", id)
	}
}

func TestTimestampRange(t *testing.T) {
	g, clk := fakeGen(t, MaxWorker, maxMillis)
	ids, err := g.NextN(MaxSeq+1, nil)
	if err != nil {
		t.Fatalf("NextN at the last millisecond: %v", err)
	}
	last := ids[len(ids)-1]
	if last != 1<<63-1 {
		t.Fatalf("last ID %#x, want %#x", last, uint64(1<<63-1))
	}
	if int64(last) < 0 {
		t.Fatalf("ID %d has the sign bit set", last)
	}
	// Stuck at the last millisecond: nothing is left to borrow.
	g.wait = time.Microsecond
	if _, err := g.Next(); !errors.Is(err, ErrTimeRange) {
		t.Fatalf("Next after the last ID = %v, want ErrTimeRange", err)
	}
	clk.set(maxMillis + 1)
	if _, err := g.Next(); !errors.Is(err, ErrTimeRange) {
		t.Fatalf("Next past 41 bits = %v, want ErrTimeRange", err)
	}
	g2, _ := fakeGen(t, 0, -1)
	if _, err := g2.Next(); !errors.Is(err, ErrTimeRange) {
		t.Fatalf("Next before Epoch = %v, want ErrTimeRange", err)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	epoch := time.Date(2021, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		ms     int64
		worker int
		seq    int
	}{
		{"start", 0, 0, 0},
		{"middle", 123456789, 42, 7},
		{"max worker", 1, MaxWorker, 0},
		{"max seq", 5, 3, MaxSeq},
		{"last ms", maxMillis, MaxWorker, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := epoch.Add(time.Duration(tt.ms) * time.Millisecond)
			g := newGen(t, Config{Worker: tt.worker, Epoch: epoch, Now: func() time.Time { return now }})
			ids, err := g.NextN(tt.seq+1, nil)
			if err != nil {
				t.Fatalf("NextN: %v", err)
			}
			id := ids[len(ids)-1]
			tm, worker, seq := g.Decode(id)
			if !tm.Equal(now) || worker != tt.worker || seq != tt.seq {
				t.Fatalf("Decode(%d) = %v, %d, %d; want %v, %d, %d", id, tm, worker, seq, now, tt.worker, tt.seq)
			}
			if tm2, w2, s2 := Decode(id, epoch); !tm2.Equal(tm) || w2 != worker || s2 != seq {
				t.Fatalf("Decode(id, epoch) = %v, %d, %d; want %v, %d, %d", tm2, w2, s2, tm, worker, seq)
			}
		})
	}
}

func TestDecodeDefaultEpoch(t *testing.T) {
	tm, worker, seq := Decode(1<<22|7<<12|9, time.Time{})
	want := time.Date(2026, 1, 1, 0, 0, 0, int(time.Millisecond), time.UTC)
	if !tm.Equal(want) || worker != 7 || seq != 9 {
		t.Fatalf("Decode = %v, %d, %d; want %v, 7, 9", tm, worker, seq, want)
	}
}

func TestNextN(t *testing.T) {
	g, clk := fakeGen(t, 1, 10_000)
	dst := []uint64{42}
	dst, err := g.NextN(3, dst)
	if err != nil {
		t.Fatalf("NextN: %v", err)
	}
	if len(dst) != 4 || dst[0] != 42 {
		t.Fatalf("NextN(3, [42]) = %v, want 42 and 3 IDs", dst)
	}
	for i, id := range dst[1:] {
		wantFields(t, id, 10_000, 1, i)
	}
	if got, _ := g.NextN(0, nil); len(got) != 0 {
		t.Fatalf("NextN(0) = %v, want none", got)
	}
	if got, _ := g.NextN(-1, nil); len(got) != 0 {
		t.Fatalf("NextN(-1) = %v, want none", got)
	}
	clk.set(10_000 - maxBehind - 1)
	got, err := g.NextN(2, dst[:0])
	if !errors.Is(err, ErrClockBackwards) || len(got) != 0 {
		t.Fatalf("NextN with the clock far back = %v, %v; want no IDs, ErrClockBackwards", got, err)
	}
}

// TestConcurrentUnique issues IDs from many goroutines on the real clock:
// each goroutine's IDs increase strictly and all are distinct.
func TestConcurrentUnique(t *testing.T) {
	const goroutines, perG = 8, 100_000
	g := newGen(t, Config{Worker: 3})
	results := make([][]uint64, goroutines)
	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			ids := make([]uint64, 0, perG)
			for range perG {
				id, err := g.Next()
				if err != nil {
					errs[i] = err
					return
				}
				ids = append(ids, id)
			}
			results[i] = ids
		})
	}
	wg.Wait()
	all := make([]uint64, 0, goroutines*perG)
	for i, ids := range results {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: Next: %v", i, errs[i])
		}
		for j := 1; j < len(ids); j++ {
			if ids[j] <= ids[j-1] {
				t.Fatalf("goroutine %d: ID %d after %d, want strictly increasing", i, ids[j], ids[j-1])
			}
		}
		all = append(all, ids...)
	}
	slices.Sort(all)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Fatalf("ID %d issued twice", all[i])
		}
	}
	if len(all) != goroutines*perG {
		t.Fatalf("got %d IDs, want %d", len(all), goroutines*perG)
	}
	now := time.Now()
	for _, id := range []uint64{all[0], all[len(all)-1]} {
		tm, worker, _ := g.Decode(id)
		if worker != 3 || tm.After(now) || now.Sub(tm) > time.Minute {
			t.Fatalf("ID %d decodes to %v, worker %d; want a recent time, worker 3", id, tm, worker)
		}
	}
}

// TestWorkersDisjoint runs two workers on one clock, in the same
// milliseconds: their IDs never collide and carry their worker.
func TestWorkersDisjoint(t *testing.T) {
	clk := newFakeClock(77)
	a := newGen(t, Config{Worker: 1, Now: clk.Now})
	b := newGen(t, Config{Worker: 2, Now: clk.Now})
	seen := map[uint64]int{}
	for ms := int64(77); ms < 80; ms++ {
		clk.set(ms)
		for w, g := range []*Gen{a, b} {
			ids, err := g.NextN(MaxSeq+1, nil)
			if err != nil {
				t.Fatalf("NextN: %v", err)
			}
			for i, id := range ids {
				wantFields(t, id, ms, w+1, i)
				if prev, dup := seen[id]; dup {
					t.Fatalf("ID %d issued by worker %d and %d", id, prev, w+1)
				}
				seen[id] = w + 1
			}
		}
	}
}
