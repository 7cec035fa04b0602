package tier

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// writeBackTimeout bounds a background write-back.
const writeBackTimeout = 5 * time.Second

// Set writes key to the store, then invalidates or updates the caches. ttl
// applies to the store when it expires keys (a cache tier uses its own TTL
// with Update).
func (c *Chain) Set(ctx context.Context, key, value []byte, ttl time.Duration) error {
	return c.MSet(ctx, [][]byte{key}, [][]byte{value}, ttl)
}

// MSet writes every key to the store, then invalidates or updates the
// caches. When the store fails nothing else is touched.
func (c *Chain) MSet(ctx context.Context, keys, values [][]byte, ttl time.Duration) error {
	if c.closed.Load() {
		return ErrClosed
	}
	c.bump(keys)
	st := c.tiers[c.store]
	if err := st.Store.MSet(ctx, keys, values, ttl); err != nil {
		c.errs.Add(1)
		return fmt.Errorf("%w: tier %s: %w", ErrStore, st.Name, err)
	}
	if c.neg != nil {
		for _, k := range keys {
			c.neg.remove(k)
		}
	}
	unlock := c.lockKeys(keys)
	defer unlock()
	err := c.eachCache(ctx, func(t Tier) error {
		if c.update {
			return t.Store.MSet(ctx, keys, values, t.TTL)
		}
		for _, k := range keys {
			if _, err := t.Store.Delete(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	c.bump(keys) // a read that began during the write must not write back
	c.forget(keys)
	return err
}

// Delete removes key from the store and from every cache tier.
func (c *Chain) Delete(ctx context.Context, key []byte) (bool, error) {
	if c.closed.Load() {
		return false, ErrClosed
	}
	c.bump([][]byte{key})
	st := c.tiers[c.store]
	found, err := st.Store.Delete(ctx, key)
	if err != nil {
		c.errs.Add(1)
		return false, fmt.Errorf("%w: tier %s: %w", ErrStore, st.Name, err)
	}
	var mu sync.Mutex
	unlock := c.lockKeys([][]byte{key})
	defer unlock()
	err = c.eachCache(ctx, func(t Tier) error {
		f, err := t.Store.Delete(ctx, key)
		mu.Lock()
		found = found || f
		mu.Unlock()
		return err
	})
	if c.neg != nil {
		c.neg.remove(key)
	}
	c.bump([][]byte{key})
	c.forget([][]byte{key})
	return found, err
}

// lockKeys takes the stripes of keys exclusively (waiting for write-backs
// of those stripes) and returns the unlock.
func (c *Chain) lockKeys(keys [][]byte) func() {
	stripes := c.stripes(keys)
	for _, st := range stripes {
		c.locks[st].Lock()
	}
	return func() {
		for _, st := range stripes {
			c.locks[st].Unlock()
		}
	}
}

// bump advances the write generation of keys, so write-backs of reads
// that began before stop.
func (c *Chain) bump(keys [][]byte) {
	for _, k := range keys {
		c.gen(k).Add(1)
	}
}

// eachCache runs f on every writable cache tier concurrently and returns
// the first error (the others are logged).
func (c *Chain) eachCache(ctx context.Context, f func(Tier) error) error {
	var wg sync.WaitGroup
	errs := make([]error, c.store)
	for i := 0; i < c.store; i++ {
		if c.tiers[i].ReadOnly {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(c.tiers[i])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			c.errs.Add(1)
			c.log.Warn("cache tier write failed", "tier", c.tiers[i].Name, "err", err)
			return fmt.Errorf("cache tier %s: %w", c.tiers[i].Name, err)
		}
	}
	return nil
}

// negCache remembers keys the store does not have, for a while.
type negCache struct {
	ttl time.Duration
	max int
	mu  sync.Mutex
	m   map[string]time.Time
}

func newNegCache(ttl time.Duration, max int) *negCache {
	if max <= 0 {
		max = 100000
	}
	return &negCache{ttl: ttl, max: max, m: map[string]time.Time{}}
}

func (n *negCache) has(key []byte) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	exp, ok := n.m[string(key)]
	if ok && time.Now().After(exp) {
		delete(n.m, string(key))
		return false
	}
	return ok
}

func (n *negCache) add(key []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.m) >= n.max {
		now := time.Now()
		for k, exp := range n.m { // drop the expired, or else any
			if now.After(exp) || len(n.m) >= n.max {
				delete(n.m, k)
			}
		}
	}
	n.m[string(key)] = time.Now().Add(n.ttl)
}

func (n *negCache) remove(key []byte) {
	n.mu.Lock()
	delete(n.m, string(key))
	n.mu.Unlock()
}
