package kvcmd

// Entry is the value stored for a key. A store may hand out entries whose
// Val it shares with other readers: the engine never modifies the bytes of
// an entry it got, except that APPEND (and memcache append) may extend Val
// in place past its length, where no stored entry reaches.
type Entry struct {
	// Val is the value bytes.
	Val []byte
	// Exp is the deadline in unix milliseconds, 0 if the key has no TTL. As
	// in redis, the key exists while now <= Exp.
	Exp int64
	// Cas is the memcache cas unique: a fresh value from Store.NextCas on
	// every change of the value, kept when only the deadline changes.
	Cas uint64
	// Flags is the memcache client flags word; 0 for a value redis set.
	Flags uint32
}

// Alive reports whether e is still visible at unix millisecond now.
func (e Entry) Alive(now int64) bool { return e.Exp == 0 || now <= e.Exp }

// Writer stores and deletes entries: a Store itself, or a Batch of it.
type Writer interface {
	// Set stores e under key as it is. It copies key; it may keep e.Val.
	Set(key []byte, e Entry) error
	// Delete removes key, whether it exists or not.
	Delete(key []byte) error
}

// Batch is a group of writes that a store applies at once (MSET, MSETNX
// and a DEL of several keys). A store without batches may apply each
// write at once and make Commit do nothing.
type Batch interface {
	Writer
	// Commit applies the writes of the batch.
	Commit() error
	// Close releases the batch, committed or not.
	Close() error
}

// AppendFunc appends the rendering of key's entry e to dst. e.Val is valid
// only during the call.
type AppendFunc func(dst, key []byte, e Entry) []byte

// Store is the storage an Engine runs its commands on. The engine
// serialises commands with its key stripes (see Engine.LockKey) and calls
// the store under them as documented per method; a store must be safe for
// the concurrent calls this allows. Errors are storage failures: the
// engine answers them "-ERR name: ..." or "SERVER_ERROR name: ...".
type Store interface {
	Writer
	// Enter reports whether the store is open, and if so holds it open for
	// one command until Leave.
	Enter() bool
	// Leave ends the hold of a successful Enter.
	Leave()
	// Load returns the entry of key if it exists and has not expired at
	// the engine's clock. locked reports whether the caller holds key's
	// stripe. The entry's Val stays valid after the call.
	Load(key []byte, locked bool) (Entry, bool, error)
	// Append calls f with dst, key and key's entry if it exists and has not
	// expired, and returns what f returned, or dst and false. The caller
	// holds no stripe; the entry's Val need not outlive the call, which
	// lets a store render a value without copying it.
	Append(dst, key []byte, f AppendFunc) ([]byte, bool, error)
	// NewBatch starts a batch of writes. The caller holds the stripes of
	// every key it writes.
	NewBatch() Batch
	// NextCas returns a fresh cas unique, larger than any given before.
	NextCas() (uint64, error)
	// Fits reports whether an entry with a key and a value of the given
	// sizes (the value's capacity) could be held at all; false makes the
	// write fail with redis's -OOM or memcached's out-of-memory error.
	Fits(keyLen, valCap int) bool
	// Len returns the number of keys held (DBSIZE).
	Len() (int64, error)
	// Clear removes every key. The caller holds every stripe.
	Clear() error
}
