package kvcmd

import (
	"hash/maphash"
	"log/slog"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// numStripes is the number of key stripes whose locks serialise writers. A
// power of two, and a multiple of 64 for stripeSet.
const numStripes = 256

// Config configures an Engine.
type Config struct {
	// Name names the servant in the error texts that name it ("-ERR name
	// is closed", "-ERR name does not support 'x'", "SERVER_ERROR name:
	// ..."). Required.
	Name string
	// Store holds the entries. Required.
	Store Store
	// Now is the clock of TTLs, in unix milliseconds. Nil means the system
	// clock.
	Now func() int64
	// CopyValues makes the engine copy a value it got from the caller
	// before it gives it to Store.Set, for a store that keeps the slice.
	// False gives the caller's bytes, valid during Set only.
	CopyValues bool
	// Logger receives storage errors that no reply can carry (a memcache
	// command with noreply). Nil means slog.Default().
	Logger *slog.Logger
}

// stripe is one lock of the stripe set, padded to its own cache line.
type stripe struct {
	sync.Mutex
	_ [64 - unsafe.Sizeof(sync.Mutex{})]byte
}

// Engine executes Redis string commands and memcache commands on a Store,
// with the exact replies of redis-server 7.0 and memcached 1.6.18. The zero
// value is not usable: create one with New. An Engine is safe for
// concurrent use by any number of goroutines.
type Engine struct {
	st     Store
	now    func() int64
	copy   bool
	log    *slog.Logger
	name   string
	seed   maphash.Seed
	errStr struct{ closed, unsupported, mcClosed, metaFlag string }
	// started is the unix second of New, as memcached's process start.
	started int64
	// flushAt is the unix ms at which a delayed memcache flush_all removes
	// every entry, 0 if none is pending (see flush.go).
	flushAt atomic.Int64
	// flushUntil is the unix ms until which writes are discarded after a
	// flush_all took effect, 0 if none.
	flushUntil atomic.Int64
	stripes    [numStripes]stripe
}

// New returns an Engine configured by cfg.
func New(cfg Config) *Engine {
	eng := &Engine{st: cfg.Store, name: cfg.Name, now: cfg.Now, copy: cfg.CopyValues, log: cfg.Logger, seed: maphash.MakeSeed()}
	if eng.now == nil {
		eng.now = func() int64 { return time.Now().UnixMilli() }
	}
	if eng.log == nil {
		eng.log = slog.Default()
	}
	eng.started = eng.now() / 1000
	eng.errStr.closed = "-ERR " + cfg.Name + " is closed\r\n"
	eng.errStr.unsupported = "ERR " + cfg.Name + " does not support '"
	eng.errStr.mcClosed = "SERVER_ERROR " + cfg.Name + " is closed\r\n"
	eng.errStr.metaFlag = "CLIENT_ERROR " + cfg.Name + " does not support meta flag "
	return eng
}

// FlushAt returns the unix millisecond at which a delayed memcache
// flush_all takes effect, 0 if none is pending.
func (eng *Engine) FlushAt() int64 { return eng.flushAt.Load() }

// clone copies b, which belongs to the caller of Do, if the store keeps
// the values it is given.
func (eng *Engine) clone(b []byte) []byte {
	if !eng.copy {
		return b
	}
	return append([]byte(nil), b...)
}

// put stores e, a new value, under key with a fresh cas unique, or removes
// key as keep does, through w (the store or a batch). It returns the cas
// unique. The caller holds key's stripe.
func (eng *Engine) put(w Writer, key []byte, e Entry, now int64) (uint64, error) {
	cas, err := eng.st.NextCas()
	if err != nil {
		return 0, err
	}
	e.Cas = cas
	return cas, eng.keep(w, key, e, now)
}

// retime gives key, whose entry is e, the deadline exp (0 for none), keeping
// its value, flags and cas unique; a deadline already passed at unix ms now
// removes it. The caller holds key's stripe.
func (eng *Engine) retime(key []byte, e Entry, exp, now int64) error {
	e.Exp = exp
	return eng.keep(eng.st, key, e, now)
}

// keep stores e as it is under key, through w, or removes key when e has
// expired at unix millisecond now (0 skips that check, for a deadline
// known to be ahead) or when a flush_all discards writes.
func (eng *Engine) keep(w Writer, key []byte, e Entry, now int64) error {
	if !e.Alive(now) || eng.discarding() {
		return w.Delete(key)
	}
	return w.Set(key, e)
}

// remove deletes key and reports whether it existed. The caller holds key's
// stripe.
func (eng *Engine) remove(key []byte) (bool, error) {
	_, found, err := eng.st.Load(key, true)
	if !found {
		return false, err
	}
	return true, eng.st.Delete(key)
}

// stripeOf returns the index of the stripe that guards key.
func (eng *Engine) stripeOf(key []byte) int {
	return int(maphash.Bytes(eng.seed, key) & (numStripes - 1))
}

// LockKey locks the stripe of key and returns it for Unlock. A store uses
// it to change a key outside a command (to delete an expired record); the
// caller must hold no stripe.
func (eng *Engine) LockKey(key []byte) *sync.Mutex {
	return &eng.lockKey(key).Mutex
}

// lockKey locks the stripe of key and returns it for Unlock.
func (eng *Engine) lockKey(key []byte) *stripe {
	s := &eng.stripes[eng.stripeOf(key)]
	s.Lock()
	return s
}

// stripeSet is a set of stripe indexes, locked in ascending order.
type stripeSet [numStripes / 64]uint64

// lockKeys locks, in ascending stripe order, the stripes of args[0],
// args[step], args[2*step]... and returns the set for unlockSet.
func (eng *Engine) lockKeys(args [][]byte, step int) stripeSet {
	var set stripeSet
	for i := 0; i < len(args); i += step {
		s := eng.stripeOf(args[i])
		set[s/64] |= 1 << (s % 64)
	}
	set.each(func(i int) { eng.stripes[i].Lock() })
	return set
}

// unlockSet unlocks the stripes that lockKeys locked.
func (eng *Engine) unlockSet(set stripeSet) {
	set.each(func(i int) { eng.stripes[i].Unlock() })
}

// lockAll locks every stripe, in ascending order.
func (eng *Engine) lockAll() stripeSet {
	var set stripeSet
	for i := range set {
		set[i] = math.MaxUint64
	}
	set.each(func(i int) { eng.stripes[i].Lock() })
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
