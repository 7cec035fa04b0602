package kvdb

import (
	"strconv"
	"strings"

	"github.com/fae-dev/fae/servant/lcache"
)

// MC is one memcache request, already parsed: lcache's type, so that one
// request serves either servant. DoMemcache only reads an MC and keeps no
// reference to it.
type MC = lcache.MC

const (
	// mcItemHeader is what memcached 1.6 adds to key and value in an item:
	// its 48-byte header, the key's NUL, the value's CRLF, the cas unique.
	mcItemHeader = 48 + 1 + 2 + 8
	// mcChunkMax is memcached's default slab_chunk_max: a heavier item is
	// stored in chunks, and incr and decr take a chunked item for
	// non-numeric.
	mcChunkMax = 512 << 10
	// maxUnixSeconds bounds absolute times so that milliseconds fit an
	// int64: about 35000 years.
	maxUnixSeconds = 1 << 40
)

// Replies as memcached 1.6 sends them.
const (
	mcStored     = "STORED\r\n"
	mcNotStored  = "NOT_STORED\r\n"
	mcExists     = "EXISTS\r\n"
	mcNotFound   = "NOT_FOUND\r\n"
	mcDeleted    = "DELETED\r\n"
	mcTouched    = "TOUCHED\r\n"
	mcEnd        = "END\r\n"
	mcOK         = "OK\r\n"
	mcError      = "ERROR\r\n"
	mcBadFormat  = "CLIENT_ERROR bad command line format\r\n"
	mcNonNumeric = "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
	mcTooLarge   = "SERVER_ERROR object too large for cache\r\n"
	mcClosed     = "SERVER_ERROR kvdb is closed\r\n"
)

// mcOp is a memcache command.
type mcOp uint8

const (
	mcUnknown mcOp = iota
	mcGet
	mcGets
	mcGat
	mcGats
	mcSet
	mcAdd
	mcReplace
	mcAppend
	mcPrepend
	mcCas
	mcDelete
	mcIncr
	mcDecr
	mcTouch
	mcFlushAll
	mcMetaGet
	mcMetaSet
	mcMetaDelete
	mcMetaArith
	mcMetaNoop
)

// mcOpOf returns the command named cmd, or mcUnknown.
func mcOpOf(cmd string) mcOp {
	switch cmd {
	case "get":
		return mcGet
	case "gets":
		return mcGets
	case "gat":
		return mcGat
	case "gats":
		return mcGats
	case "set":
		return mcSet
	case "add":
		return mcAdd
	case "replace":
		return mcReplace
	case "append":
		return mcAppend
	case "prepend":
		return mcPrepend
	case "cas":
		return mcCas
	case "delete":
		return mcDelete
	case "incr":
		return mcIncr
	case "decr":
		return mcDecr
	case "touch":
		return mcTouch
	case "flush_all":
		return mcFlushAll
	case "mg":
		return mcMetaGet
	case "ms":
		return mcMetaSet
	case "md":
		return mcMetaDelete
	case "ma":
		return mcMetaArith
	case "mn":
		return mcMetaNoop
	}
	return mcUnknown
}

// DoMemcache executes one memcache request and appends memcached 1.6's
// exact reply to dst, as lcache.Cache.DoMemcache does, byte for byte:
// nothing when r.NoReply is set on a classic command. A failure of the
// store is answered "SERVER_ERROR kvdb: ..." (and logged, not answered,
// under noreply). Entries are shared with Do. DoMemcache keeps no reference
// to r or its bytes. It is safe for concurrent use.
func (db *DB) DoMemcache(dst []byte, r *MC) []byte {
	if !db.enter() {
		return append(dst, mcClosed...)
	}
	defer db.leave()
	start := len(dst)
	out, err := db.doMemcache(dst, r)
	if err != nil {
		return appendServerError(dst[:start], err)
	}
	return out
}

// appendServerError appends err as a memcache SERVER_ERROR line.
func appendServerError(dst []byte, err error) []byte {
	msg := strings.NewReplacer("\r", " ", "\n", " ").Replace(err.Error())
	return append(append(append(dst, "SERVER_ERROR "...), msg...), "\r\n"...)
}

// doMemcache is DoMemcache for an open DB.
func (db *DB) doMemcache(dst []byte, r *MC) ([]byte, error) {
	op := mcOpOf(r.Cmd)
	if err := db.settleFlush(); err != nil {
		return dst, err
	}
	switch {
	case op == mcUnknown:
		return append(dst, mcError...), nil
	case op <= mcGats:
		return db.mcFetch(dst, r, op)
	case op >= mcMetaGet:
		return db.doMeta(dst, r, op)
	case (op == mcFlushAll) != (len(r.Keys) == 0), len(r.Keys) > 1:
		return append(dst, mcError...), nil
	}
	n := len(dst)
	var err error
	switch {
	case op == mcFlushAll:
		err = db.flushAll(r.Exptime, db.now())
		dst = append(dst, mcOK...)
	case len(r.Keys[0]) > lcache.MemcacheMaxKey:
		dst = append(dst, mcBadFormat...)
	case op == mcDelete:
		dst, err = db.mcDelete(dst, r.Keys[0])
	case op == mcIncr, op == mcDecr:
		dst, err = db.mcIncr(dst, r.Keys[0], r.Delta, op == mcIncr)
	case op == mcTouch:
		dst, err = db.mcTouch(dst, r)
	default:
		dst, err = db.mcStore(dst, r, op)
	}
	if r.NoReply {
		if err != nil {
			db.log.Error("kvdb: memcache "+r.Cmd+" with noreply failed", "err", err)
		}
		return dst[:n], nil
	}
	return dst, err
}

// mcFetch is get, gets, gat and gats. A key over MemcacheMaxKey replaces
// the whole reply with an error, as in memcached, after the keys before it
// were touched.
func (db *DB) mcFetch(dst []byte, r *MC, op mcOp) ([]byte, error) {
	touch := op == mcGat || op == mcGats
	if len(r.Keys) == 0 && !touch {
		return append(dst, mcError...), nil
	}
	var now, exp int64
	if touch {
		now = db.now()
		exp = mcDeadline(r.Exptime, now)
	}
	start := len(dst)
	withCas := op == mcGets || op == mcGats
	for _, key := range r.Keys {
		if len(key) > lcache.MemcacheMaxKey {
			return append(dst[:start], mcBadFormat...), nil
		}
		var err error
		if touch {
			var e entry
			var ok bool
			if e, ok, err = db.touch(key, exp, now); ok {
				dst = appendMCValue(dst, key, e, withCas)
			}
		} else {
			dst, err = db.appendItem(dst, key, withCas)
		}
		if err != nil {
			return dst, err
		}
	}
	return append(dst, mcEnd...), nil
}

// appendItem appends the VALUE block of key if it exists, straight from
// pebble's buffer. The caller holds no stripe.
func (db *DB) appendItem(dst, key []byte, withCas bool) ([]byte, error) {
	e, closer, found, err := db.read(key)
	if !found {
		return dst, err
	}
	if db.expired(e) {
		closer.Close()
		_, err := db.reap(key)
		return dst, err
	}
	dst = appendMCValue(dst, key, e, withCas)
	closer.Close()
	return dst, nil
}

// appendMCValue appends the VALUE block of key, whose entry is e.
func appendMCValue(dst, key []byte, e entry, withCas bool) []byte {
	dst = append(dst, "VALUE "...)
	dst = append(dst, key...)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(e.flags), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(len(e.val)), 10)
	if withCas {
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, e.cas, 10)
	}
	dst = append(dst, "\r\n"...)
	dst = append(dst, e.val...)
	return append(dst, "\r\n"...)
}

// touch gives key the deadline exp, computed at unix ms now, and returns its
// entry as it was, or false if key does not exist.
func (db *DB) touch(key []byte, exp, now int64) (entry, bool, error) {
	s := db.lockKey(key)
	defer s.Unlock()
	e, ok, err := db.lookup(key)
	if ok {
		err = db.retime(key, e, exp, now)
	}
	return e, ok, err
}

// mcTouch is touch key exptime.
func (db *DB) mcTouch(dst []byte, r *MC) ([]byte, error) {
	now := db.now()
	_, ok, err := db.touch(r.Keys[0], mcDeadline(r.Exptime, now), now)
	if !ok {
		return append(dst, mcNotFound...), err
	}
	return append(dst, mcTouched...), err
}

// mcDelete is delete key.
func (db *DB) mcDelete(dst []byte, key []byte) ([]byte, error) {
	s := db.lockKey(key)
	defer s.Unlock()
	ok, err := db.remove(key)
	if !ok {
		return append(dst, mcNotFound...), err
	}
	return append(dst, mcDeleted...), err
}

// mcStore is set, add, replace, append, prepend and cas, as memcached's
// process_update_command: an item too large is refused first, and a failed
// set drops the old value, lest it stay stale.
func (db *DB) mcStore(dst []byte, r *MC, op mcOp) ([]byte, error) {
	key := r.Keys[0]
	s := db.lockKey(key)
	defer s.Unlock()
	if mcTooBig(key, r.Flags, len(r.Value)) {
		var err error
		if op == mcSet {
			err = db.delete(db.pdb, key)
		}
		return append(dst, mcTooLarge...), err
	}
	var cas uint64 // classic append and prepend take none
	if op == mcCas {
		cas = r.Cas
	}
	now := db.now()
	res, _, err := db.storeItem(key, op, r.Flags, mcDeadline(r.Exptime, now), now, r.Value, cas)
	return append(dst, res...), err
}

// storeItem applies a storage command that passed mcTooBig to key, whose
// stripe the caller holds, as memcached's do_store_item: cas compares with
// the item's cas unique (0 never matches), append and prepend compare only
// a non-zero cas and keep the item's flags and deadline. It returns the
// classic reply and, when stored, the new cas unique.
func (db *DB) storeItem(key []byte, op mcOp, flags uint32, exp, now int64, val []byte, cas uint64) (string, uint64, error) {
	old, found, err := db.lookup(key)
	switch {
	case err != nil:
		return "", 0, err
	case op == mcAdd && found,
		(op == mcReplace || op == mcAppend || op == mcPrepend) && !found:
		return mcNotStored, 0, nil
	case op == mcCas && !found:
		return mcNotFound, 0, nil
	case op == mcCas && cas != old.cas,
		(op == mcAppend || op == mcPrepend) && cas != 0 && cas != old.cas:
		return mcExists, 0, nil
	}
	e := entry{val: val, exp: exp, flags: flags}
	if op == mcAppend || op == mcPrepend {
		if mcTooBig(key, old.flags, len(old.val)+len(val)) {
			return mcNotStored, 0, nil
		}
		e = entry{val: joinValue(old.val, val, op == mcAppend), exp: old.exp, flags: old.flags}
		now = 0
	}
	newCas, err := db.put(db.pdb, key, e, now)
	return mcStored, newCas, err
}

// joinValue returns old with add after it (appending) or before it. old is
// a copy of the stored value, which an append may grow in place.
func joinValue(old, add []byte, appending bool) []byte {
	if appending {
		return append(old, add...)
	}
	val := make([]byte, 0, len(add)+len(old))
	return append(append(val, add...), old...)
}

// mcTooBig reports whether memcached would refuse the item as over
// MemcacheMaxItem. (kvdb has no other bound: the data lives on disk.)
func mcTooBig(key []byte, flags uint32, size int) bool {
	return mcItemSize(len(key), flags, size) > lcache.MemcacheMaxItem
}

// mcItemSize is the size of memcached's item for a key and value of the given
// lengths: flags take 4 bytes only when not zero.
func mcItemSize(keyLen int, flags uint32, size int) int {
	n := mcItemHeader + keyLen + size
	if flags != 0 {
		n += 4
	}
	return n
}

// mcIncr is incr and decr.
func (db *DB) mcIncr(dst []byte, key []byte, delta uint64, incr bool) ([]byte, error) {
	s := db.lockKey(key)
	defer s.Unlock()
	old, found, err := db.lookup(key)
	switch {
	case err != nil:
		return dst, err
	case !found:
		return append(dst, mcNotFound...), nil
	case !counterSized(key, old):
		return append(dst, mcNonNumeric...), nil
	}
	digits, _, ok, err := db.addToItem(key, old, delta, incr)
	if !ok {
		return append(dst, mcNonNumeric...), err
	}
	dst = append(dst, digits...)
	return append(dst, "\r\n"...), err
}

// counterSized reports whether incr and decr may read e, the entry of key:
// memcached refuses an empty value or a chunked item before it reads them.
func counterSized(key []byte, e entry) bool {
	return len(e.val) > 0 && mcItemSize(len(key), e.flags, len(e.val)) <= mcChunkMax
}

// addToItem is the arithmetic of memcached's do_add_delta on key, whose
// entry is e and whose stripe the caller holds: the value must read as an
// unsigned 64-bit decimal (mcParseUint), incr wraps around, decr stops at 0,
// and a result no longer than the value is written over it padded with
// spaces. Length aside, the value keeps its flags and deadline. It returns
// the result's digits and the entry stored, or false for a value that is
// not a number.
func (db *DB) addToItem(key []byte, e entry, delta uint64, incr bool) ([]byte, entry, bool, error) {
	v, ok := mcParseUint(e.val)
	if !ok {
		return nil, e, false, nil
	}
	digits := strconv.AppendUint(nil, addDelta(v, delta, incr), 10)
	val := make([]byte, max(len(digits), len(e.val)))
	for i := copy(val, digits); i < len(val); i++ {
		val[i] = ' '
	}
	e.val = val
	var err error
	e.cas, err = db.put(db.pdb, key, e, 0)
	return digits, e, true, err
}

// addDelta adds delta to v (wrapping around) or subtracts it (stopping at 0).
func addDelta(v, delta uint64, incr bool) uint64 {
	switch {
	case incr:
		return v + delta
	case delta > v:
		return 0
	}
	return v - delta
}

// mcParseUint reads a value as memcached's safe_strtoull reads an item's
// data, which a CRLF always follows: glibc strtoull, then a white space or
// NUL byte must follow the digits, and "-n" is refused when the result
// would be negative as an int64. (memcached 1.6.18 looks for that '-' with
// strchr, on into the memory after the item; kvdb, as lcache, looks in the
// value.)
func mcParseUint(b []byte) (uint64, bool) {
	mag, neg, ok := scanCNumber(b)
	if !ok {
		return 0, false
	}
	if neg {
		mag = -mag
		if int64(mag) < 0 {
			return 0, false
		}
	}
	return mag, true
}

// mcDeadline converts an exptime given at unix ms now into an entry deadline
// (0 for none). memcached drops an item when its whole-second clock reaches
// the expiry second, so the deadline is the millisecond before.
func mcDeadline(exptime, now int64) int64 {
	switch {
	case exptime == 0:
		return 0
	case exptime < 0:
		return 1 // long past
	case exptime <= mcRelativeMax:
		return now + exptime*1000 - 1
	}
	return min(exptime, maxUnixSeconds)*1000 - 1
}
