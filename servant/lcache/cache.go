package lcache

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/maypok86/otter/v2"
)

// DefaultMaxMemory is the memory bound used when Config.MaxMemory is zero: 64 MiB.
const DefaultMaxMemory = 64 << 20

// EntryOverhead is the number of bytes each entry is weighed at on top of its
// key and value bytes: otter's node and hash table slot, the entry and the
// string and slice headers, measured at about 140 bytes on amd64, plus the
// 16 that the memcache flags and cas unique add.
const EntryOverhead = 160

// numStripes is the number of key stripes whose locks serialise writers. A
// power of two, and a multiple of 64 for stripeSet.
const numStripes = 256

// Sentinel errors of this package.
var (
	// ErrInvalidConfig is returned, wrapped with the reason, by Config.Validate
	// and New for a configuration that cannot work.
	ErrInvalidConfig = errors.New("lcache: invalid config")
)

// Config configures a Cache. The zero value is ready to use.
type Config struct {
	// MaxMemory bounds the memory the entries use, in bytes: each entry weighs
	// its key and value bytes (the value's capacity) plus EntryOverhead. Writes
	// beyond the bound make otter evict the entries least likely to be used
	// again. Zero means DefaultMaxMemory; a negative value is invalid.
	MaxMemory int64
}

// Validate reports a configuration that New would reject, wrapping
// ErrInvalidConfig.
func (cfg Config) Validate() error {
	if cfg.MaxMemory < 0 {
		return fmt.Errorf("%w: MaxMemory %d is negative", ErrInvalidConfig, cfg.MaxMemory)
	}
	return nil
}

// withDefaults returns cfg with every zero field replaced by its default.
func (cfg Config) withDefaults() Config {
	if cfg.MaxMemory == 0 {
		cfg.MaxMemory = DefaultMaxMemory
	}
	return cfg
}

// entry is the value stored for a key. Its val bytes are never changed once
// the entry is stored, except that APPEND may write past len(val) into spare
// capacity, which no stored entry can see.
type entry struct {
	val []byte
	// exp is the deadline in unix milliseconds, 0 if the key has no TTL. As in
	// redis, the key exists while now <= exp.
	exp int64
	// cas is the memcache cas unique: a fresh value of Cache.casSeq on every
	// change of the value, kept when only the deadline changes.
	cas uint64
	// flags is the memcache client flags word; 0 for a value redis set.
	flags uint32
}

// alive reports whether e is still visible at unix millisecond now.
func (e entry) alive(now int64) bool { return e.exp == 0 || now <= e.exp }

// stripe is one lock of the stripe set, padded to its own cache line.
type stripe struct {
	sync.Mutex
	_ [64 - unsafe.Sizeof(sync.Mutex{})]byte
}

// Cache executes Redis string commands against an in-memory, memory-bounded
// store with per-key TTLs. The zero value is not usable: create one with New.
// A Cache is safe for concurrent use by any number of goroutines.
type Cache struct {
	store *otter.Cache[string, entry]
	seed  maphash.Seed
	max   int64
	// started is the unix second of New, as memcached's process start.
	started int64
	closed  atomic.Bool
	// casSeq is the last cas unique given out.
	casSeq atomic.Uint64
	// flushAt is the unix ms at which a delayed memcache flush_all removes
	// every entry, 0 if none is pending (see flush.go).
	flushAt atomic.Int64
	// flushUntil is the unix ms until which writes are discarded after a
	// flush_all took effect, 0 if none.
	flushUntil atomic.Int64
	stripes    [numStripes]stripe
}

// New returns a Cache configured by cfg, or an error wrapping ErrInvalidConfig.
func New(cfg Config) (*Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	store, err := otter.New(&otter.Options[string, entry]{
		MaximumWeight:    uint64(cfg.MaxMemory),
		Weigher:          weigh,
		ExpiryCalculator: otter.ExpiryWritingFunc(expiresAfter),
		Logger:           &otter.NoopLogger{},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	c := &Cache{store: store, seed: maphash.MakeSeed(), max: cfg.MaxMemory, started: time.Now().Unix()}
	return c, nil
}

// Close discards every entry and stops otter's periodic clean-up goroutine.
// Later calls of Do reply with an error. Close is idempotent and safe to call
// from any goroutine; it always returns nil.
func (c *Cache) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.store.StopAllGoroutines()
		c.store.InvalidateAll()
	}
	return nil
}

// weigh is otter's Weigher: the bytes an entry holds plus EntryOverhead.
func weigh(key string, e entry) uint32 {
	w := uint64(len(key)) + uint64(cap(e.val)) + EntryOverhead
	return uint32(min(w, math.MaxUint32))
}

// entryWeight is weigh for an entry not built yet.
func entryWeight(keyLen, valCap int) int64 {
	return int64(keyLen) + int64(valCap) + EntryOverhead
}

// expiresAfter tells otter to drop an entry at the first nanosecond at which
// lcache itself sees it expired, and never for an entry without a TTL.
func expiresAfter(e otter.Entry[string, entry]) time.Duration {
	if e.Value.exp == 0 || e.Value.exp >= math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64
	}
	d := time.Duration((e.Value.exp+1)*int64(time.Millisecond) - e.SnapshotAtNano)
	return max(d, 1)
}

// nowMillis is the clock of TTLs: unix time in milliseconds, as redis's mstime.
func nowMillis() int64 { return time.Now().UnixMilli() }

// keyString views b as a string for a lookup only: it must not be stored.
func keyString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// lookup returns the entry of key if it exists and has not expired.
func (c *Cache) lookup(key []byte) (entry, bool) {
	e, ok := c.store.GetIfPresent(keyString(key))
	if !ok || (e.exp != 0 && !e.alive(nowMillis())) {
		return entry{}, false
	}
	return e, true
}

// put stores e, a new value, under a copy of key with a fresh cas unique, or
// removes key when e has expired at unix millisecond now (0 skips that check,
// for a deadline known to be ahead) or when a flush_all discards writes. It
// returns the cas unique. The caller holds key's stripe.
func (c *Cache) put(key []byte, e entry, now int64) uint64 {
	e.cas = c.casSeq.Add(1)
	c.keep(key, e, now)
	return e.cas
}

// retime gives key, whose entry is e, the deadline exp (0 for none), keeping
// its value, flags and cas unique; a deadline already passed at unix ms now
// removes it. The caller holds key's stripe.
func (c *Cache) retime(key []byte, e entry, exp, now int64) {
	e.exp = exp
	c.keep(key, e, now)
}

// keep stores e as it is under a copy of key, or removes key as put does.
func (c *Cache) keep(key []byte, e entry, now int64) {
	if !e.alive(now) || c.discarding() {
		c.store.Invalidate(keyString(key))
		return
	}
	c.store.Set(string(key), e)
}

// remove deletes key and reports whether it existed. The caller holds key's
// stripe.
func (c *Cache) remove(key []byte) bool {
	if _, ok := c.lookup(key); !ok {
		return false
	}
	c.store.Invalidate(keyString(key))
	return true
}

// fits reports whether an entry of the given sizes can be held within the
// memory bound at all.
func (c *Cache) fits(keyLen, valCap int) bool {
	return entryWeight(keyLen, valCap) <= c.max
}

// stripeOf returns the index of the stripe that guards key.
func (c *Cache) stripeOf(key []byte) int {
	return int(maphash.Bytes(c.seed, key) & (numStripes - 1))
}

// lockKey locks the stripe of key and returns it for Unlock.
func (c *Cache) lockKey(key []byte) *stripe {
	s := &c.stripes[c.stripeOf(key)]
	s.Lock()
	return s
}

// stripeSet is a set of stripe indexes, locked in ascending order.
type stripeSet [numStripes / 64]uint64

// lockKeys locks, in ascending stripe order, the stripes of args[0],
// args[step], args[2*step]... and returns the set for unlockSet.
func (c *Cache) lockKeys(args [][]byte, step int) stripeSet {
	var set stripeSet
	for i := 0; i < len(args); i += step {
		s := c.stripeOf(args[i])
		set[s/64] |= 1 << (s % 64)
	}
	set.each(func(i int) { c.stripes[i].Lock() })
	return set
}

// unlockSet unlocks the stripes that lockKeys locked.
func (c *Cache) unlockSet(set stripeSet) {
	set.each(func(i int) { c.stripes[i].Unlock() })
}

// lockAll locks every stripe, in ascending order.
func (c *Cache) lockAll() stripeSet {
	var set stripeSet
	for i := range set {
		set[i] = math.MaxUint64
	}
	set.each(func(i int) { c.stripes[i].Lock() })
	return set
}

// each calls f with every index in the set, in ascending order.
func (set stripeSet) each(f func(i int)) {
	for w, word := range set {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			f(w*64 + b)
			word &^= 1 << b
		}
	}
}
