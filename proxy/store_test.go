package proxy

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fae-dev/fae/backend"
)

// The Store methods (used by the HTTP API) read and write the same keys, on
// the same servers, as Redis clients of the pool.
func TestPoolStore(t *testing.T) {
	for _, tc := range []struct{ name, toml string }{
		{"redis", ""},
		{"servant", "[pools.p]\nlisten = \"127.0.0.1:0\"\nservant = \"lcache\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.toml
			if cfg == "" {
				cfg = poolTOML(startRedises(t, 3), `hash = "md5"`)
			}
			srv, addr := startProxy(t, cfg)
			p := srv.Pool("p")
			ctx := context.Background()
			keys, vals := [][]byte{}, [][]byte{}
			for i := 0; i < 20; i++ {
				keys = append(keys, []byte(fmt.Sprintf("store:%d", i)))
				vals = append(vals, []byte(fmt.Sprintf("v\x00%d", i)))
			}
			if err := p.MSet(ctx, keys, vals, 0); err != nil {
				t.Fatal(err)
			}
			c := dial(t, addr)
			c.expect(bulk("v\x005"), "GET", "store:5")
			got, found, err := p.MGet(ctx, append(keys[:3:3], []byte("missing")))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				if !found[i] || string(got[i]) != string(vals[i]) {
					t.Errorf("key %d: got %q/%v, want %q", i, got[i], found[i], vals[i])
				}
			}
			if found[3] {
				t.Errorf("missing key found: %q", got[3])
			}
			c.expect("+OK\r\n", "SET", "fromredis", "x")
			if v, ok, err := p.Get(ctx, []byte("fromredis")); err != nil || !ok || string(v) != "x" {
				t.Errorf("Get: got %q %v %v", v, ok, err)
			}
			if ok, err := p.Delete(ctx, []byte("fromredis")); err != nil || !ok {
				t.Errorf("Delete: got %v %v, want true", ok, err)
			}
			if ok, _ := p.Delete(ctx, []byte("fromredis")); ok {
				t.Error("Delete of a missing key reported found")
			}
			if err := p.Set(ctx, []byte("ttl"), []byte("1"), 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			eventually(t, 5*time.Second, "key expired", func() bool {
				_, ok, _ := p.Get(ctx, []byte("ttl"))
				return !ok
			})
		})
	}
}

// A timed-out store call fails with backend.ErrTimeout.
func TestPoolStoreTimeout(t *testing.T) {
	rs := startRedises(t, 1)
	srv, _ := startProxy(t, poolTOML(rs, `timeout = "100ms"`))
	rs[0].Pause()
	defer rs[0].Resume()
	_, _, err := srv.Pool("p").Get(context.Background(), []byte("k"))
	if !errors.Is(err, backend.ErrTimeout) {
		t.Errorf("got %v, want backend.ErrTimeout", err)
	}
}

// The Store methods on a memcache pool speak memcache to its servers.
func TestPoolStoreMemcache(t *testing.T) {
	srv, addr, _ := mcPool(t, 3, "")
	p := srv.Pool("p")
	ctx := context.Background()
	var keys, vals [][]byte
	for i := 0; i < 20; i++ {
		keys = append(keys, []byte(fmt.Sprintf("ms:%d", i)))
		vals = append(vals, []byte(fmt.Sprintf("v %d\x00", i)))
	}
	if err := p.MSet(ctx, keys, vals, time.Hour); err != nil {
		t.Fatal(err)
	}
	c := mcDial(t, addr)
	c.expect("get ms:5\r\n", "VALUE ms:5 0 4\r\nv 5\x00\r\nEND\r\n")
	got, found, err := p.MGet(ctx, [][]byte{keys[0], []byte("none"), keys[19]})
	if err != nil || !found[0] || found[1] || !found[2] || string(got[2]) != string(vals[19]) {
		t.Errorf("MGet: got %q %v %v", got, found, err)
	}
	if ok, err := p.Delete(ctx, keys[0]); err != nil || !ok {
		t.Errorf("Delete: got %v %v, want true", ok, err)
	}
	if ok, _ := p.Delete(ctx, keys[0]); ok {
		t.Error("Delete of a missing key reported found")
	}
	if err := p.Set(ctx, []byte("short"), []byte("x"), time.Second); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "key expired", func() bool {
		_, ok, _ := p.Get(ctx, []byte("short"))
		return !ok
	})
}
