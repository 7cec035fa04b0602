package lcache

import (
	"github.com/fae-dev/fae/servant/kvcmd"
)

// cacheStore is the Cache as the kvcmd.Store its engine runs on: entries
// in otter, weighed against MaxMemory. None of its methods fails.
type cacheStore Cache

var _ kvcmd.Store = (*cacheStore)(nil)

// Enter reports whether the Cache is still open. Close does not wait for
// the commands under way: otter stays usable after it.
func (s *cacheStore) Enter() bool { return !s.closed.Load() }

// Leave does nothing: Enter holds nothing.
func (s *cacheStore) Leave() {}

// Load returns the entry of key if it exists and has not expired; a stored
// entry never changes, so no lock is needed.
func (s *cacheStore) Load(key []byte, _ bool) (entry, bool, error) {
	e, ok := (*Cache)(s).lookup(key)
	return e, ok, nil
}

// Append calls f with the entry of key if it exists and has not expired.
func (s *cacheStore) Append(dst, key []byte, f kvcmd.AppendFunc) ([]byte, bool, error) {
	e, ok := (*Cache)(s).lookup(key)
	if !ok {
		return dst, false, nil
	}
	return f(dst, key, e), true, nil
}

// Set stores e under a copy of key, keeping e.Val.
func (s *cacheStore) Set(key []byte, e entry) error {
	s.store.Set(string(key), e)
	return nil
}

// Delete removes key.
func (s *cacheStore) Delete(key []byte) error {
	s.store.Invalidate(keyString(key))
	return nil
}

// NewBatch returns a batch that writes at once: otter has no batches, and
// the engine holds the stripes of every key the batch writes.
func (s *cacheStore) NewBatch() kvcmd.Batch { return directBatch{s} }

// NextCas returns the next value of the cas counter.
func (s *cacheStore) NextCas() (uint64, error) { return s.casSeq.Add(1), nil }

// Fits reports whether an entry of the given sizes can be held within
// MaxMemory at all.
func (s *cacheStore) Fits(keyLen, valCap int) bool { return (*Cache)(s).fits(keyLen, valCap) }

// Len returns the number of entries otter holds, which, as in redis, may
// count keys whose TTL passed less than about a second ago.
func (s *cacheStore) Len() (int64, error) { return int64(s.store.EstimatedSize()), nil }

// Clear removes every entry.
func (s *cacheStore) Clear() error {
	s.store.InvalidateAll()
	return nil
}

// directBatch is the kvcmd.Batch of a cacheStore: each write applies at
// once.
type directBatch struct{ *cacheStore }

// Commit does nothing: the writes are applied.
func (directBatch) Commit() error { return nil }

// Close does nothing.
func (directBatch) Close() error { return nil }
