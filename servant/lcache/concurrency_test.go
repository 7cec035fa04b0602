package lcache

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

// hammer runs f(worker, i) for n iterations on each of workers goroutines
// and waits for them.
func hammer(workers, n int, f func(w, i int)) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range n {
				f(w, i)
			}
		})
	}
	wg.Wait()
}

func do(c *Cache, args ...string) string { return string(c.Do(nil, kvtest.ToArgs(args))) }

func TestConcurrentIncrAppend(t *testing.T) {
	c := newTestCache(t, Config{})
	const workers, n = 8, 500
	hammer(workers, n, func(w, i int) {
		do(c, "INCR", "counter")
		do(c, "INCRBY", "counter", "2")
		do(c, "APPEND", "log", "x")
		do(c, "SETRANGE", "range", strconv.Itoa(w), "y")
		do(c, "INCRBYFLOAT", "float", "0.5")
	})
	for _, tt := range []exchange{
		x(bulk(strconv.Itoa(3*workers*n)), "GET", "counter"),
		x(":"+strconv.Itoa(workers*n)+"\r\n", "STRLEN", "log"),
		x(":"+strconv.Itoa(workers)+"\r\n", "STRLEN", "range"),
		x(bulk(strconv.Itoa(workers*n/2)), "GET", "float"),
	} {
		if got := do(c, tt.args...); got != tt.want {
			t.Errorf("%v = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// TestConcurrentSetNX checks that exactly one of many racing SET NX (and
// MSETNX, GETDEL) calls wins each round.
func TestConcurrentSetNX(t *testing.T) {
	c := newTestCache(t, Config{})
	const workers, rounds = 8, 300
	wins := make([][workers]int, rounds)
	hammer(workers, rounds, func(w, i int) {
		k := "nx" + strconv.Itoa(i)
		if do(c, "SET", k, strconv.Itoa(w), "NX") == "+OK\r\n" {
			wins[i][w]++
		}
	})
	for i, r := range wins {
		total := 0
		for _, n := range r {
			total += n
		}
		if total != 1 {
			t.Fatalf("round %d: %d SET NX calls succeeded, want 1", i, total)
		}
	}
	var mu sync.Mutex
	taken := map[string]int{}
	hammer(workers, rounds, func(w, i int) {
		if v := do(c, "GETDEL", "nx"+strconv.Itoa(i)); v != "$-1\r\n" {
			mu.Lock()
			taken["nx"+strconv.Itoa(i)]++
			mu.Unlock()
		}
	})
	for k, n := range taken {
		if n != 1 {
			t.Fatalf("%s taken by %d GETDEL calls, want 1", k, n)
		}
	}
	if len(taken) != rounds {
		t.Fatalf("GETDEL took %d keys, want %d", len(taken), rounds)
	}
}

// TestConcurrentMsetnx races MSETNX calls over overlapping key pairs: in each
// round the winners' key sets must be disjoint, and every key must hold the
// value of the one call that set it, while MGET never sees half of an MSET.
func TestConcurrentMsetnx(t *testing.T) {
	c := newTestCache(t, Config{})
	const workers, rounds = 6, 200
	hammer(workers, rounds, func(w, i int) {
		a := fmt.Sprintf("r%d:k%d", i, w)
		b := fmt.Sprintf("r%d:k%d", i, (w+1)%workers)
		id := strconv.Itoa(w)
		if do(c, "MSETNX", a, id, b, id) == ":1\r\n" {
			if got := do(c, "MGET", a, b); got != "*2\r\n$1\r\n"+id+"\r\n$1\r\n"+id+"\r\n" {
				t.Errorf("round %d: MGET after MSETNX by %d = %q", i, w, got)
			}
		}
	})
	hammer(workers, rounds, func(w, i int) {
		if w%2 == 0 {
			v := strconv.Itoa(i)
			do(c, "MSET", "p", v, "q", v)
			return
		}
		if got := do(c, "MGET", "p", "q"); !halvesEqual(got) {
			t.Errorf("MGET p q = %q: the two values differ", got)
		}
	})
}

// halvesEqual reports whether a two-element MGET reply holds twice the same
// bulk string.
func halvesEqual(reply string) bool {
	body := reply[len("*2\r\n"):]
	return len(body)%2 == 0 && body[:len(body)/2] == body[len(body)/2:]
}

// TestMemoryBound writes far more than MaxMemory and checks that the weighted
// size stays within the bound once otter's maintenance has run.
func TestMemoryBound(t *testing.T) {
	const max = 1 << 20
	c := newTestCache(t, Config{MaxMemory: max})
	value := string(make([]byte, 1000))
	for i := range 40000 { // ~40 MB of values
		do(c, "SET", "key:"+strconv.Itoa(i), value)
		if i%1000 == 0 {
			do(c, "APPEND", "grow", value)
		}
	}
	c.store.CleanUp()
	if got := c.store.WeightedSize(); got > max {
		t.Fatalf("weighted size %d after writing 40 MB, want <= %d", got, max)
	}
	if got := c.store.WeightedSize(); got < max/2 {
		t.Fatalf("weighted size %d, want the cache about full (>= %d)", got, max/2)
	}
	var sum uint64
	for k, e := range c.store.All() {
		sum += uint64(weigh(k, e))
	}
	if sum > max {
		t.Fatalf("entries weigh %d in total, want <= %d", sum, max)
	}
}
