package lcache

import (
	"strconv"
	"testing"
)

// BenchmarkGetHit measures GET of an existing 64-byte value into a reused
// buffer.
func BenchmarkGetHit(b *testing.B) {
	c := newTestCache(b, Config{})
	c.Do(nil, toArgs([]string{"SET", "key:1", string(make([]byte, 64))}))
	args := toArgs([]string{"GET", "key:1"})
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = c.Do(dst[:0], args)
	}
	if len(dst) != 64+len("$64\r\n\r\n") {
		b.Fatalf("GET reply %q", dst)
	}
}

// BenchmarkGetHitTTL is BenchmarkGetHit for a key with a TTL, which costs a
// clock read.
func BenchmarkGetHitTTL(b *testing.B) {
	c := newTestCache(b, Config{})
	c.Do(nil, toArgs([]string{"SET", "key:1", string(make([]byte, 64)), "EX", "1000"}))
	args := toArgs([]string{"GET", "key:1"})
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = c.Do(dst[:0], args)
	}
}

// BenchmarkSet measures SET of a 64-byte value over 1024 keys.
func BenchmarkSet(b *testing.B) {
	c := newTestCache(b, Config{})
	cmds := make([][][]byte, 1024)
	for i := range cmds {
		cmds[i] = toArgs([]string{"SET", "key:" + strconv.Itoa(i), string(make([]byte, 64))})
	}
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dst = c.Do(dst[:0], cmds[i%len(cmds)])
		i++
	}
}

// BenchmarkGetHitParallel measures GET from all cores.
func BenchmarkGetHitParallel(b *testing.B) {
	c := newTestCache(b, Config{})
	for i := range 1024 {
		c.Do(nil, toArgs([]string{"SET", "key:" + strconv.Itoa(i), "value"}))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		args := toArgs([]string{"GET", "key:1"})
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
	args := toArgs([]string{"INCRBYFLOAT", "f", "0.1"})
	b.ReportAllocs()
	for b.Loop() {
		c.Do(nil, args)
	}
}
