package proxy

import (
	"errors"
	"fmt"
	"testing"

	gomemcache "github.com/bradfitz/gomemcache/memcache"
)

// A memcached client library nobody here wrote (bradfitz/gomemcache) works
// through faed in front of three memcached: get_multi, cas, incr, touch.
func TestGomemcacheClient(t *testing.T) {
	_, addr, _ := mcPool(t, 3, "")
	mc := gomemcache.New(addr)
	var keys []string
	for i := 0; i < 50; i++ {
		k := fmt.Sprintf("gm:%d", i)
		keys = append(keys, k)
		if err := mc.Set(&gomemcache.Item{Key: k, Value: []byte("v" + k), Flags: uint32(i)}); err != nil {
			t.Fatal(err)
		}
	}
	items, err := mc.GetMulti(append(keys, "gm:missing"))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != len(keys) {
		t.Errorf("GetMulti: %d items, want %d", len(items), len(keys))
	}
	for i, k := range keys {
		it := items[k]
		if it == nil || string(it.Value) != "v"+k || it.Flags != uint32(i) {
			t.Errorf("GetMulti %s: got %+v", k, it)
		}
	}
	// cas: a fresh item stores, a stale one does not
	it, err := mc.Get("gm:1")
	if err != nil {
		t.Fatal(err)
	}
	stale := *it
	it.Value = []byte("new")
	if err := mc.CompareAndSwap(it); err != nil {
		t.Errorf("CompareAndSwap: %v", err)
	}
	stale.Value = []byte("stale")
	if err := mc.CompareAndSwap(&stale); !errors.Is(err, gomemcache.ErrCASConflict) {
		t.Errorf("stale CompareAndSwap: got %v, want ErrCASConflict", err)
	}
	if err := mc.Set(&gomemcache.Item{Key: "gm:n", Value: []byte("41")}); err != nil {
		t.Fatal(err)
	}
	if n, err := mc.Increment("gm:n", 1); err != nil || n != 42 {
		t.Errorf("Increment: got %d, %v; want 42", n, err)
	}
	if _, err := mc.Increment("gm:none", 1); !errors.Is(err, gomemcache.ErrCacheMiss) {
		t.Errorf("Increment of a missing key: got %v, want ErrCacheMiss", err)
	}
	if err := mc.Touch("gm:n", 100); err != nil {
		t.Errorf("Touch: %v", err)
	}
	if err := mc.Delete("gm:n"); err != nil {
		t.Errorf("Delete: %v", err)
	}
	if _, err := mc.Get("gm:n"); !errors.Is(err, gomemcache.ErrCacheMiss) {
		t.Errorf("Get after Delete: got %v, want ErrCacheMiss", err)
	}
}
