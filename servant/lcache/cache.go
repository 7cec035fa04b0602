package lcache

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/maypok86/otter/v2"

	"github.com/fae-dev/fae/servant/kvcmd"
)

// DefaultMaxMemory is the memory bound used when Config.MaxMemory is zero: 64 MiB.
const DefaultMaxMemory = 64 << 20

// EntryOverhead is the number of bytes each entry is weighed at on top of its
// key and value bytes: otter's node and hash table slot, the entry and the
// string and slice headers, measured at about 140 bytes on amd64, plus the
// 16 that the memcache flags and cas unique add.
const EntryOverhead = 160

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

// entry is the value stored for a key. Its Val bytes are never changed once
// the entry is stored, except that APPEND may write past len(Val) into spare
// capacity, which no stored entry can see.
type entry = kvcmd.Entry

// Cache executes Redis string commands against an in-memory, memory-bounded
// store with per-key TTLs. The zero value is not usable: create one with New.
// A Cache is safe for concurrent use by any number of goroutines.
type Cache struct {
	store *otter.Cache[string, entry]
	// eng runs the commands on the store (see store.go).
	eng    *kvcmd.Engine
	max    int64
	closed atomic.Bool
	// casSeq is the last cas unique given out.
	casSeq atomic.Uint64
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
	c := &Cache{store: store, max: cfg.MaxMemory}
	c.eng = kvcmd.New(kvcmd.Config{Name: "lcache", Store: (*cacheStore)(c), Now: nowMillis, CopyValues: true})
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
	w := uint64(len(key)) + uint64(cap(e.Val)) + EntryOverhead
	return uint32(min(w, math.MaxUint32))
}

// entryWeight is weigh for an entry not built yet.
func entryWeight(keyLen, valCap int) int64 {
	return int64(keyLen) + int64(valCap) + EntryOverhead
}

// expiresAfter tells otter to drop an entry at the first nanosecond at which
// lcache itself sees it expired, and never for an entry without a TTL.
func expiresAfter(e otter.Entry[string, entry]) time.Duration {
	if e.Value.Exp == 0 || e.Value.Exp >= math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64
	}
	d := time.Duration((e.Value.Exp+1)*int64(time.Millisecond) - e.SnapshotAtNano)
	return max(d, 1)
}

// nowMillis is the clock of TTLs: unix time in milliseconds, as redis's mstime.
func nowMillis() int64 { return time.Now().UnixMilli() }

// keyString views b as a string for a lookup only: it must not be stored.
func keyString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// lookup returns the entry of key if it exists and has not expired.
func (c *Cache) lookup(key []byte) (entry, bool) {
	e, ok := c.store.GetIfPresent(keyString(key))
	if !ok || (e.Exp != 0 && !e.Alive(nowMillis())) {
		return entry{}, false
	}
	return e, true
}

// fits reports whether an entry of the given sizes can be held within the
// memory bound at all.
func (c *Cache) fits(keyLen, valCap int) bool {
	return entryWeight(keyLen, valCap) <= c.max
}
