package lcache

import (
	"strconv"
	"testing"
)

// mcGetBench returns a Cache holding n keys "key:i" of 64-byte values, and a
// get of the first k of them.
func mcGetBench(tb testing.TB, n, k int, cmd string) (*Cache, *MC) {
	c := newTestCache(tb, Config{})
	r := &MC{Cmd: cmd}
	for i := range n {
		key := []byte("key:" + strconv.Itoa(i))
		c.DoMemcache(nil, &MC{Cmd: "set", Keys: [][]byte{key}, Flags: 7, Value: make([]byte, 64)})
		if i < k {
			r.Keys = append(r.Keys, key)
		}
	}
	return c, r
}

// BenchmarkMemcacheGetHit measures get of an existing 64-byte value into a
// reused buffer.
func BenchmarkMemcacheGetHit(b *testing.B) {
	c, r := mcGetBench(b, 1, 1, "get")
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = c.DoMemcache(dst[:0], r)
	}
	if want := len("VALUE key:0 7 64\r\n\r\nEND\r\n") + 64; len(dst) != want {
		b.Fatalf("get reply %q", dst)
	}
}

// BenchmarkMemcacheGetsMulti measures gets of 16 existing keys.
func BenchmarkMemcacheGetsMulti(b *testing.B) {
	c, r := mcGetBench(b, 16, 16, "gets")
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		dst = c.DoMemcache(dst[:0], r)
	}
}

// BenchmarkMemcacheGetHitParallel measures get from all cores over 1024 keys.
func BenchmarkMemcacheGetHitParallel(b *testing.B) {
	c, _ := mcGetBench(b, 1024, 0, "get")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		key := []byte("key:0000")
		r := &MC{Cmd: "get", Keys: [][]byte{key}}
		dst := make([]byte, 0, 256)
		for i := 0; pb.Next(); i++ {
			r.Keys[0] = strconv.AppendInt(key[:4], int64(i%1024), 10)
			dst = c.DoMemcache(dst[:0], r)
		}
	})
}

// BenchmarkMemcacheSet measures set of a 64-byte value over 1024 keys.
func BenchmarkMemcacheSet(b *testing.B) {
	c := newTestCache(b, Config{})
	reqs := make([]*MC, 1024)
	for i := range reqs {
		reqs[i] = &MC{Cmd: "set", Keys: [][]byte{[]byte("key:" + strconv.Itoa(i))}, Value: make([]byte, 64)}
	}
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dst = c.DoMemcache(dst[:0], reqs[i%len(reqs)])
		i++
	}
}

// TestMemcacheHotPathAllocs asserts what the benchmarks report: fetches
// into a buffer large enough allocate nothing.
func TestMemcacheHotPathAllocs(t *testing.T) {
	c, multi := mcGetBench(t, 16, 16, "gets")
	dst := make([]byte, 0, 4096)
	for _, tc := range []struct {
		name string
		r    *MC
	}{
		{"get hit", &MC{Cmd: "get", Keys: multi.Keys[:1]}},
		{"gets of 16 hits", multi},
		{"get miss", &MC{Cmd: "get", Keys: [][]byte{[]byte("nope")}}},
		{"mg hit", &MC{Cmd: "mg", Keys: multi.Keys[:1], Meta: [][]byte{[]byte("v"), []byte("f"), []byte("c")}}},
		{"mn", &MC{Cmd: "mn"}},
	} {
		if n := testing.AllocsPerRun(100, func() { dst = c.DoMemcache(dst[:0], tc.r) }); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, n)
		}
	}
}
