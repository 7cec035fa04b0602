package tier

import (
	"context"
	"sync"
	"time"
)

// flight is one lower-tier read of a key that others may wait for.
type flight struct {
	done  chan struct{}
	value []byte
	found bool
	err   error
}

// group tracks the keys being read from one tier.
type group struct {
	mu sync.Mutex
	m  map[string]*flight
}

// readTier reads the pending keys from tier ti into values and found, and
// returns the indexes it missed, in order. Below the first tier, a key that
// another request is already reading is waited for instead (coalescing).
// The keys this request read stay visible to others as done flights until
// settle is called (after their write-back), so that a reader arriving
// between the read and the write-back does not read the tier again.
func (c *Chain) readTier(ctx context.Context, ti int, keys [][]byte, pending []int, values [][]byte, found []bool) (miss []int, settle func(), err error) {
	g := c.flights[ti]
	if g == nil {
		miss, err = c.readDirect(ctx, ti, keys, pending, values, found)
		return miss, func() {}, err
	}
	var lead []int
	var own []*flight
	waits := map[int]*flight{}
	g.mu.Lock()
	for _, i := range pending {
		k := string(keys[i])
		if f, ok := g.m[k]; ok {
			waits[i] = f
			continue
		}
		f := &flight{done: make(chan struct{})}
		g.m[k] = f
		lead, own = append(lead, i), append(own, f)
	}
	g.mu.Unlock()
	// a key repeated within one request is read once: its later copies wait
	// for the first like any other request
	if len(lead) > 0 {
		err = c.lead(ctx, ti, keys, lead, own, values, found)
	}
	ks := make([]string, len(lead))
	for j, i := range lead {
		ks[j] = string(keys[i])
	}
	settle = func() {
		if len(ks) == 0 {
			return
		}
		// a reader that missed the caches just before the write-back
		// landed still finds the value here for a while
		time.AfterFunc(c.linger, func() {
			g.mu.Lock()
			for j, k := range ks {
				if g.m[k] == own[j] {
					delete(g.m, k)
				}
			}
			g.mu.Unlock()
		})
	}
	c.coalesced.Add(int64(len(waits)))
	for _, i := range pending {
		f, ok := waits[i]
		if !ok {
			continue
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, settle, ctx.Err()
		}
		if f.err != nil && err == nil {
			err = f.err
		}
		values[i], found[i] = f.value, f.found
	}
	for _, i := range pending {
		if !found[i] {
			miss = append(miss, i)
		}
	}
	return miss, settle, err
}

// lead reads the keys this request leads and publishes them to waiters.
func (c *Chain) lead(ctx context.Context, ti int, keys [][]byte, lead []int, own []*flight, values [][]byte, found []bool) error {
	_, err := c.readDirect(ctx, ti, keys, lead, values, found)
	for j, i := range lead {
		f := own[j]
		f.value, f.found, f.err = values[i], found[i], err
		close(f.done)
	}
	return err
}

// readDirect reads keys[idx] from tier ti with one MGet.
func (c *Chain) readDirect(ctx context.Context, ti int, keys [][]byte, idx []int, values [][]byte, found []bool) (miss []int, err error) {
	batch := make([][]byte, len(idx))
	for j, i := range idx {
		batch[j] = keys[i]
	}
	if ti == c.store {
		c.storeReads.Add(int64(len(batch)))
	}
	vs, fs, err := c.tiers[ti].Store.MGet(ctx, batch)
	if err != nil {
		return idx, err
	}
	for j, i := range idx {
		if j < len(fs) && fs[j] {
			values[i], found[i] = vs[j], true
		} else {
			miss = append(miss, i)
		}
	}
	return miss, nil
}

// writeBack copies the values found in tier ti into the writable cache tiers
// above it, in the background, skipping keys written since the read began;
// then it calls settle.
//
// A write-back holds its keys' stripes shared while it checks their write
// generations and writes; a writer takes them exclusively to invalidate
// the caches, so a write-back either sees the writer's generation and
// skips the key, or finishes before the invalidation.
func (c *Chain) writeBack(ti int, keys [][]byte, values [][]byte, hit []int, gens []uint64, settle func()) {
	if c.closed.Load() {
		settle()
		return
	}
	ks := make([][]byte, len(hit))
	vs := make([][]byte, len(hit))
	wgens := make([]uint64, len(hit))
	for j, i := range hit {
		ks[j], vs[j], wgens[j] = append([]byte(nil), keys[i]...), values[i], gens[i]
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer settle()
		stripes := c.stripes(ks)
		for _, st := range stripes {
			c.locks[st].RLock()
		}
		defer func() {
			for _, st := range stripes {
				c.locks[st].RUnlock()
			}
		}()
		ks, vs := c.unchanged(ks, vs, wgens)
		if len(ks) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), writeBackTimeout)
		defer cancel()
		for up := ti - 1; up >= 0; up-- {
			t := c.tiers[up]
			if t.ReadOnly || up >= c.store {
				continue
			}
			if err := t.Store.MSet(ctx, ks, vs, t.TTL); err != nil {
				c.errs.Add(1)
				c.log.Warn("write-back failed", "tier", t.Name, "keys", len(ks), "err", err)
				continue
			}
			c.writeBacks.Add(int64(len(ks)))
		}
	}()
}

// unchanged keeps the keys whose write generation is still gens'.
func (c *Chain) unchanged(ks, vs [][]byte, gens []uint64) ([][]byte, [][]byte) {
	var k2, v2 [][]byte
	for j, k := range ks {
		if c.gen(k).Load() == gens[j] {
			k2, v2 = append(k2, k), append(v2, vs[j])
		}
	}
	return k2, v2
}
