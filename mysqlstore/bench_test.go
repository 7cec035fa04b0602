package mysqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fae-dev/fae/mysqlstore"
	"github.com/fae-dev/fae/testkit"
)

// benchStore starts a MariaDB with 1000 rows in bench.kv and opens a Store
// on it.
func benchStore(b *testing.B) (*mysqlstore.Store, [][]byte) {
	m := testkit.StartMariaDB(b)
	m.Exec(b, "CREATE DATABASE bench")
	m.Exec(b, "CREATE TABLE bench.kv (k VARBINARY(255) NOT NULL PRIMARY KEY, v BLOB)")
	s, err := mysqlstore.Open(mysqlstore.Config{Servers: []mysqlstore.Shard{{Primary: m.DSN("")}},
		Database: "bench", Table: "kv"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	var ks [][]byte
	for i := range 1000 {
		ks = append(ks, []byte(fmt.Sprintf("key:%d", i)))
	}
	if err := s.MSet(context.Background(), ks, ks, 0); err != nil {
		b.Fatal(err)
	}
	return s, ks
}

func BenchmarkGet(b *testing.B) {
	s, ks := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, _, err := s.Get(ctx, ks[i%len(ks)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkMGet100(b *testing.B) {
	s, ks := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		start := i * 100 % len(ks)
		if _, _, err := s.MGet(ctx, ks[start:start+100]); err != nil {
			b.Fatal(err)
		}
	}
}
