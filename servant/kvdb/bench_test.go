package kvdb

import (
	"strconv"
	"testing"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

// BenchmarkGetHit measures GET of an existing 64-byte value into a reused
// buffer.
func BenchmarkGetHit(b *testing.B) {
	kvtest.BenchGetHit(b, newTestDB(b, Config{}))
}

// BenchmarkSet measures SET of a 64-byte value over 1024 keys, without
// fsync (Config.Sync false).
func BenchmarkSet(b *testing.B) {
	if dst := kvtest.BenchSet(b, newTestDB(b, Config{})); string(dst) != "+OK\r\n" {
		b.Fatalf("SET reply %q", dst)
	}
}

// BenchmarkSetParallel is BenchmarkSet from GOMAXPROCS goroutines, which
// pebble's commit pipeline groups.
func BenchmarkSetParallel(b *testing.B) {
	db := newTestDB(b, Config{})
	val := string(make([]byte, 64))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		dst := make([]byte, 0, 64)
		cmd := kvtest.ToArgs([]string{"SET", "", val})
		for i := 0; pb.Next(); i++ {
			cmd[1] = strconv.AppendInt(cmd[1][:0], int64(i%1024), 10)
			dst = db.Do(dst[:0], cmd)
		}
	})
}

// BenchmarkMemcacheGetHit measures a memcache get of an existing 64-byte
// value into a reused buffer.
func BenchmarkMemcacheGetHit(b *testing.B) {
	db := newTestDB(b, Config{})
	key := kvtest.ToArgs([]string{"key:1"})
	db.DoMemcache(nil, &MC{Cmd: "set", Keys: key, Value: make([]byte, 64)})
	r := &MC{Cmd: "get", Keys: key}
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = db.DoMemcache(dst[:0], r)
	}
	if len(dst) < 64 {
		b.Fatalf("get reply %q", dst)
	}
}
