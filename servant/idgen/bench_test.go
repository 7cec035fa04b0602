package idgen

import (
	"testing"
	"time"

	"github.com/fae-dev/fae/memcache"
)

// BenchmarkNext measures Next on the system clock. Beyond 4096 IDs per
// millisecond it waits for the clock, so this also shows the rate bound.
func BenchmarkNext(b *testing.B) {
	g := newGen(b, Config{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNextFastClock measures Next on a clock that ticks every 4096
// readings, so that it never waits: the cost of the generator alone.
func BenchmarkNextFastClock(b *testing.B) {
	var reads int64
	g := newGen(b, Config{Now: func() time.Time {
		reads++
		return time.UnixMilli(DefaultEpochMilli + 1 + reads>>SeqBits)
	}})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNextParallel measures Next from GOMAXPROCS goroutines.
func BenchmarkNextParallel(b *testing.B) {
	g := newGen(b, Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := g.Next(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDoIncr measures the Redis INCR handler into a reused buffer.
func BenchmarkDoIncr(b *testing.B) {
	g := newGen(b, Config{})
	args := toArgs("INCR", "id")
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = g.Do(dst[:0], args)
	}
}

// BenchmarkDoMemcacheGet measures the memcache get handler.
func BenchmarkDoMemcacheGet(b *testing.B) {
	g := newGen(b, Config{})
	keys := toArgs("id")
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = g.DoMemcache(dst[:0], memcache.KindGet, keys, false)
	}
}
