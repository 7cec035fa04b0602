package tier

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Store is a key-value view of a pool, a MySQL store or a servant: one tier
// of a chain (and what the HTTP API serves, as httpapi.Store).
// Implementations are safe for concurrent use. Callers never modify or
// reuse the slices they pass or get back.
type Store interface {
	// Get returns the value of key; found is false when the key does not exist.
	Get(ctx context.Context, key []byte) (value []byte, found bool, err error)
	// Set stores value under key, expiring after ttl; ttl 0 means no expiry
	// (a store that cannot expire keys ignores ttl).
	Set(ctx context.Context, key, value []byte, ttl time.Duration) error
	// Delete removes key; found reports whether it existed.
	Delete(ctx context.Context, key []byte) (found bool, err error)
	// MGet returns, for each key in order, its value and whether it exists:
	// len(values) == len(found) == len(keys), and values[i] is nil when
	// found[i] is false. Keys may repeat.
	MGet(ctx context.Context, keys [][]byte) (values [][]byte, found []bool, err error)
	// MSet stores values[i] under keys[i] for every i (len(keys) ==
	// len(values)), each expiring after ttl; ttl 0 means no expiry. When a
	// key repeats, the last value wins.
	MSet(ctx context.Context, keys, values [][]byte, ttl time.Duration) error
}

// Write policies accepted in Config.WritePolicy.
const (
	// Invalidate deletes a written key from the cache tiers after the store
	// took the write (the default): the next read loads it.
	Invalidate = "invalidate"
	// Update writes the new value into the cache tiers too.
	Update = "update"
)

// Errors of a Chain.
var (
	// ErrStore wraps the error of the store tier when a read needed it (a
	// key missed every cache) or a write failed there.
	ErrStore = errors.New("store tier failed")
	// ErrConfig is wrapped by New for an unusable Config.
	ErrConfig = errors.New("bad tier config")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("tier chain closed")
)

// Tier is one level of a chain.
type Tier struct {
	// Name names the tier in errors and stats (its pool's name).
	Name string
	// Store serves the tier. Required.
	Store Store
	// TTL is how long values written back into this tier live; 0 means no
	// expiry.
	TTL time.Duration
	// ReadOnly tiers are read but never written (read replicas).
	ReadOnly bool
}

// Config is a chain: cache tiers first, the store last.
type Config struct {
	// Tiers in read order; the last writable tier is the store, the ones
	// above it are caches. At least two.
	Tiers []Tier
	// WritePolicy is Invalidate (default) or Update.
	//
	// Consistency: a write returns once the store has it and the caches are
	// invalidated (or updated), so a read that starts after a write returns
	// sees it. A read that raced a write may have loaded the old value from
	// the store before the write; its write-back is skipped when a write of
	// that key (through this chain) happened meanwhile, so the old value is
	// not put back into the caches. Writers going around this faed (straight
	// to MySQL, or through another faed) are seen once the cached value's
	// TTL ends: keep cache TTLs as short as that staleness allows.
	WritePolicy string
	// NegativeTTL is how long a key the store does not have is answered as
	// missing without asking the store again; 0 turns it off. A write of the
	// key through the chain clears it at once.
	NegativeTTL time.Duration
	// NegativeMax bounds the negative cache; 0 means 100000 keys.
	NegativeMax int
	// Log receives write-back and cache failures; nil discards them.
	Log *slog.Logger
}

// Stats counts what a chain did.
type Stats struct {
	// Hits[i] are the keys served by tier i.
	Hits []int64
	// Misses are keys no tier had.
	Misses int64
	// NegativeHits are misses answered by the negative cache.
	NegativeHits int64
	// Coalesced are lower-tier reads saved because the key was already
	// being read.
	Coalesced int64
	// WriteBacks are values written back into cache tiers.
	WriteBacks int64
	// StoreReads are the keys read from the store tier.
	StoreReads int64
	// Errors are failed tier operations (a failed cache read counts as a
	// miss and here).
	Errors int64
}

// Chain is a tier chain. Safe for concurrent use.
type Chain struct {
	tiers   []Tier
	store   int // index of the store tier
	update  bool
	neg     *negCache
	flights []*group // per tier (nil for tier 0)
	gens    [numStripes]atomic.Uint64
	locks   [numStripes]sync.RWMutex // write-backs shared, invalidations exclusive
	seed    maphash.Seed
	log     *slog.Logger

	hits                                   []atomic.Int64
	misses, negHits, coalesced, writeBacks atomic.Int64
	storeReads, errs                       atomic.Int64

	wg     sync.WaitGroup // write-backs
	closed atomic.Bool
	linger time.Duration // how long a finished read stays shared (read.go)
}

// New returns the chain of cfg.
func New(cfg Config) (*Chain, error) {
	if len(cfg.Tiers) < 2 {
		return nil, fmt.Errorf("%w: a chain needs at least two tiers", ErrConfig)
	}
	c := &Chain{tiers: cfg.Tiers, store: -1, update: cfg.WritePolicy == Update, seed: maphash.MakeSeed(), log: cfg.Log, linger: flightLinger}
	switch cfg.WritePolicy {
	case "", Invalidate, Update:
	default:
		return nil, fmt.Errorf("%w: unknown write policy %q; want %q or %q", ErrConfig, cfg.WritePolicy, Invalidate, Update)
	}
	for i, t := range cfg.Tiers {
		if t.Store == nil {
			return nil, fmt.Errorf("%w: tier %d (%s) has no store", ErrConfig, i, t.Name)
		}
		if !t.ReadOnly {
			c.store = i
		}
	}
	if c.store < 0 {
		return nil, fmt.Errorf("%w: every tier is read-only", ErrConfig)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if cfg.NegativeTTL > 0 {
		c.neg = newNegCache(cfg.NegativeTTL, cfg.NegativeMax)
	}
	c.flights = make([]*group, len(cfg.Tiers))
	for i := 1; i < len(cfg.Tiers); i++ {
		c.flights[i] = &group{m: map[string]*flight{}}
	}
	c.hits = make([]atomic.Int64, len(cfg.Tiers))
	return c, nil
}

// Stats returns the counters.
func (c *Chain) Stats() Stats {
	s := Stats{Misses: c.misses.Load(), NegativeHits: c.negHits.Load(), Coalesced: c.coalesced.Load(),
		WriteBacks: c.writeBacks.Load(), StoreReads: c.storeReads.Load(), Errors: c.errs.Load()}
	for i := range c.hits {
		s.Hits = append(s.Hits, c.hits[i].Load())
	}
	return s
}

// Close waits for the write-backs in flight; later calls fail.
func (c *Chain) Close() error {
	c.closed.Store(true)
	c.wg.Wait()
	return nil
}

// gen returns the write generation of key's stripe.
func (c *Chain) gen(key []byte) *atomic.Uint64 { return &c.gens[c.stripe(key)] }

// numStripes is the number of key stripes for write generations and locks.
const numStripes = 4096

func (c *Chain) stripe(key []byte) int { return int(maphash.Bytes(c.seed, key) % numStripes) }

// stripes returns the distinct stripes of keys in increasing order (the
// lock order).
func (c *Chain) stripes(keys [][]byte) []int {
	var out []int
	for _, k := range keys {
		out = append(out, c.stripe(k))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// flightLinger is how long the result of a lower-tier read stays shared
// with later readers of the key after its write-back; a write of the key
// ends it at once.
const flightLinger = time.Second

// forget drops the finished reads of keys, so that no reader takes a value
// older than a write.
func (c *Chain) forget(keys [][]byte) {
	for _, g := range c.flights {
		if g == nil {
			continue
		}
		g.mu.Lock()
		for _, k := range keys {
			if f, ok := g.m[string(k)]; ok {
				select {
				case <-f.done:
					delete(g.m, string(k))
				default: // still being read: its write-back is skipped (gen)
				}
			}
		}
		g.mu.Unlock()
	}
}

// Get returns key's value from the first tier that has it.
func (c *Chain) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	v, f, err := c.MGet(ctx, [][]byte{key})
	if len(v) == 0 {
		return nil, false, err
	}
	return v[0], f[0], err
}

// MGet returns the value of every key, in order. When the store failed for
// keys that missed every cache, err wraps ErrStore and those keys are
// reported missing; the other values are still returned.
func (c *Chain) MGet(ctx context.Context, keys [][]byte) (values [][]byte, found []bool, err error) {
	if c.closed.Load() {
		return nil, nil, ErrClosed
	}
	if len(keys) < 2 {
		return c.mget(ctx, keys)
	}
	uniq, pos := dedupe(keys)
	if len(uniq) < len(keys) { // read each key once, answer every copy
		uv, uf, err := c.mget(ctx, uniq)
		values, found = make([][]byte, len(keys)), make([]bool, len(keys))
		for i, p := range pos {
			values[i], found[i] = uv[p], uf[p]
		}
		return values, found, err
	}
	return c.mget(ctx, keys)
}

// dedupe returns the distinct keys in first-seen order and, for each key,
// its index among them.
func dedupe(keys [][]byte) (uniq [][]byte, pos []int) {
	seen := make(map[string]int, len(keys))
	pos = make([]int, len(keys))
	for i, k := range keys {
		p, ok := seen[string(k)]
		if !ok {
			p = len(uniq)
			seen[string(k)] = p
			uniq = append(uniq, k)
		}
		pos[i] = p
	}
	return uniq, pos
}

// mget is MGet over distinct keys.
func (c *Chain) mget(ctx context.Context, keys [][]byte) (values [][]byte, found []bool, err error) {
	values, found = make([][]byte, len(keys)), make([]bool, len(keys))
	pending := make([]int, len(keys))
	gens := make([]uint64, len(keys))
	for i := range keys {
		pending[i] = i
		gens[i] = c.gen(keys[i]).Load()
	}
	for ti := range c.tiers {
		if len(pending) == 0 {
			break
		}
		if ti == c.store && c.neg != nil {
			pending = c.dropNegative(keys, pending)
		}
		miss, settle, terr := c.readTier(ctx, ti, keys, pending, values, found)
		if terr != nil {
			c.errs.Add(1)
			settle()
			if ti >= c.store {
				err = fmt.Errorf("%w: tier %s: %w", ErrStore, c.tiers[ti].Name, terr)
				return values, found, err
			}
			c.log.Warn("cache tier read failed; reading the next tier", "tier", c.tiers[ti].Name, "err", terr)
		}
		hit := without(pending, miss)
		c.hits[ti].Add(int64(len(hit)))
		if terr == nil && ti > 0 && len(hit) > 0 {
			c.writeBack(ti, keys, values, hit, gens, settle)
		} else if terr == nil {
			settle()
		}
		if ti == c.store && c.neg != nil {
			for _, i := range miss {
				c.neg.add(keys[i])
			}
		}
		pending = miss
	}
	c.misses.Add(int64(len(pending)))
	return values, found, nil
}

// dropNegative answers the keys in the negative cache as missing and returns
// the others.
func (c *Chain) dropNegative(keys [][]byte, pending []int) []int {
	out := pending[:0:0]
	for _, i := range pending {
		if c.neg.has(keys[i]) {
			c.negHits.Add(1)
			continue
		}
		out = append(out, i)
	}
	return out
}

// without returns the indexes of all not in miss (both in the same order).
func without(all, miss []int) []int {
	var out []int
	j := 0
	for _, i := range all {
		if j < len(miss) && miss[j] == i {
			j++
			continue
		}
		out = append(out, i)
	}
	return out
}

// CountHits adds n keys served by tier ti outside the chain's own reads (a
// caller that read the first tier itself, on a fast path).
func (c *Chain) CountHits(ti, n int) {
	if ti >= 0 && ti < len(c.hits) {
		c.hits[ti].Add(int64(n))
	}
}
