package tier

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memStore is an in-memory Store that counts the keys it is asked for and
// can hold reads until released, to test the chain's logic. (The chain over
// real Redis and MariaDB is tested in package proxy.)
type memStore struct {
	mu      sync.Mutex
	m       map[string][]byte
	reads   atomic.Int64  // keys asked for by MGet
	calls   atomic.Int64  // MGet calls
	gate    chan struct{} // when not nil, MGet waits for it to close
	entered chan struct{} // receives once per MGet call when gate is set
	setGate chan struct{} // when not nil, MSet waits for it to close
	setIn   chan struct{} // receives once per MSet call when setGate is set
	fail    error
}

func newMem(kv ...string) *memStore {
	s := &memStore{m: map[string][]byte{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.m[kv[i]] = []byte(kv[i+1])
	}
	return s
}

func (s *memStore) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	v, f, err := s.MGet(ctx, [][]byte{key})
	return v[0], f[0], err
}

func (s *memStore) MGet(ctx context.Context, keys [][]byte) ([][]byte, []bool, error) {
	s.calls.Add(1)
	s.reads.Add(int64(len(keys)))
	if s.gate != nil {
		s.entered <- struct{}{}
		<-s.gate
	}
	if s.fail != nil {
		return nil, nil, s.fail
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vs, fs := make([][]byte, len(keys)), make([]bool, len(keys))
	for i, k := range keys {
		vs[i], fs[i] = s.m[string(k)]
	}
	return vs, fs, nil
}

func (s *memStore) Set(ctx context.Context, key, value []byte, ttl time.Duration) error {
	return s.MSet(ctx, [][]byte{key}, [][]byte{value}, ttl)
}

func (s *memStore) MSet(_ context.Context, keys, values [][]byte, _ time.Duration) error {
	if s.setGate != nil {
		s.setIn <- struct{}{}
		<-s.setGate
	}
	if s.fail != nil {
		return s.fail
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range keys {
		s.m[string(k)] = append([]byte(nil), values[i]...)
	}
	return nil
}

func (s *memStore) Delete(_ context.Context, key []byte) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[string(key)]
	delete(s.m, string(key))
	return ok, nil
}

func (s *memStore) has(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[k]
	return ok
}

func chain(t *testing.T, cfg Config, stores ...*memStore) *Chain {
	t.Helper()
	for i, s := range stores {
		cfg.Tiers = append(cfg.Tiers, Tier{Name: fmt.Sprintf("t%d", i), Store: s})
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func keys(ks ...string) [][]byte {
	out := make([][]byte, len(ks))
	for i, k := range ks {
		out[i] = []byte(k)
	}
	return out
}

// Reads fall through the tiers in key order and write back what lower
// tiers had into the tiers above.
func TestReadThroughAndWriteBack(t *testing.T) {
	l1, l2, db := newMem("a", "1"), newMem("b", "2"), newMem("b", "x", "c", "3")
	c := chain(t, Config{}, l1, l2, db)
	vs, fs, err := c.MGet(context.Background(), keys("c", "a", "nope", "b", "a"))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%s %s %v %s %s", vs[0], vs[1], fs[2], vs[3], vs[4])
	if got != "3 1 false 2 1" {
		t.Fatalf("values: %s, want 3 1 false 2 1", got)
	}
	c.Close() // waits for the write-backs
	if !l1.has("b") || !l1.has("c") || !l2.has("c") || l2.has("a") {
		t.Errorf("write-back: l1 b=%v c=%v, l2 c=%v a=%v; want true true true false", l1.has("b"), l1.has("c"), l2.has("c"), l2.has("a"))
	}
	// "a" is asked for twice and read once
	if st := c.Stats(); st.Hits[0] != 1 || st.Hits[1] != 1 || st.Hits[2] != 1 || st.Misses != 1 {
		t.Errorf("stats %+v", st)
	}
}

// Concurrent misses of one key reach the store once.
func TestCoalescing(t *testing.T) {
	l1, db := newMem(), newMem("k", "v")
	db.gate, db.entered = make(chan struct{}), make(chan struct{}, 100)
	c := chain(t, Config{}, l1, db)
	const n = 20
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, f, err := c.Get(context.Background(), []byte("k")); err == nil && f && string(v) == "v" {
				ok.Add(1)
			}
		}()
	}
	<-db.entered // the leader is reading; let the others pile up behind it
	deadline := time.Now().Add(5 * time.Second)
	for c.Stats().Coalesced < n-1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(db.gate)
	wg.Wait()
	if db.calls.Load() != 1 || ok.Load() != n {
		t.Errorf("store calls %d (want 1), good replies %d of %d", db.calls.Load(), ok.Load(), n)
	}
}

// A key the store lacks is answered from the negative cache until a write.
func TestNegativeCache(t *testing.T) {
	l1, db := newMem(), newMem()
	c := chain(t, Config{NegativeTTL: time.Minute}, l1, db)
	ctx := context.Background()
	for range 3 {
		if _, f, _ := c.Get(ctx, []byte("ghost")); f {
			t.Fatal("found a key nobody wrote")
		}
	}
	if db.reads.Load() != 1 || c.Stats().NegativeHits != 2 {
		t.Errorf("store reads %d, negative hits %d; want 1 and 2", db.reads.Load(), c.Stats().NegativeHits)
	}
	if err := c.Set(ctx, []byte("ghost"), []byte("boo"), 0); err != nil {
		t.Fatal(err)
	}
	if v, f, _ := c.Get(ctx, []byte("ghost")); !f || string(v) != "boo" {
		t.Errorf("after a write: %q %v", v, f)
	}
}

// Writes go to the store, then invalidate (or update) the caches; deletes
// reach every tier; a failing store leaves the caches alone.
func TestWrites(t *testing.T) {
	ctx := context.Background()
	for _, policy := range []string{Invalidate, Update} {
		l1, db := newMem("k", "old"), newMem("k", "old")
		c := chain(t, Config{WritePolicy: policy}, l1, db)
		if err := c.Set(ctx, []byte("k"), []byte("new"), 0); err != nil {
			t.Fatal(err)
		}
		if string(db.m["k"]) != "new" || (policy == Invalidate) == l1.has("k") {
			t.Errorf("%s: store %q, cache has k %v", policy, db.m["k"], l1.has("k"))
		}
		if v, _, _ := c.Get(ctx, []byte("k")); string(v) != "new" {
			t.Errorf("%s: read after write %q", policy, v)
		}
		c.Close()
		if _, err := c.Delete(ctx, []byte("k")); err != ErrClosed {
			t.Errorf("after Close: %v", err)
		}
	}
	l1, db := newMem("k", "1"), newMem("k", "1")
	c := chain(t, Config{}, l1, db)
	if found, err := c.Delete(ctx, []byte("k")); err != nil || !found || l1.has("k") || db.has("k") {
		t.Errorf("delete: %v %v; l1 %v db %v", found, err, l1.has("k"), db.has("k"))
	}
	db.fail = errors.New("mysql down")
	l1.m["x"] = []byte("cached")
	if err := c.Set(ctx, []byte("x"), []byte("y"), 0); !errors.Is(err, ErrStore) || string(l1.m["x"]) != "cached" {
		t.Errorf("set with the store down: %v, cache %q", err, l1.m["x"])
	}
}

// With the store down, cache hits are served and misses get ErrStore.
func TestStoreOutage(t *testing.T) {
	l1, db := newMem("hot", "1"), newMem()
	db.fail = errors.New("connection refused")
	c := chain(t, Config{}, l1, db)
	vs, fs, err := c.MGet(context.Background(), keys("hot", "cold"))
	if !errors.Is(err, ErrStore) || !fs[0] || string(vs[0]) != "1" || fs[1] {
		t.Errorf("got %q %v %v", vs, fs, err)
	}
}

// A read that raced a write does not put the old value back in the cache.
func TestNoStaleWriteBack(t *testing.T) {
	l1, db := newMem(), newMem("k", "old")
	db.gate, db.entered = make(chan struct{}), make(chan struct{}, 10)
	c := chain(t, Config{}, l1, db)
	done := make(chan []byte)
	go func() {
		v, _, _ := c.Get(context.Background(), []byte("k"))
		done <- v
	}()
	<-db.entered      // the read is at the store, holding the old value
	c.bump(keys("k")) // a write happens meanwhile (as Set does first)
	close(db.gate)
	<-done
	c.Close()
	if l1.has("k") {
		t.Error("the old value was written back after a concurrent write")
	}
}

// A write-back still running when a delete arrives cannot put the deleted
// value back: the delete waits for it, then invalidates.
func TestDeleteWaitsForWriteBack(t *testing.T) {
	l1, db := newMem(), newMem("k", "v")
	l1.setGate, l1.setIn = make(chan struct{}), make(chan struct{}, 10)
	c := chain(t, Config{}, l1, db)
	ctx := context.Background()
	if v, _, _ := c.Get(ctx, []byte("k")); string(v) != "v" {
		t.Fatalf("get: %q", v)
	}
	<-l1.setIn // the write-back is writing into l1, held
	deleted := make(chan struct{})
	go func() {
		if _, err := c.Delete(ctx, []byte("k")); err != nil {
			t.Error(err)
		}
		close(deleted)
	}()
	select {
	case <-deleted:
		t.Fatal("the delete finished while a write-back of the key was writing")
	case <-time.After(50 * time.Millisecond): // it must be waiting
	}
	close(l1.setGate)
	<-deleted
	if l1.has("k") || db.has("k") {
		t.Errorf("after the delete: cache has k %v, store has k %v", l1.has("k"), db.has("k"))
	}
}
