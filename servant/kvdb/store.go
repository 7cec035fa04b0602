package kvdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"

	"github.com/fae-dev/fae/servant/kvcmd"
)

// The store's layout in pebble. A user key is stored under userPrefix and
// the key's bytes; its record is the header (deadline, cas unique, client
// flags, all big-endian) followed by the value bytes. Meta keys, under
// metaPrefix, hold the format version and the cas unique ceiling.
const (
	userPrefix = 'k'
	metaPrefix = 'm'
	// headerLen is the record header: exp (8 bytes, unix ms as a two's
	// complement int64, 0 for none), cas (8), flags (4).
	headerLen = 8 + 8 + 4
	// formatKey holds formatVersion; a store without it must be empty.
	formatKey     = "mformat"
	formatVersion = "kvdb 1"
	// casCeilKey holds, as 8 big-endian bytes, a bound on every cas unique
	// given out: Open resumes counting from it.
	casCeilKey = "mcas"
	// casBlock is how many cas uniques one write of casCeilKey reserves.
	casBlock = 1 << 20
	// maxPooledKey is the largest key buffer kept for reuse.
	maxPooledKey = 4096
)

// entry is the record of a key. Its Val aliases whatever it was decoded
// from.
type entry = kvcmd.Entry

// expired reports whether e has a deadline that has passed.
func (db *DB) expired(e entry) bool { return e.Exp != 0 && db.now() > e.Exp }

// appendRecord appends the stored form of e to dst.
func appendRecord(dst []byte, e entry) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Exp))
	dst = binary.BigEndian.AppendUint64(dst, e.Cas)
	dst = binary.BigEndian.AppendUint32(dst, e.Flags)
	return append(dst, e.Val...)
}

// decodeRecord decodes a stored record; the entry's val aliases rec.
func decodeRecord(rec []byte) (entry, error) {
	if len(rec) < headerLen {
		return entry{}, fmt.Errorf("%w: %d bytes, shorter than its header", ErrCorrupt, len(rec))
	}
	return entry{
		Exp:   int64(binary.BigEndian.Uint64(rec)),
		Cas:   binary.BigEndian.Uint64(rec[8:]),
		Flags: binary.BigEndian.Uint32(rec[16:]),
		Val:   rec[headerLen:],
	}, nil
}

// userKey returns a buffer holding the stored form of key, to give back
// with freeKey.
func (db *DB) userKey(key []byte) *[]byte {
	p, _ := db.keyBufs.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	*p = append(append((*p)[:0], userPrefix), key...)
	return p
}

// freeKey returns a buffer from userKey for reuse.
func (db *DB) freeKey(p *[]byte) {
	if cap(*p) <= maxPooledKey {
		db.keyBufs.Put(p)
	}
}

// read returns the record of key, its val valid until closer is closed, or
// false if key has none. It does not look at the deadline.
func (db *DB) read(key []byte) (e entry, closer io.Closer, found bool, err error) {
	k := db.userKey(key)
	rec, closer, err := db.pdb.Get(*k)
	db.freeKey(k)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		return entry{}, nil, false, nil
	case err != nil:
		return entry{}, nil, false, fmt.Errorf("kvdb: read: %w", err)
	}
	if e, err = decodeRecord(rec); err != nil {
		closer.Close()
		return entry{}, nil, false, err
	}
	return e, closer, true, nil
}

// load is read with the value copied out of pebble.
func (db *DB) load(key []byte) (entry, bool, error) {
	e, closer, found, err := db.read(key)
	if !found {
		return e, false, err
	}
	e.Val = append([]byte(nil), e.Val...)
	closer.Close()
	return e, true, nil
}

// lookup returns the entry of key if it exists and has not expired, and
// deletes the record of an expired one. The caller holds key's stripe.
func (db *DB) lookup(key []byte) (entry, bool, error) {
	e, found, err := db.load(key)
	switch {
	case !found:
		return entry{}, false, err
	case db.expired(e):
		return entry{}, false, db.delete(db.pdb, key)
	}
	return e, true, nil
}

// peek is lookup for a caller that holds no stripe: an expired record is
// deleted under the stripe, if still expired then.
func (db *DB) peek(key []byte) (entry, bool, error) {
	e, found, err := db.load(key)
	switch {
	case !found:
		return entry{}, false, err
	case db.expired(e):
		_, err := db.reap(key)
		return entry{}, false, err
	}
	return e, true, nil
}

// find is lookup when the caller holds key's stripe, else peek.
func (db *DB) find(key []byte, locked bool) (entry, bool, error) {
	if locked {
		return db.lookup(key)
	}
	return db.peek(key)
}

// reap deletes the record of key if it has expired, under key's stripe,
// and reports whether it did. The caller holds no stripe.
func (db *DB) reap(key []byte) (bool, error) {
	s := db.eng.LockKey(key)
	defer s.Unlock()
	e, closer, found, err := db.read(key)
	if !found {
		return false, err
	}
	expired := db.expired(e)
	closer.Close()
	if !expired {
		return false, nil
	}
	return true, db.delete(db.pdb, key)
}

// set stores e under key through w.
func (db *DB) set(w pebble.Writer, key []byte, e entry) error {
	k := db.userKey(key)
	defer db.freeKey(k)
	rec := appendRecord(make([]byte, 0, headerLen+len(e.Val)), e)
	if err := w.Set(*k, rec, db.wo); err != nil {
		return fmt.Errorf("kvdb: write: %w", err)
	}
	return nil
}

// delete removes the record of key through w.
func (db *DB) delete(w pebble.Writer, key []byte) error {
	k := db.userKey(key)
	defer db.freeKey(k)
	if err := w.Delete(*k, db.wo); err != nil {
		return fmt.Errorf("kvdb: delete: %w", err)
	}
	return nil
}

// clear deletes every user key. The caller holds every stripe.
func (db *DB) clear() error {
	if err := db.pdb.DeleteRange([]byte{userPrefix}, []byte{userPrefix + 1}, db.wo); err != nil {
		return fmt.Errorf("kvdb: clear: %w", err)
	}
	return nil
}

// reserveCas makes sure that the ceiling on disk covers cas before a record
// with it is written: the ceiling's write precedes the record's in the
// write-ahead log, so no restart can see the record without it, and Open
// never gives out a cas unique again.
func (db *DB) reserveCas(cas uint64) error {
	if cas <= db.casCeil.Load() {
		return nil
	}
	db.casMu.Lock()
	defer db.casMu.Unlock()
	if cas <= db.casCeil.Load() {
		return nil
	}
	ceil := cas + casBlock
	if err := db.pdb.Set([]byte(casCeilKey), binary.BigEndian.AppendUint64(nil, ceil), db.wo); err != nil {
		return fmt.Errorf("kvdb: reserve cas uniques: %w", err)
	}
	db.casCeil.Store(ceil)
	return nil
}

// loadMeta checks the format of the store, marking a new one, and resumes
// the cas unique counter.
func (db *DB) loadMeta() error {
	v, closer, err := db.pdb.Get([]byte(formatKey))
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		if err := db.markNew(); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		ok := string(v) == formatVersion
		closer.Close()
		if !ok {
			return fmt.Errorf("%w: %q", ErrFormat, v)
		}
	}
	v, closer, err = db.pdb.Get([]byte(casCeilKey))
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	defer closer.Close()
	if len(v) != 8 {
		return fmt.Errorf("%w: cas ceiling of %d bytes", ErrCorrupt, len(v))
	}
	db.casSeq.Store(binary.BigEndian.Uint64(v))
	db.casCeil.Store(binary.BigEndian.Uint64(v))
	return nil
}

// markNew writes the format version into a store that has none, which must
// then be empty: anything else was not written by kvdb.
func (db *DB) markNew() error {
	it, err := db.pdb.NewIter(nil)
	if err != nil {
		return err
	}
	empty := !it.First()
	if err := it.Close(); err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("%w: data without a kvdb format mark", ErrFormat)
	}
	return db.pdb.Set([]byte(formatKey), []byte(formatVersion), pebble.Sync)
}
