package kvdb

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/fae-dev/fae/servant/kvcmd"
)

// dbStore is the DB as the kvcmd.Store its engine runs on: records in
// pebble, read and written as store.go describes.
type dbStore DB

var _ kvcmd.Store = (*dbStore)(nil)

// Enter takes the shared hold on the DB for one command, or reports false
// after Close.
func (s *dbStore) Enter() bool { return (*DB)(s).enter() }

// Leave releases the hold that Enter took.
func (s *dbStore) Leave() { (*DB)(s).leave() }

// Load returns a copy of the entry of key if it has not expired, deleting
// an expired record (see DB.find).
func (s *dbStore) Load(key []byte, locked bool) (entry, bool, error) {
	return (*DB)(s).find(key, locked)
}

// Append calls f with the entry of key straight from pebble's buffer, with
// no copy. An expired record is deleted under the key's stripe.
func (s *dbStore) Append(dst, key []byte, f kvcmd.AppendFunc) ([]byte, bool, error) {
	db := (*DB)(s)
	e, closer, found, err := db.read(key)
	if !found {
		return dst, false, err
	}
	if db.expired(e) {
		closer.Close()
		_, err := db.reap(key)
		return dst, false, err
	}
	dst = f(dst, key, e)
	closer.Close()
	return dst, true, nil
}

// Set writes the record of key.
func (s *dbStore) Set(key []byte, e entry) error { return (*DB)(s).set(s.pdb, key, e) }

// Delete deletes the record of key.
func (s *dbStore) Delete(key []byte) error { return (*DB)(s).delete(s.pdb, key) }

// NewBatch starts a pebble batch, which commits atomically, on disk too.
func (s *dbStore) NewBatch() kvcmd.Batch { return &dbBatch{db: (*DB)(s), b: s.pdb.NewBatch()} }

// NextCas returns the next cas unique, reserved on disk before it is used
// (see DB.reserveCas).
func (s *dbStore) NextCas() (uint64, error) {
	cas := s.casSeq.Add(1)
	return cas, (*DB)(s).reserveCas(cas)
}

// Fits is always true: the data lives on disk, and kvdb refuses no write
// for memory.
func (s *dbStore) Fits(int, int) bool { return true }

// Len counts the keys that have not expired, by a scan of the whole store.
func (s *dbStore) Len() (int64, error) { return (*DB)(s).count() }

// Clear deletes every user key.
func (s *dbStore) Clear() error { return (*DB)(s).clear() }

// dbBatch is the kvcmd.Batch of a dbStore: a pebble batch.
type dbBatch struct {
	db *DB
	b  *pebble.Batch
}

// Set adds the write of key's record to the batch.
func (b *dbBatch) Set(key []byte, e entry) error { return b.db.set(b.b, key, e) }

// Delete adds the deletion of key's record to the batch.
func (b *dbBatch) Delete(key []byte) error { return b.db.delete(b.b, key) }

// Commit applies the batch.
func (b *dbBatch) Commit() error {
	if err := b.b.Commit(b.db.wo); err != nil {
		return fmt.Errorf("kvdb: write: %w", err)
	}
	return nil
}

// Close releases the batch.
func (b *dbBatch) Close() error { return b.b.Close() }
