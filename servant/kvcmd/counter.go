package kvcmd

import (
	"math"
	"strconv"

	"github.com/fae-dev/fae/resp"
)

// incrCmd is INCR key.
func (eng *Engine) incrCmd(dst []byte, args [][]byte) ([]byte, error) {
	return eng.incrBy(dst, args[1], 1)
}

// decrCmd is DECR key.
func (eng *Engine) decrCmd(dst []byte, args [][]byte) ([]byte, error) {
	return eng.incrBy(dst, args[1], -1)
}

// incrbyCmd is INCRBY key increment.
func (eng *Engine) incrbyCmd(dst []byte, args [][]byte) ([]byte, error) {
	incr, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...), nil
	}
	return eng.incrBy(dst, args[1], incr)
}

// decrbyCmd is DECRBY key decrement.
func (eng *Engine) decrbyCmd(dst []byte, args [][]byte) ([]byte, error) {
	decr, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...), nil
	}
	if decr == math.MinInt64 {
		return append(dst, errDecrement...), nil
	}
	return eng.incrBy(dst, args[1], -decr)
}

// incrBy adds incr to the integer at key (0 if absent), keeping its TTL, as
// redis's incrDecrCommand.
func (eng *Engine) incrBy(dst []byte, key []byte, incr int64) ([]byte, error) {
	s := eng.lockKey(key)
	defer s.Unlock()
	old, found, err := eng.st.Load(key, true)
	if err != nil {
		return dst, err
	}
	var v int64
	if found {
		var ok bool
		if v, ok = parseInt(old.Val); !ok {
			return append(dst, errNotInteger...), nil
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) ||
		(incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		return append(dst, errOverflow...), nil
	}
	v += incr
	e := Entry{Val: strconv.AppendInt(nil, v, 10), Exp: old.Exp, Flags: old.Flags}
	if _, err := eng.put(eng.st, key, e, 0); err != nil {
		return dst, err
	}
	return resp.AppendInt(dst, v), nil
}

// incrbyfloatCmd is INCRBYFLOAT key increment, computed in x87 long double
// precision and formatted as redis does (see float.go).
func (eng *Engine) incrbyfloatCmd(dst []byte, args [][]byte) ([]byte, error) {
	key := args[1]
	s := eng.lockKey(key)
	defer s.Unlock()
	old, found, err := eng.st.Load(key, true)
	if err != nil {
		return dst, err
	}
	value := zeroLongDouble()
	if found {
		var ok bool
		if value, ok = parseLongDouble(old.Val); !ok {
			return append(dst, errNotFloat...), nil
		}
	}
	incr, ok := parseLongDouble(args[2])
	if !ok {
		return append(dst, errNotFloat...), nil
	}
	sum, ok := addLongDouble(value, incr)
	if !ok {
		return append(dst, errNaN...), nil
	}
	val := formatLongDouble(sum)
	if _, err := eng.put(eng.st, key, Entry{Val: val, Exp: old.Exp, Flags: old.Flags}, 0); err != nil {
		return dst, err
	}
	return resp.AppendBulk(dst, val), nil
}
