package kvdb

import (
	"context"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// sweepChunk is how many records one step of a sweep reads while it holds
// the DB open; between steps Close may proceed.
const sweepChunk = 512

// sweeper runs a sweep every interval until Close. It is the one goroutine
// kvdb starts; Close stops it and waits for it.
func (db *DB) sweeper(interval time.Duration) {
	defer db.sweeping.Done()
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-db.quit:
			return
		case <-t.C:
		}
		stopped := func() bool {
			select {
			case <-db.quit:
				return true
			default:
				return false
			}
		}
		if _, err := db.sweep(stopped); err != nil && !stopped() {
			db.log.Error("kvdb: sweep of expired keys failed", "err", err)
		}
		t.Reset(interval)
	}
}

// Sweep makes one pass over the store and deletes the records of the keys
// whose deadline has passed, as the background sweeper does every
// Config.SweepInterval. It returns how many it deleted. Commands run
// meanwhile: each record is deleted under its key's stripe after a second
// look. Sweep stops early, with ctx's error, when ctx is done, and returns
// ErrClosed once Close has begun. It is safe for concurrent use.
func (db *DB) Sweep(ctx context.Context) (int, error) {
	n, err := db.sweep(func() bool { return ctx.Err() != nil })
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return n, err
}

// sweep is Sweep, checking stopped between chunks.
func (db *DB) sweep(stopped func() bool) (int, error) {
	from := []byte{userPrefix}
	removed := 0
	for !stopped() {
		n, next, err := db.sweepStep(from)
		removed += n
		if err != nil || next == nil {
			return removed, err
		}
		from = next
	}
	return removed, nil
}

// sweepStep reaps the expired keys among the sweepChunk records from the
// stored key from on. It returns how many it deleted and where the next
// step starts, nil at the end.
func (db *DB) sweepStep(from []byte) (int, []byte, error) {
	if !db.enter() {
		return 0, nil, ErrClosed
	}
	defer db.leave()
	var expired [][]byte
	next, err := db.scan(from, sweepChunk, func(key []byte, e entry) {
		if db.expired(e) {
			expired = append(expired, append([]byte(nil), key...))
		}
	})
	if err != nil {
		return 0, nil, err
	}
	removed := 0
	for _, key := range expired {
		ok, err := db.reap(key)
		if err != nil {
			return removed, nil, err
		}
		if ok {
			removed++
		}
	}
	return removed, next, nil
}

// scan calls f with the user key (without its prefix, valid during the
// call only) and the entry of at most limit records from the stored key
// from on (limit 0: all). It returns the stored key at which a following
// scan starts, nil at the end.
func (db *DB) scan(from []byte, limit int, f func(key []byte, e entry)) ([]byte, error) {
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: from, UpperBound: []byte{userPrefix + 1}})
	if err != nil {
		return nil, fmt.Errorf("kvdb: scan: %w", err)
	}
	var next []byte
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if limit > 0 && n == limit {
			next = append([]byte(nil), it.Key()...)
			break
		}
		rec, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return nil, fmt.Errorf("kvdb: scan: %w", err)
		}
		e, err := decodeRecord(rec)
		if err != nil {
			err = fmt.Errorf("key %q: %w", it.Key()[1:], err)
			it.Close()
			return nil, err
		}
		f(it.Key()[1:], e)
		n++
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("kvdb: scan: %w", err)
	}
	return next, nil
}

// count returns the number of keys that have not expired: a scan of every
// record, so it takes time in proportion to the store.
func (db *DB) count() (int64, error) {
	var n int64
	_, err := db.scan([]byte{userPrefix}, 0, func(_ []byte, e entry) {
		if !db.expired(e) {
			n++
		}
	})
	return n, err
}
