package kvcmd

import (
	"github.com/fae-dev/fae/resp"
)

// appendValue appends e's value as a bulk string, or a null when !ok.
func appendValue(dst []byte, e Entry, ok bool) []byte {
	if !ok {
		return resp.AppendNull(dst)
	}
	return resp.AppendBulk(dst, e.Val)
}

// getCmd is GET key. It takes no lock: the store renders the value into
// the reply (see Store.Append).
func (eng *Engine) getCmd(dst []byte, args [][]byte) ([]byte, error) {
	dst, found, err := eng.st.Append(dst, args[1], appendBulkValue)
	if !found && err == nil {
		dst = resp.AppendNull(dst)
	}
	return dst, err
}

// appendBulkValue is the AppendFunc of GET: the value as a bulk string.
func appendBulkValue(dst, _ []byte, e Entry) []byte { return resp.AppendBulk(dst, e.Val) }

// setCmd is SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL]: options
// first, then the deadline, then the key, as redis 7.0 does.
func (eng *Engine) setCmd(dst []byte, args [][]byte) ([]byte, error) {
	o, ok := parseStrOpts(args[3:], true)
	if !ok {
		return append(dst, errSyntax...), nil
	}
	var now, exp int64
	if o.flags&optExpire != 0 {
		now = eng.now()
		var errReply string
		if exp, errReply = o.deadline(now, "set"); errReply != "" {
			return append(dst, errReply...), nil
		}
	}
	if !eng.st.Fits(len(args[1]), len(args[2])) {
		return append(dst, errOOM...), nil
	}
	return eng.set(dst, args[1], args[2], o.flags, exp, now)
}

// set applies a parsed SET with deadline exp (0 for none) computed at now.
// A plain SET reads neither the old value nor the clock.
func (eng *Engine) set(dst []byte, key, val []byte, flags int, exp, now int64) ([]byte, error) {
	s := eng.lockKey(key)
	defer s.Unlock()
	var old Entry
	found := false
	if flags&(optNX|optXX|optGet|optKeepTTL) != 0 {
		var err error
		if old, found, err = eng.st.Load(key, true); err != nil {
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
		exp = old.Exp
	}
	if _, err := eng.put(eng.st, key, Entry{Val: eng.clone(val), Exp: exp}, now); err != nil {
		return dst, err
	}
	if !get {
		dst = append(dst, replyOK...)
	}
	return dst, nil
}

// getdelCmd is GETDEL key.
func (eng *Engine) getdelCmd(dst []byte, args [][]byte) ([]byte, error) {
	s := eng.lockKey(args[1])
	defer s.Unlock()
	e, ok, err := eng.st.Load(args[1], true)
	if ok {
		err = eng.st.Delete(args[1])
	}
	return appendValue(dst, e, ok), err
}

// mgetCmd is MGET key [key ...]. It holds the stripes of all its keys, so it
// never sees half of an MSET.
func (eng *Engine) mgetCmd(dst []byte, args [][]byte) ([]byte, error) {
	keys := args[1:]
	locked := len(keys) > 1
	if locked {
		defer eng.unlockSet(eng.lockKeys(keys, 1))
	}
	start := len(dst)
	dst = resp.AppendArrayHeader(dst, len(keys))
	for _, key := range keys {
		e, ok, err := eng.st.Load(key, locked)
		if err != nil {
			return dst, err
		}
		dst = appendValue(dst, e, ok)
		if len(dst)-start > MaxReply {
			return resp.AppendError(dst[:start], "ERR "+errReplyTooLarge), nil
		}
	}
	return dst, nil
}

// msetCmd is MSET key value [key value ...].
func (eng *Engine) msetCmd(dst []byte, args [][]byte) ([]byte, error) {
	return eng.msetGeneric(dst, args, "mset", false)
}

// msetnxCmd is MSETNX key value [key value ...].
func (eng *Engine) msetnxCmd(dst []byte, args [][]byte) ([]byte, error) {
	return eng.msetGeneric(dst, args, "msetnx", true)
}

// msetGeneric sets all pairs, or with nx none of them if any key exists. It
// holds the stripes of all keys throughout and writes one batch, so the
// command is atomic, on disk too.
func (eng *Engine) msetGeneric(dst []byte, args [][]byte, name string, nx bool) ([]byte, error) {
	if len(args)%2 == 0 {
		return resp.AppendError(dst, "ERR wrong number of arguments for '"+name+"' command"), nil
	}
	pairs := args[1:]
	for i := 0; i < len(pairs); i += 2 {
		if !eng.st.Fits(len(pairs[i]), len(pairs[i+1])) {
			return append(dst, errOOM...), nil
		}
	}
	defer eng.unlockSet(eng.lockKeys(pairs, 2))
	if nx {
		for i := 0; i < len(pairs); i += 2 {
			if _, ok, err := eng.st.Load(pairs[i], true); ok || err != nil {
				return resp.AppendInt(dst, 0), err
			}
		}
	}
	b := eng.st.NewBatch()
	defer b.Close()
	for i := 0; i < len(pairs); i += 2 {
		if _, err := eng.put(b, pairs[i], Entry{Val: eng.clone(pairs[i+1])}, 0); err != nil {
			return dst, err
		}
	}
	if err := b.Commit(); err != nil {
		return dst, err
	}
	if nx {
		return resp.AppendInt(dst, 1), nil
	}
	return append(dst, replyOK...), nil
}

// appendCmd is APPEND key value. The value grows in place when its spare
// capacity allows: no stored entry covers the bytes past its length.
func (eng *Engine) appendCmd(dst []byte, args [][]byte) ([]byte, error) {
	key, add := args[1], args[2]
	s := eng.lockKey(key)
	defer s.Unlock()
	old, found, err := eng.st.Load(key, true)
	if err != nil {
		return dst, err
	}
	total := len(old.Val) + len(add)
	if found && tooLong(int64(len(old.Val)), len(add)) {
		return append(dst, errTooLong...), nil
	}
	if !eng.st.Fits(len(key), total) {
		return append(dst, errOOM...), nil
	}
	if !found {
		_, err = eng.put(eng.st, key, Entry{Val: eng.clone(add)}, 0)
	} else if len(add) > 0 {
		_, err = eng.put(eng.st, key, Entry{Val: append(old.Val, add...), Exp: old.Exp, Flags: old.Flags}, 0)
	}
	return resp.AppendInt(dst, int64(total)), err
}

// strlenCmd is STRLEN key.
func (eng *Engine) strlenCmd(dst []byte, args [][]byte) ([]byte, error) {
	e, _, err := eng.st.Load(args[1], false)
	return resp.AppendInt(dst, int64(len(e.Val))), err
}

// getrangeCmd is GETRANGE key start end, with redis 7.0's index rules.
func (eng *Engine) getrangeCmd(dst []byte, args [][]byte) ([]byte, error) {
	start, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...), nil
	}
	end, ok := parseInt(args[3])
	if !ok {
		return append(dst, errNotInteger...), nil
	}
	e, _, err := eng.st.Load(args[1], false)
	if err != nil {
		return dst, err
	}
	n := int64(len(e.Val))
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
	return resp.AppendBulk(dst, e.Val[start:end+1]), nil
}

// tooLong reports whether a string of size+add bytes passes redis's
// proto-max-bulk-len, or the sum overflows.
func tooLong(size int64, add int) bool {
	total := size + int64(add)
	return total > maxStringBytes || total < size
}

// setrangeCmd is SETRANGE key offset value. The new value is always a copy:
// readers may hold the old one.
func (eng *Engine) setrangeCmd(dst []byte, args [][]byte) ([]byte, error) {
	key, value := args[1], args[3]
	offset, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...), nil
	}
	if offset < 0 {
		return append(dst, errOffset...), nil
	}
	s := eng.lockKey(key)
	defer s.Unlock()
	old, found, err := eng.st.Load(key, true)
	if err != nil {
		return dst, err
	}
	if len(value) == 0 {
		return resp.AppendInt(dst, int64(len(old.Val))), nil
	}
	if tooLong(offset, len(value)) {
		return append(dst, errTooLong...), nil
	}
	n := max(len(old.Val), int(offset)+len(value))
	if !eng.st.Fits(len(key), n) {
		return append(dst, errOOM...), nil
	}
	buf := make([]byte, n)
	copy(buf, old.Val)
	copy(buf[offset:], value)
	e := Entry{Val: buf}
	if found {
		e.Exp, e.Flags = old.Exp, old.Flags
	}
	_, err = eng.put(eng.st, key, e, 0)
	return resp.AppendInt(dst, int64(n)), err
}
