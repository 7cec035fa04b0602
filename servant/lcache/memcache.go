package lcache

import (
	"strconv"
)

// MC is one memcache request, already parsed (by package memcache or any
// other parser). Keys, Value and Meta alias the caller's buffer: DoMemcache
// copies what it keeps. The zero value names no command and is answered
// "ERROR". DoMemcache only reads an MC: the caller may reuse it as soon as
// DoMemcache returns.
type MC struct {
	// Cmd is the command as memcached spells it: "get", "gets", "gat",
	// "gats", "set", "add", "replace", "append", "prepend", "cas",
	// "delete", "incr", "decr", "touch", "flush_all", or the meta commands
	// "mg", "ms", "md", "ma" and "mn". Any other name is answered "ERROR".
	Cmd string
	// Keys are the keys: at least one for get and gets, any number for gat
	// and gats, exactly one for the other keyed commands and the meta
	// commands (base64 text when the meta flag b is given), none for
	// flush_all and mn. Another count is answered "ERROR".
	Keys [][]byte
	// Flags is the client flags word of set, add, replace and cas. append
	// and prepend keep the item's own, as memcached does.
	Flags uint32
	// Exptime is the expiration time of a storage command, touch, gat and
	// gats, or the delay of flush_all, in memcached's terms: 0 never
	// expires, a negative value has already expired, up to 30 days
	// (2592000) is seconds from now, more is an absolute unix time.
	Exptime int64
	// Cas is the cas unique that a cas command compares.
	Cas uint64
	// Delta is the amount that incr adds or decr subtracts.
	Delta uint64
	// Value is the data block of a storage command or ms, without its
	// trailing "\r\n".
	Value []byte
	// NoReply reports a classic command's "noreply" token: DoMemcache then
	// appends nothing, not even an error, as memcached sends nothing. It is
	// ignored by get, gets, gat and gats (memcached takes a trailing
	// "noreply" there for a key) and by meta commands (they have flag q).
	NoReply bool
	// Meta are the flag tokens of a meta command as sent ("v", "T30",
	// "Oabc"), after the key, or after the data length for ms. DoMemcache
	// checks them as memcached does.
	Meta [][]byte
}

// Limits that memcached 1.6 applies with its default settings.
const (
	// MemcacheMaxKey is memcached's KEY_MAX_LENGTH: a longer key gets
	// "CLIENT_ERROR bad command line format".
	MemcacheMaxKey = 250
	// MemcacheMaxItem is memcached's default item size limit (-I 1m). An
	// item weighs its key, its value and a header of 59 bytes, plus 4 when
	// its flags are not zero; a heavier one gets "SERVER_ERROR object too
	// large for cache".
	MemcacheMaxItem = 1 << 20
)

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
	mcNoMemory   = "SERVER_ERROR out of memory storing object\r\n"
	mcClosed     = "SERVER_ERROR lcache is closed\r\n"
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
// exact reply to dst: nothing when r.NoReply is set on a classic command.
// A get-style command with several keys appends the VALUE blocks of the
// hits, in key order, then one END. Entries are shared with Do: a value set
// here is seen by the redis GET, a TTL by redis TTL, and the reverse.
// DoMemcache keeps no reference to r or its bytes. It is safe for concurrent
// use.
func (c *Cache) DoMemcache(dst []byte, r *MC) []byte {
	op := mcOpOf(r.Cmd)
	if c.closed.Load() {
		return append(dst, mcClosed...)
	}
	c.settleFlush()
	switch {
	case op == mcUnknown:
		return append(dst, mcError...)
	case op <= mcGats:
		return c.mcFetch(dst, r, op)
	case op >= mcMetaGet:
		return c.doMeta(dst, r, op)
	case (op == mcFlushAll) != (len(r.Keys) == 0), len(r.Keys) > 1:
		return append(dst, mcError...)
	}
	n := len(dst)
	switch {
	case op == mcFlushAll:
		c.flushAll(r.Exptime, nowMillis())
		dst = append(dst, mcOK...)
	case len(r.Keys[0]) > MemcacheMaxKey:
		dst = append(dst, mcBadFormat...)
	case op == mcDelete:
		dst = c.mcDelete(dst, r.Keys[0])
	case op == mcIncr, op == mcDecr:
		dst = c.mcIncr(dst, r.Keys[0], r.Delta, op == mcIncr)
	case op == mcTouch:
		dst = c.mcTouch(dst, r)
	default:
		dst = c.mcStore(dst, r, op)
	}
	if r.NoReply {
		dst = dst[:n]
	}
	return dst
}

// mcFetch is get, gets, gat and gats. A key over MemcacheMaxKey replaces
// the whole reply with an error, as in memcached, after the keys before it
// were touched.
func (c *Cache) mcFetch(dst []byte, r *MC, op mcOp) []byte {
	touch := op == mcGat || op == mcGats
	if len(r.Keys) == 0 && !touch {
		return append(dst, mcError...)
	}
	var now, exp int64
	if touch {
		now = nowMillis()
		exp = mcDeadline(r.Exptime, now)
	}
	start := len(dst)
	for _, key := range r.Keys {
		if len(key) > MemcacheMaxKey {
			return append(dst[:start], mcBadFormat...)
		}
		var e entry
		var ok bool
		if touch {
			e, ok = c.touch(key, exp, now)
		} else {
			e, ok = c.lookup(key)
		}
		if ok {
			dst = appendMCValue(dst, key, e, op == mcGets || op == mcGats)
		}
	}
	return append(dst, mcEnd...)
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
func (c *Cache) touch(key []byte, exp, now int64) (entry, bool) {
	s := c.lockKey(key)
	defer s.Unlock()
	e, ok := c.lookup(key)
	if ok {
		c.retime(key, e, exp, now)
	}
	return e, ok
}

// mcTouch is touch key exptime.
func (c *Cache) mcTouch(dst []byte, r *MC) []byte {
	now := nowMillis()
	if _, ok := c.touch(r.Keys[0], mcDeadline(r.Exptime, now), now); !ok {
		return append(dst, mcNotFound...)
	}
	return append(dst, mcTouched...)
}

// mcDelete is delete key.
func (c *Cache) mcDelete(dst []byte, key []byte) []byte {
	s := c.lockKey(key)
	defer s.Unlock()
	if !c.remove(key) {
		return append(dst, mcNotFound...)
	}
	return append(dst, mcDeleted...)
}

// mcStore is set, add, replace, append, prepend and cas, as memcached's
// process_update_command: an item too large is refused first, and a failed
// set drops the old value, lest it stay stale.
func (c *Cache) mcStore(dst []byte, r *MC, op mcOp) []byte {
	key := r.Keys[0]
	s := c.lockKey(key)
	defer s.Unlock()
	if reply := c.mcRefuse(key, r.Flags, len(r.Value)); reply != "" {
		if op == mcSet {
			c.store.Invalidate(keyString(key))
		}
		return append(dst, reply...)
	}
	var cas uint64 // classic append and prepend take none
	if op == mcCas {
		cas = r.Cas
	}
	now := nowMillis()
	res, _ := c.storeItem(key, op, r.Flags, mcDeadline(r.Exptime, now), now, r.Value, cas)
	return append(dst, res...)
}

// storeItem applies a storage command that passed mcRefuse to key, whose
// stripe the caller holds, as memcached's do_store_item: cas compares with
// the item's cas unique (0 never matches), append and prepend compare only
// a non-zero cas and keep the item's flags and deadline. It returns the
// classic reply and, when stored, the new cas unique.
func (c *Cache) storeItem(key []byte, op mcOp, flags uint32, exp, now int64, val []byte, cas uint64) (string, uint64) {
	old, found := c.lookup(key)
	switch {
	case op == mcAdd && found,
		(op == mcReplace || op == mcAppend || op == mcPrepend) && !found:
		return mcNotStored, 0
	case op == mcCas && !found:
		return mcNotFound, 0
	case op == mcCas && cas != old.cas,
		(op == mcAppend || op == mcPrepend) && cas != 0 && cas != old.cas:
		return mcExists, 0
	}
	e := entry{val: clone(val), exp: exp, flags: flags}
	if op == mcAppend || op == mcPrepend {
		if c.mcRefuse(key, old.flags, len(old.val)+len(val)) != "" {
			return mcNotStored, 0
		}
		e = entry{val: joinValue(old.val, val, op == mcAppend), exp: old.exp, flags: old.flags}
		now = 0
	}
	return mcStored, c.put(key, e, now)
}

// joinValue returns old with add after it (appending) or before it. An
// append may grow old in place past its length, where no stored entry
// reaches; a prepend copies.
func joinValue(old, add []byte, appending bool) []byte {
	if appending {
		return append(old, add...)
	}
	val := make([]byte, 0, len(add)+len(old))
	return append(append(val, add...), old...)
}

// mcRefuse returns memcached's error for an item it could not allocate: one
// over MemcacheMaxItem, or one that could never fit within MaxMemory; ""
// if the item can be stored.
func (c *Cache) mcRefuse(key []byte, flags uint32, size int) string {
	switch {
	case mcItemSize(len(key), flags, size) > MemcacheMaxItem:
		return mcTooLarge
	case !c.fits(len(key), size):
		return mcNoMemory
	}
	return ""
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
func (c *Cache) mcIncr(dst []byte, key []byte, delta uint64, incr bool) []byte {
	s := c.lockKey(key)
	defer s.Unlock()
	old, found := c.lookup(key)
	if !found {
		return append(dst, mcNotFound...)
	}
	if !counterSized(key, old) {
		return append(dst, mcNonNumeric...)
	}
	digits, _, ok := c.addToItem(key, old, delta, incr)
	if !ok {
		return append(dst, mcNonNumeric...)
	}
	dst = append(dst, digits...)
	return append(dst, "\r\n"...)
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
func (c *Cache) addToItem(key []byte, e entry, delta uint64, incr bool) ([]byte, entry, bool) {
	v, ok := mcParseUint(e.val)
	if !ok {
		return nil, e, false
	}
	digits := strconv.AppendUint(nil, addDelta(v, delta, incr), 10)
	val := make([]byte, max(len(digits), len(e.val)))
	for i := copy(val, digits); i < len(val); i++ {
		val[i] = ' '
	}
	e.val = val
	e.cas = c.put(key, e, 0)
	return digits, e, true
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
// strchr, on into the memory after the item; lcache looks in the value.)
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
