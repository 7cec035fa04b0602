package kvcmd

import (
	"math"

	"github.com/fae-dev/fae/resp"
)

// expireHandler returns the handler of EXPIRE (seconds, relative), PEXPIRE
// (millis), EXPIREAT (absolute) or PEXPIREAT (millis and absolute).
func expireHandler(name string, millis, absolute bool) handler {
	return func(eng *Engine, dst []byte, args [][]byte) ([]byte, error) {
		return eng.expireGeneric(dst, args, name, millis, absolute)
	}
}

// expireGeneric is redis 7.0's expireGenericCommand: options first, then the
// time, then the key; a deadline already passed deletes the key.
func (eng *Engine) expireGeneric(dst []byte, args [][]byte, name string, millis, absolute bool) ([]byte, error) {
	key := args[1]
	flags, errReply := parseExpireOpts(args[3:])
	if errReply != "" {
		return append(dst, errReply...), nil
	}
	now := eng.now()
	when, errReply := expireTime(args[2], name, millis, absolute, now)
	if errReply != "" {
		return append(dst, errReply...), nil
	}
	s := eng.lockKey(key)
	defer s.Unlock()
	e, found, err := eng.st.Load(key, true)
	if !found || !expireAllowed(flags, e.Exp, when) {
		return resp.AppendInt(dst, 0), err
	}
	if when <= now {
		err = eng.st.Delete(key)
	} else {
		err = eng.retime(key, e, when, 0)
	}
	return resp.AppendInt(dst, 1), err
}

// expireTime converts the time argument of an EXPIRE command into a unix-ms
// deadline, with redis's overflow checks, or returns the error reply.
func expireTime(arg []byte, name string, millis, absolute bool, now int64) (int64, string) {
	when, ok := parseInt(arg)
	if !ok {
		return 0, errNotInteger
	}
	if !millis {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			return 0, errExpireTime(name)
		}
		when *= 1000
	}
	var base int64
	if !absolute {
		base = now
	}
	if when > math.MaxInt64-base {
		return 0, errExpireTime(name)
	}
	return when + base, ""
}

// expireAllowed applies the NX, XX, GT and LT conditions to the current
// deadline cur (0 for none, which counts as infinite) and the new one.
func expireAllowed(flags int, cur, when int64) bool {
	switch {
	case flags&expNX != 0 && cur != 0,
		flags&expXX != 0 && cur == 0,
		flags&expGT != 0 && (cur == 0 || when <= cur),
		flags&expLT != 0 && cur != 0 && when >= cur:
		return false
	}
	return true
}

// ttlCmd is TTL key.
func (eng *Engine) ttlCmd(dst []byte, args [][]byte) ([]byte, error) {
	return eng.ttlGeneric(dst, args[1], false)
}

// pttlCmd is PTTL key.
func (eng *Engine) pttlCmd(dst []byte, args [][]byte) ([]byte, error) {
	return eng.ttlGeneric(dst, args[1], true)
}

// ttlGeneric replies -2 for a missing key, -1 for one without TTL, else the
// time left, in seconds rounded to nearest as redis does, or milliseconds.
func (eng *Engine) ttlGeneric(dst []byte, key []byte, millis bool) ([]byte, error) {
	e, ok, err := eng.st.Load(key, false)
	switch {
	case err != nil:
		return dst, err
	case !ok:
		return resp.AppendInt(dst, -2), nil
	case e.Exp == 0:
		return resp.AppendInt(dst, -1), nil
	}
	ttl := max(e.Exp-eng.now(), 0)
	if !millis {
		ttl = (ttl + 500) / 1000
	}
	return resp.AppendInt(dst, ttl), nil
}

// persistCmd is PERSIST key.
func (eng *Engine) persistCmd(dst []byte, args [][]byte) ([]byte, error) {
	key := args[1]
	s := eng.lockKey(key)
	defer s.Unlock()
	e, ok, err := eng.st.Load(key, true)
	if !ok || e.Exp == 0 {
		return resp.AppendInt(dst, 0), err
	}
	return resp.AppendInt(dst, 1), eng.retime(key, e, 0, 0)
}

// getexCmd is GETEX key [EX|PX|EXAT|PXAT t|PERSIST], as redis 7.0: a syntax
// error first, then a missing key (null, even with a bad time), then the time.
func (eng *Engine) getexCmd(dst []byte, args [][]byte) ([]byte, error) {
	key := args[1]
	o, ok := parseStrOpts(args[2:], false)
	if !ok {
		return append(dst, errSyntax...), nil
	}
	if o.flags == 0 {
		return eng.getCmd(dst, args)
	}
	s := eng.lockKey(key)
	defer s.Unlock()
	e, found, err := eng.st.Load(key, true)
	if !found {
		return resp.AppendNull(dst), err
	}
	now := eng.now()
	var when int64
	if o.flags&optExpire != 0 {
		var errReply string
		if when, errReply = o.deadline(now, "getex"); errReply != "" {
			return append(dst, errReply...), nil
		}
	}
	return resp.AppendBulk(dst, e.Val), eng.getexApply(key, e, o.flags, when, now)
}

// getexApply changes the TTL of key, whose Entry is e, as GETEX's options
// ask: an absolute deadline already passed deletes it.
func (eng *Engine) getexApply(key []byte, e Entry, flags int, when, now int64) error {
	switch {
	case flags&(optEXAT|optPXAT) != 0 && when <= now:
		return eng.st.Delete(key)
	case flags&optExpire != 0:
		return eng.retime(key, e, when, 0)
	case flags&optPersist != 0 && e.Exp != 0:
		return eng.retime(key, e, 0, 0)
	}
	return nil
}
