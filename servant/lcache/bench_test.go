package lcache

import (
	"strconv"
	"testing"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

// BenchmarkGetHit measures GET of an existing 64-byte value into a reused
// buffer.
func BenchmarkGetHit(b *testing.B) {
	kvtest.BenchGetHit(b, newTestCache(b, Config{}))
}

// BenchmarkGetHitTTL is BenchmarkGetHit for a key with a TTL, which costs a
// clock read.
func BenchmarkGetHitTTL(b *testing.B) {
	c := newTestCache(b, Config{})
	c.Do(nil, kvtest.ToArgs([]string{"SET", "key:1", string(make([]byte, 64)), "EX", "1000"}))
	args := kvtest.ToArgs([]string{"GET", "key:1"})
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = c.Do(dst[:0], args)
	}
}

// BenchmarkSet measures SET of a 64-byte value over 1024 keys.
func BenchmarkSet(b *testing.B) {
	kvtest.BenchSet(b, newTestCache(b, Config{}))
}

// BenchmarkGetHitParallel measures GET from all cores.
func BenchmarkGetHitParallel(b *testing.B) {
	c := newTestCache(b, Config{})
	for i := range 1024 {
		c.Do(nil, kvtest.ToArgs([]string{"SET", "key:" + strconv.Itoa(i), "value"}))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		args := kvtest.ToArgs([]string{"GET", "key:1"})
		dst := make([]byte, 0, 64)
		i := 0
		for pb.Next() {
			args[1] = strconv.AppendInt(args[1][:4], int64(i%1024), 10)
			dst = c.Do(dst[:0], args)
			i++
		}
	})
}

// BenchmarkIncrByFloat measures INCRBYFLOAT with everyday values.
func BenchmarkIncrByFloat(b *testing.B) {
	c := newTestCache(b, Config{})
	args := kvtest.ToArgs([]string{"INCRBYFLOAT", "f", "0.1"})
	b.ReportAllocs()
	for b.Loop() {
		c.Do(nil, args)
	}
}
