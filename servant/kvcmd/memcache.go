package kvcmd

import (
	"strconv"
	"strings"
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
	// MaxKey is memcached's KEY_MAX_LENGTH: a longer key gets
	// "CLIENT_ERROR bad command line format".
	MaxKey = 250
	// MaxItem is memcached's default item size limit (-I 1m). An
	// item weighs its key, its value and a header of 59 bytes, plus 4 when
	// its flags are not zero; a heavier one gets "SERVER_ERROR object too
	// large for cache".
	MaxItem = 1 << 20
)

const (
	// ItemHeader is what memcached 1.6 adds to key and value in an item:
	// its 48-byte header, the key's NUL, the value's CRLF, the cas unique.
	ItemHeader = 48 + 1 + 2 + 8
	// ChunkMax is memcached's default slab_chunk_max: a heavier item is
	// stored in chunks, and incr and decr take a chunked item for
	// non-numeric.
	ChunkMax = 512 << 10
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
// here is seen by the redis GET, a TTL by redis TTL, and the reverse. A
// failure of the store is answered "SERVER_ERROR name: ..." (and logged,
// not answered, under noreply). DoMemcache keeps no reference to r or its
// bytes. It is safe for concurrent use.
func (eng *Engine) DoMemcache(dst []byte, r *MC) []byte {
	if !eng.st.Enter() {
		return append(dst, eng.errStr.mcClosed...)
	}
	defer eng.st.Leave()
	start := len(dst)
	out, err := eng.doMemcache(dst, r)
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

// doMemcache is DoMemcache for an open store.
func (eng *Engine) doMemcache(dst []byte, r *MC) ([]byte, error) {
	op := mcOpOf(r.Cmd)
	if err := eng.settleFlush(); err != nil {
		return dst, err
	}
	switch {
	case op == mcUnknown:
		return append(dst, mcError...), nil
	case op <= mcGats:
		return eng.mcFetch(dst, r, op)
	case op >= mcMetaGet:
		return eng.doMeta(dst, r, op)
	case (op == mcFlushAll) != (len(r.Keys) == 0), len(r.Keys) > 1:
		return append(dst, mcError...), nil
	}
	n := len(dst)
	var err error
	switch {
	case op == mcFlushAll:
		err = eng.flushAll(r.Exptime, eng.now())
		dst = append(dst, mcOK...)
	case len(r.Keys[0]) > MaxKey:
		dst = append(dst, mcBadFormat...)
	case op == mcDelete:
		dst, err = eng.mcDelete(dst, r.Keys[0])
	case op == mcIncr, op == mcDecr:
		dst, err = eng.mcIncr(dst, r.Keys[0], r.Delta, op == mcIncr)
	case op == mcTouch:
		dst, err = eng.mcTouch(dst, r)
	default:
		dst, err = eng.mcStore(dst, r, op)
	}
	if r.NoReply {
		if err != nil {
			eng.log.Error(eng.name+": memcache "+r.Cmd+" with noreply failed", "err", err)
		}
		return dst[:n], nil
	}
	return dst, err
}

// mcFetch is get, gets, gat and gats. A key over MaxKey replaces
// the whole reply with an error, as in memcached, after the keys before it
// were touched.
func (eng *Engine) mcFetch(dst []byte, r *MC, op mcOp) ([]byte, error) {
	touch := op == mcGat || op == mcGats
	if len(r.Keys) == 0 && !touch {
		return append(dst, mcError...), nil
	}
	var now, exp int64
	if touch {
		now = eng.now()
		exp = Deadline(r.Exptime, now)
	}
	start := len(dst)
	withCas := op == mcGets || op == mcGats
	for _, key := range r.Keys {
		if len(key) > MaxKey {
			return append(dst[:start], mcBadFormat...), nil
		}
		var err error
		if touch {
			var e Entry
			var ok bool
			if e, ok, err = eng.touch(key, exp, now); ok {
				dst = appendMCValue(dst, key, e, withCas)
			}
		} else {
			f := appendMCValueNoCas
			if withCas {
				f = appendMCValueCas
			}
			dst, _, err = eng.st.Append(dst, key, f)
		}
		if err != nil {
			return dst, err
		}
		if len(dst)-start > MaxReply {
			dst = append(dst[:start], "SERVER_ERROR "...)
			return append(append(dst, errReplyTooLarge...), '\r', '\n'), nil
		}
	}
	return append(dst, mcEnd...), nil
}

// MaxReply bounds the reply to one multi-key read (MGET, get with many
// keys): a request repeating a large value thousands of times is refused
// rather than built in memory, where redis-server or memcached would stream
// it.
const MaxReply = 64 << 20

// errReplyTooLarge is the error text of a read over MaxReply.
const errReplyTooLarge = "reply would exceed 64 MiB; ask for fewer keys"

// appendMCValueCas is the AppendFunc of gets: the VALUE block with the cas
// unique.
func appendMCValueCas(dst, key []byte, e Entry) []byte { return appendMCValue(dst, key, e, true) }

// appendMCValueNoCas is the AppendFunc of get: the VALUE block without the
// cas unique.
func appendMCValueNoCas(dst, key []byte, e Entry) []byte { return appendMCValue(dst, key, e, false) }

// appendMCValue appends the VALUE block of key, whose Entry is e.
func appendMCValue(dst, key []byte, e Entry, withCas bool) []byte {
	dst = append(dst, "VALUE "...)
	dst = append(dst, key...)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(e.Flags), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(len(e.Val)), 10)
	if withCas {
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, e.Cas, 10)
	}
	dst = append(dst, "\r\n"...)
	dst = append(dst, e.Val...)
	return append(dst, "\r\n"...)
}

// touch gives key the deadline exp, computed at unix ms now, and returns its
// Entry as it was, or false if key does not exist.
func (eng *Engine) touch(key []byte, exp, now int64) (Entry, bool, error) {
	s := eng.lockKey(key)
	defer s.Unlock()
	e, ok, err := eng.st.Load(key, true)
	if ok {
		err = eng.retime(key, e, exp, now)
	}
	return e, ok, err
}

// mcTouch is touch key exptime.
func (eng *Engine) mcTouch(dst []byte, r *MC) ([]byte, error) {
	now := eng.now()
	_, ok, err := eng.touch(r.Keys[0], Deadline(r.Exptime, now), now)
	if !ok {
		return append(dst, mcNotFound...), err
	}
	return append(dst, mcTouched...), err
}

// mcDelete is delete key.
func (eng *Engine) mcDelete(dst []byte, key []byte) ([]byte, error) {
	s := eng.lockKey(key)
	defer s.Unlock()
	ok, err := eng.remove(key)
	if !ok {
		return append(dst, mcNotFound...), err
	}
	return append(dst, mcDeleted...), err
}

// mcStore is set, add, replace, append, prepend and cas, as memcached's
// process_update_command: an item too large is refused first, and a failed
// set drops the old value, lest it stay stale.
func (eng *Engine) mcStore(dst []byte, r *MC, op mcOp) ([]byte, error) {
	key := r.Keys[0]
	s := eng.lockKey(key)
	defer s.Unlock()
	if reply := eng.mcRefuse(key, r.Flags, len(r.Value)); reply != "" {
		var err error
		if op == mcSet {
			err = eng.st.Delete(key)
		}
		return append(dst, reply...), err
	}
	var cas uint64 // classic append and prepend take none
	if op == mcCas {
		cas = r.Cas
	}
	now := eng.now()
	res, _, err := eng.storeItem(key, op, r.Flags, Deadline(r.Exptime, now), now, r.Value, cas)
	return append(dst, res...), err
}

// storeItem applies a storage command that passed mcRefuse to key, whose
// stripe the caller holds, as memcached's do_store_item: cas compares with
// the item's cas unique (0 never matches), append and prepend compare only
// a non-zero cas and keep the item's flags and deadline. It returns the
// classic reply and, when stored, the new cas unique.
func (eng *Engine) storeItem(key []byte, op mcOp, flags uint32, exp, now int64, val []byte, cas uint64) (string, uint64, error) {
	old, found, err := eng.st.Load(key, true)
	switch {
	case err != nil:
		return "", 0, err
	case op == mcAdd && found,
		(op == mcReplace || op == mcAppend || op == mcPrepend) && !found:
		return mcNotStored, 0, nil
	case op == mcCas && !found:
		return mcNotFound, 0, nil
	case op == mcCas && cas != old.Cas,
		(op == mcAppend || op == mcPrepend) && cas != 0 && cas != old.Cas:
		return mcExists, 0, nil
	}
	e := Entry{Val: eng.clone(val), Exp: exp, Flags: flags}
	if op == mcAppend || op == mcPrepend {
		if eng.mcRefuse(key, old.Flags, len(old.Val)+len(val)) != "" {
			return mcNotStored, 0, nil
		}
		e = Entry{Val: joinValue(old.Val, val, op == mcAppend), Exp: old.Exp, Flags: old.Flags}
		now = 0
	}
	newCas, err := eng.put(eng.st, key, e, now)
	return mcStored, newCas, err
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
// over MaxItem, or one that the store could never hold (Store.Fits); "" if
// the item can be stored.
func (eng *Engine) mcRefuse(key []byte, flags uint32, size int) string {
	switch {
	case mcItemSize(len(key), flags, size) > MaxItem:
		return mcTooLarge
	case !eng.st.Fits(len(key), size):
		return mcNoMemory
	}
	return ""
}

// mcItemSize is the size of memcached's item for a key and value of the given
// lengths: flags take 4 bytes only when not zero.
func mcItemSize(keyLen int, flags uint32, size int) int {
	n := ItemHeader + keyLen + size
	if flags != 0 {
		n += 4
	}
	return n
}

// mcIncr is incr and decr.
func (eng *Engine) mcIncr(dst []byte, key []byte, delta uint64, incr bool) ([]byte, error) {
	s := eng.lockKey(key)
	defer s.Unlock()
	old, found, err := eng.st.Load(key, true)
	switch {
	case err != nil:
		return dst, err
	case !found:
		return append(dst, mcNotFound...), nil
	case !counterSized(key, old):
		return append(dst, mcNonNumeric...), nil
	}
	digits, _, ok, err := eng.addToItem(key, old, delta, incr)
	if !ok {
		return append(dst, mcNonNumeric...), err
	}
	dst = append(dst, digits...)
	return append(dst, "\r\n"...), err
}

// counterSized reports whether incr and decr may read e, the Entry of key:
// memcached refuses an empty value or a chunked item before it reads them.
func counterSized(key []byte, e Entry) bool {
	return len(e.Val) > 0 && mcItemSize(len(key), e.Flags, len(e.Val)) <= ChunkMax
}

// addToItem is the arithmetic of memcached's do_add_delta on key, whose
// Entry is e and whose stripe the caller holds: the value must read as an
// unsigned 64-bit decimal (ParseCounter), incr wraps around, decr stops at 0,
// and a result no longer than the value is written over it padded with
// spaces. Length aside, the value keeps its flags and deadline. It returns
// the result's digits and the Entry stored, or false for a value that is
// not a number.
func (eng *Engine) addToItem(key []byte, e Entry, delta uint64, incr bool) ([]byte, Entry, bool, error) {
	v, ok := ParseCounter(e.Val)
	if !ok {
		return nil, e, false, nil
	}
	digits := strconv.AppendUint(nil, addDelta(v, delta, incr), 10)
	val := make([]byte, max(len(digits), len(e.Val)))
	for i := copy(val, digits); i < len(val); i++ {
		val[i] = ' '
	}
	e.Val = val
	var err error
	e.Cas, err = eng.put(eng.st, key, e, 0)
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

// ParseCounter reads a value as memcached's safe_strtoull reads an item's
// data, which a CRLF always follows: glibc strtoull, then a white space or
// NUL byte must follow the digits, and "-n" is refused when the result
// would be negative as an int64. (memcached 1.6.18 looks for that '-' with
// strchr, on into the memory after the item; the engine looks in the
// value.)
func ParseCounter(b []byte) (uint64, bool) {
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

// Deadline converts an exptime given at unix ms now into an Entry deadline
// (0 for none). memcached drops an item when its whole-second clock reaches
// the expiry second, so the deadline is the millisecond before.
func Deadline(exptime, now int64) int64 {
	switch {
	case exptime == 0:
		return 0
	case exptime < 0:
		return 1 // long past
	case exptime <= RelativeMax:
		return now + exptime*1000 - 1
	}
	return min(exptime, maxUnixSeconds)*1000 - 1
}
