package lcache

import (
	"github.com/fae-dev/fae/resp"
)

// clone copies b, which belongs to the caller of Do.
func clone(b []byte) []byte { return append([]byte(nil), b...) }

// appendValue appends e's value as a bulk string, or a null when !ok.
func appendValue(dst []byte, e entry, ok bool) []byte {
	if !ok {
		return resp.AppendNull(dst)
	}
	return resp.AppendBulk(dst, e.val)
}

// getCmd is GET key. It takes no lock: a stored entry never changes.
func (c *Cache) getCmd(dst []byte, args [][]byte) []byte {
	e, ok := c.lookup(args[1])
	return appendValue(dst, e, ok)
}

// setCmd is SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL]: options
// first, then the deadline, then the key, as redis 7.0 does.
func (c *Cache) setCmd(dst []byte, args [][]byte) []byte {
	o, ok := parseStrOpts(args[3:], true)
	if !ok {
		return append(dst, errSyntax...)
	}
	var now, exp int64
	if o.flags&optExpire != 0 {
		now = nowMillis()
		var errReply string
		if exp, errReply = o.deadline(now, "set"); errReply != "" {
			return append(dst, errReply...)
		}
	}
	if !c.fits(len(args[1]), len(args[2])) {
		return append(dst, errOOM...)
	}
	return c.set(dst, args[1], args[2], o.flags, exp, now)
}

// set applies a parsed SET with deadline exp (0 for none) computed at now.
// A plain SET reads neither the old value nor the clock.
func (c *Cache) set(dst []byte, key, val []byte, flags int, exp, now int64) []byte {
	s := c.lockKey(key)
	defer s.Unlock()
	var old entry
	found := false
	if flags&(optNX|optXX|optGet|optKeepTTL) != 0 {
		old, found = c.lookup(key)
	}
	get := flags&optGet != 0
	if get {
		dst = appendValue(dst, old, found)
	}
	if (flags&optNX != 0 && found) || (flags&optXX != 0 && !found) {
		if !get {
			dst = resp.AppendNull(dst)
		}
		return dst
	}
	if flags&optKeepTTL != 0 && found {
		exp = old.exp
	}
	c.put(key, entry{val: clone(val), exp: exp}, now)
	if !get {
		dst = append(dst, replyOK...)
	}
	return dst
}

// getdelCmd is GETDEL key.
func (c *Cache) getdelCmd(dst []byte, args [][]byte) []byte {
	s := c.lockKey(args[1])
	defer s.Unlock()
	e, ok := c.lookup(args[1])
	if ok {
		c.store.Invalidate(keyString(args[1]))
	}
	return appendValue(dst, e, ok)
}

// mgetCmd is MGET key [key ...]. It holds the stripes of all its keys, so it
// never sees half of an MSET.
func (c *Cache) mgetCmd(dst []byte, args [][]byte) []byte {
	keys := args[1:]
	if len(keys) > 1 {
		defer c.unlockSet(c.lockKeys(keys, 1))
	}
	dst = resp.AppendArrayHeader(dst, len(keys))
	for _, key := range keys {
		e, ok := c.lookup(key)
		dst = appendValue(dst, e, ok)
	}
	return dst
}

// msetCmd is MSET key value [key value ...].
func (c *Cache) msetCmd(dst []byte, args [][]byte) []byte {
	return c.msetGeneric(dst, args, "mset", false)
}

// msetnxCmd is MSETNX key value [key value ...].
func (c *Cache) msetnxCmd(dst []byte, args [][]byte) []byte {
	return c.msetGeneric(dst, args, "msetnx", true)
}

// msetGeneric sets all pairs, or with nx none of them if any key exists. It
// holds the stripes of all keys throughout, so the command is atomic.
func (c *Cache) msetGeneric(dst []byte, args [][]byte, name string, nx bool) []byte {
	if len(args)%2 == 0 {
		return resp.AppendError(dst, "ERR wrong number of arguments for '"+name+"' command")
	}
	pairs := args[1:]
	for i := 0; i < len(pairs); i += 2 {
		if !c.fits(len(pairs[i]), len(pairs[i+1])) {
			return append(dst, errOOM...)
		}
	}
	defer c.unlockSet(c.lockKeys(pairs, 2))
	if nx {
		for i := 0; i < len(pairs); i += 2 {
			if _, ok := c.lookup(pairs[i]); ok {
				return resp.AppendInt(dst, 0)
			}
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		c.put(pairs[i], entry{val: clone(pairs[i+1])}, 0)
	}
	if nx {
		return resp.AppendInt(dst, 1)
	}
	return append(dst, replyOK...)
}

// appendCmd is APPEND key value. The value grows in place when its spare
// capacity allows: no stored entry covers the bytes past its length.
func (c *Cache) appendCmd(dst []byte, args [][]byte) []byte {
	key, add := args[1], args[2]
	s := c.lockKey(key)
	defer s.Unlock()
	old, found := c.lookup(key)
	total := len(old.val) + len(add)
	if found && tooLong(int64(len(old.val)), len(add)) {
		return append(dst, errTooLong...)
	}
	if !c.fits(len(key), total) {
		return append(dst, errOOM...)
	}
	if !found {
		c.put(key, entry{val: clone(add)}, 0)
	} else if len(add) > 0 {
		c.put(key, entry{val: append(old.val, add...), exp: old.exp, flags: old.flags}, 0)
	}
	return resp.AppendInt(dst, int64(total))
}

// strlenCmd is STRLEN key.
func (c *Cache) strlenCmd(dst []byte, args [][]byte) []byte {
	e, _ := c.lookup(args[1])
	return resp.AppendInt(dst, int64(len(e.val)))
}

// getrangeCmd is GETRANGE key start end, with redis 7.0's index rules.
func (c *Cache) getrangeCmd(dst []byte, args [][]byte) []byte {
	start, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...)
	}
	end, ok := parseInt(args[3])
	if !ok {
		return append(dst, errNotInteger...)
	}
	e, _ := c.lookup(args[1])
	n := int64(len(e.val))
	if start < 0 && end < 0 && start > end {
		return resp.AppendBulk(dst, nil)
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
		return resp.AppendBulk(dst, nil)
	}
	return resp.AppendBulk(dst, e.val[start:end+1])
}

// tooLong reports whether a string of size+add bytes passes redis's
// proto-max-bulk-len, or the sum overflows.
func tooLong(size int64, add int) bool {
	total := size + int64(add)
	return total > maxStringBytes || total < size
}

// setrangeCmd is SETRANGE key offset value. The new value is always a copy:
// readers may hold the old one.
func (c *Cache) setrangeCmd(dst []byte, args [][]byte) []byte {
	key, value := args[1], args[3]
	offset, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...)
	}
	if offset < 0 {
		return append(dst, errOffset...)
	}
	s := c.lockKey(key)
	defer s.Unlock()
	old, found := c.lookup(key)
	if len(value) == 0 {
		return resp.AppendInt(dst, int64(len(old.val)))
	}
	if tooLong(offset, len(value)) {
		return append(dst, errTooLong...)
	}
	n := max(len(old.val), int(offset)+len(value))
	if !c.fits(len(key), n) {
		return append(dst, errOOM...)
	}
	buf := make([]byte, n)
	copy(buf, old.val)
	copy(buf[offset:], value)
	e := entry{val: buf}
	if found {
		e.exp, e.flags = old.exp, old.flags
	}
	c.put(key, e, 0)
	return resp.AppendInt(dst, int64(n))
}
