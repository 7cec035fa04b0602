package idgen

import (
	"errors"
	"runtime"
	"testing"
	"time"
)

// waitReads returns once clk has been read at least n more times than
// before, failing the test after a deadline.
func waitReads(t *testing.T, clk *fakeClock, before, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for clk.reads.Load() < before+n {
		if time.Now().After(deadline) {
			t.Fatalf("clock read %d times, want at least %d", clk.reads.Load()-before, n)
		}
		runtime.Gosched()
	}
}

// result is what Next returned.
type result struct {
	id  uint64
	err error
}

// nextAsync calls g.Next on a new goroutine and returns a channel that
// receives its result. If the test ends first, its clean-up moves clk far
// ahead to release the waiting Next, and waits for it.
func nextAsync(t *testing.T, g *Gen, clk *fakeClock) <-chan result {
	t.Helper()
	res := make(chan result, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		id, err := g.Next()
		res <- result{id, err}
	}()
	t.Cleanup(func() {
		clk.set(maxMillis)
		<-finished
	})
	return res
}

// wantResult fails the test unless r is an ID with the given fields.
func wantResult(t *testing.T, r result, ms int64, worker, seq int) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("Next: %v", r.err)
	}
	wantFields(t, r.id, ms, worker, seq)
}

// TestOverflowWaitsForTick exhausts a millisecond: the next Next waits,
// reading the clock, until the test moves the clock, and then issues the
// first ID of the new millisecond.
func TestOverflowWaitsForTick(t *testing.T) {
	g, clk := fakeGen(t, 9, 100)
	g.wait = time.Hour // only the test's tick may end the wait
	ids, err := g.NextN(MaxSeq+1, nil)
	if err != nil {
		t.Fatalf("NextN: %v", err)
	}
	wantFields(t, ids[0], 100, 9, 0)
	wantFields(t, ids[MaxSeq], 100, 9, MaxSeq)

	before := clk.reads.Load()
	done := nextAsync(t, g, clk)
	waitReads(t, clk, before, 5)
	select {
	case r := <-done:
		t.Fatalf("Next returned %d, %v before the clock ticked", r.id, r.err)
	default:
	}
	clk.set(101)
	wantResult(t, <-done, 101, 9, 0)
}

// TestOverflowStuckClock exhausts a millisecond on a clock that never
// ticks: after its bounded wait, Next borrows the next millisecond.
func TestOverflowStuckClock(t *testing.T) {
	g, clk := fakeGen(t, 0, 100)
	g.wait = time.Millisecond
	if _, err := g.NextN(MaxSeq+1, nil); err != nil {
		t.Fatalf("NextN: %v", err)
	}
	before := clk.reads.Load()
	start := time.Now()
	id := mustNext(t, g)
	wantFields(t, id, 101, 0, 0)
	if clk.reads.Load()-before < 2 {
		t.Fatalf("Next read the clock %d times, want a wait", clk.reads.Load()-before)
	}
	if d := time.Since(start); d < time.Millisecond {
		t.Fatalf("Next gave up waiting after %v, want at least 1ms", d)
	}
	// Now the clock is behind the logical one: no more waiting.
	id = mustNext(t, g)
	wantFields(t, id, 101, 0, 1)
}

// TestBackwardsSmall steps the clock back by up to MaxClockBackward: IDs
// keep increasing on the last millisecond, and overflow borrows the next
// millisecond at once, without waiting.
func TestBackwardsSmall(t *testing.T) {
	g, clk := fakeGen(t, 4, 10_000)
	g.wait = time.Hour // a wait would hang the test
	first := mustNext(t, g)
	wantFields(t, first, 10_000, 4, 0)

	clk.set(10_000 - 100)
	id := mustNext(t, g)
	wantFields(t, id, 10_000, 4, 1)

	if _, err := g.NextN(MaxSeq-1, nil); err != nil {
		t.Fatalf("NextN: %v", err)
	}
	before := clk.reads.Load()
	id = mustNext(t, g)
	wantFields(t, id, 10_001, 4, 0)
	if reads := clk.reads.Load() - before; reads != 1 {
		t.Fatalf("borrowing read the clock %d times, want 1 (no wait)", reads)
	}

	// The clock catches up and passes the logical clock.
	clk.set(10_001)
	wantFields(t, mustNext(t, g), 10_001, 4, 1)
	clk.set(10_002)
	wantFields(t, mustNext(t, g), 10_002, 4, 0)
}

// TestBackwardsLarge steps the clock back by more than MaxClockBackward:
// Next fails until the clock is back within the limit.
func TestBackwardsLarge(t *testing.T) {
	g, clk := fakeGen(t, 0, 10_000)
	last := mustNext(t, g)

	clk.set(10_000 - maxBehind - 1)
	_, err := g.Next()
	if !errors.Is(err, ErrClockBackwards) {
		t.Fatalf("Next 5.001s back = %v, want ErrClockBackwards", err)
	}
	const wantMsg = "idgen: clock moved backwards: 5.001s behind the last ID (limit 5s)"
	if err.Error() != wantMsg {
		t.Fatalf("error %q, want %q", err, wantMsg)
	}

	clk.set(10_000 - maxBehind)
	id := mustNext(t, g)
	if id <= last {
		t.Fatalf("ID %d after %d, want increasing", id, last)
	}
	wantFields(t, id, 10_000, 0, 1)
}

// TestBackwardsAtLimit exhausts the last millisecond while the clock is
// exactly MaxClockBackward behind it: borrowing would exceed the limit, so
// Next waits for the clock to tick, and fails if it does not.
func TestBackwardsAtLimit(t *testing.T) {
	g, clk := fakeGen(t, 0, 10_000)
	mustNext(t, g)
	clk.set(10_000 - maxBehind)
	if _, err := g.NextN(MaxSeq, nil); err != nil {
		t.Fatalf("NextN: %v", err)
	}

	g.wait = time.Millisecond
	if _, err := g.Next(); !errors.Is(err, ErrClockBackwards) {
		t.Fatalf("Next on a stuck clock at the limit = %v, want ErrClockBackwards", err)
	}

	g.wait = time.Hour
	before := clk.reads.Load()
	done := nextAsync(t, g, clk)
	waitReads(t, clk, before, 5)
	clk.set(10_000 - maxBehind + 1)
	wantResult(t, <-done, 10_001, 0, 0)
}
