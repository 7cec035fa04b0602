package kvdb

import (
	"github.com/fae-dev/fae/resp"
)

// appendValue appends e's value as a bulk string, or a null when !ok.
func appendValue(dst []byte, e entry, ok bool) []byte {
	if !ok {
		return resp.AppendNull(dst)
	}
	return resp.AppendBulk(dst, e.val)
}

// getCmd is GET key. It takes no lock and copies the value straight from
// pebble's buffer into the reply.
func (db *DB) getCmd(dst []byte, args [][]byte) ([]byte, error) {
	key := args[1]
	e, closer, found, err := db.read(key)
	if !found {
		return resp.AppendNull(dst), err
	}
	if db.expired(e) {
		closer.Close()
		_, err := db.reap(key)
		return resp.AppendNull(dst), err
	}
	dst = resp.AppendBulk(dst, e.val)
	closer.Close()
	return dst, nil
}

// setCmd is SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL]: options
// first, then the deadline, then the key, as redis 7.0 does.
func (db *DB) setCmd(dst []byte, args [][]byte) ([]byte, error) {
	o, ok := parseStrOpts(args[3:], true)
	if !ok {
		return append(dst, errSyntax...), nil
	}
	var now, exp int64
	if o.flags&optExpire != 0 {
		now = db.now()
		var errReply string
		if exp, errReply = o.deadline(now, "set"); errReply != "" {
			return append(dst, errReply...), nil
		}
	}
	return db.set(dst, args[1], args[2], o.flags, exp, now)
}

// set applies a parsed SET with deadline exp (0 for none) computed at now.
// A plain SET reads neither the old value nor the clock.
func (db *DB) set(dst []byte, key, val []byte, flags int, exp, now int64) ([]byte, error) {
	s := db.lockKey(key)
	defer s.Unlock()
	var old entry
	found := false
	if flags&(optNX|optXX|optGet|optKeepTTL) != 0 {
		var err error
		if old, found, err = db.lookup(key); err != nil {
			return dst, err
		}
	}
	get := flags&optGet != 0
	if get {
		dst = appendValue(dst, old, found)
	}
	if (flags&optNX != 0 && found) || (flags&optXX != 0 && !found) {
		if !get {
			dst = resp.AppendNull(dst)
		}
		return dst, nil
	}
	if flags&optKeepTTL != 0 && found {
		exp = old.exp
	}
	if _, err := db.put(db.pdb, key, entry{val: val, exp: exp}, now); err != nil {
		return dst, err
	}
	if !get {
		dst = append(dst, replyOK...)
	}
	return dst, nil
}

// getdelCmd is GETDEL key.
func (db *DB) getdelCmd(dst []byte, args [][]byte) ([]byte, error) {
	s := db.lockKey(args[1])
	defer s.Unlock()
	e, ok, err := db.lookup(args[1])
	if ok {
		err = db.delete(db.pdb, args[1])
	}
	return appendValue(dst, e, ok), err
}

// mgetCmd is MGET key [key ...]. It holds the stripes of all its keys, so it
// never sees half of an MSET.
func (db *DB) mgetCmd(dst []byte, args [][]byte) ([]byte, error) {
	keys := args[1:]
	locked := len(keys) > 1
	if locked {
		defer db.unlockSet(db.lockKeys(keys, 1))
	}
	dst = resp.AppendArrayHeader(dst, len(keys))
	for _, key := range keys {
		e, ok, err := db.find(key, locked)
		if err != nil {
			return dst, err
		}
		dst = appendValue(dst, e, ok)
	}
	return dst, nil
}

// msetCmd is MSET key value [key value ...].
func (db *DB) msetCmd(dst []byte, args [][]byte) ([]byte, error) {
	return db.msetGeneric(dst, args, "mset", false)
}

// msetnxCmd is MSETNX key value [key value ...].
func (db *DB) msetnxCmd(dst []byte, args [][]byte) ([]byte, error) {
	return db.msetGeneric(dst, args, "msetnx", true)
}

// msetGeneric sets all pairs, or with nx none of them if any key exists. It
// holds the stripes of all keys throughout and writes one batch, so the
// command is atomic, on disk too.
func (db *DB) msetGeneric(dst []byte, args [][]byte, name string, nx bool) ([]byte, error) {
	if len(args)%2 == 0 {
		return resp.AppendError(dst, "ERR wrong number of arguments for '"+name+"' command"), nil
	}
	pairs := args[1:]
	defer db.unlockSet(db.lockKeys(pairs, 2))
	if nx {
		for i := 0; i < len(pairs); i += 2 {
			if _, ok, err := db.lookup(pairs[i]); ok || err != nil {
				return resp.AppendInt(dst, 0), err
			}
		}
	}
	b := db.pdb.NewBatch()
	defer b.Close()
	for i := 0; i < len(pairs); i += 2 {
		if _, err := db.put(b, pairs[i], entry{val: pairs[i+1]}, 0); err != nil {
			return dst, err
		}
	}
	if err := db.commit(b); err != nil {
		return dst, err
	}
	if nx {
		return resp.AppendInt(dst, 1), nil
	}
	return append(dst, replyOK...), nil
}

// appendCmd is APPEND key value.
func (db *DB) appendCmd(dst []byte, args [][]byte) ([]byte, error) {
	key, add := args[1], args[2]
	s := db.lockKey(key)
	defer s.Unlock()
	old, found, err := db.lookup(key)
	if err != nil {
		return dst, err
	}
	total := len(old.val) + len(add)
	if found && tooLong(int64(len(old.val)), len(add)) {
		return append(dst, errTooLong...), nil
	}
	if !found {
		_, err = db.put(db.pdb, key, entry{val: add}, 0)
	} else if len(add) > 0 {
		_, err = db.put(db.pdb, key, entry{val: append(old.val, add...), exp: old.exp, flags: old.flags}, 0)
	}
	return resp.AppendInt(dst, int64(total)), err
}

// strlenCmd is STRLEN key.
func (db *DB) strlenCmd(dst []byte, args [][]byte) ([]byte, error) {
	e, _, err := db.peek(args[1])
	return resp.AppendInt(dst, int64(len(e.val))), err
}

// getrangeCmd is GETRANGE key start end, with redis 7.0's index rules.
func (db *DB) getrangeCmd(dst []byte, args [][]byte) ([]byte, error) {
	start, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...), nil
	}
	end, ok := parseInt(args[3])
	if !ok {
		return append(dst, errNotInteger...), nil
	}
	e, _, err := db.peek(args[1])
	if err != nil {
		return dst, err
	}
	n := int64(len(e.val))
	if start < 0 && end < 0 && start > end {
		return resp.AppendBulk(dst, nil), nil
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return resp.AppendBulk(dst, nil), nil
	}
	return resp.AppendBulk(dst, e.val[start:end+1]), nil
}

// tooLong reports whether a string of size+add bytes passes redis's
// proto-max-bulk-len, or the sum overflows.
func tooLong(size int64, add int) bool {
	total := size + int64(add)
	return total > maxStringBytes || total < size
}

// setrangeCmd is SETRANGE key offset value.
func (db *DB) setrangeCmd(dst []byte, args [][]byte) ([]byte, error) {
	key, value := args[1], args[3]
	offset, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...), nil
	}
	if offset < 0 {
		return append(dst, errOffset...), nil
	}
	s := db.lockKey(key)
	defer s.Unlock()
	old, found, err := db.lookup(key)
	if err != nil {
		return dst, err
	}
	if len(value) == 0 {
		return resp.AppendInt(dst, int64(len(old.val))), nil
	}
	if tooLong(offset, len(value)) {
		return append(dst, errTooLong...), nil
	}
	n := max(len(old.val), int(offset)+len(value))
	buf := make([]byte, n)
	copy(buf, old.val)
	copy(buf[offset:], value)
	e := entry{val: buf}
	if found {
		e.exp, e.flags = old.exp, old.flags
	}
	_, err = db.put(db.pdb, key, e, 0)
	return resp.AppendInt(dst, int64(n)), err
}
