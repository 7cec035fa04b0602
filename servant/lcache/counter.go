package lcache

import (
	"math"
	"strconv"

	"github.com/fae-dev/fae/resp"
)

// incrCmd is INCR key.
func (c *Cache) incrCmd(dst []byte, args [][]byte) []byte {
	return c.incrBy(dst, args[1], 1)
}

// decrCmd is DECR key.
func (c *Cache) decrCmd(dst []byte, args [][]byte) []byte {
	return c.incrBy(dst, args[1], -1)
}

// incrbyCmd is INCRBY key increment.
func (c *Cache) incrbyCmd(dst []byte, args [][]byte) []byte {
	incr, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...)
	}
	return c.incrBy(dst, args[1], incr)
}

// decrbyCmd is DECRBY key decrement.
func (c *Cache) decrbyCmd(dst []byte, args [][]byte) []byte {
	decr, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...)
	}
	if decr == math.MinInt64 {
		return append(dst, errDecrement...)
	}
	return c.incrBy(dst, args[1], -decr)
}

// incrBy adds incr to the integer at key (0 if absent), keeping its TTL, as
// redis's incrDecrCommand.
func (c *Cache) incrBy(dst []byte, key []byte, incr int64) []byte {
	s := c.lockKey(key)
	defer s.Unlock()
	old, found := c.lookup(key)
	var v int64
	if found {
		var ok bool
		if v, ok = parseInt(old.val); !ok {
			return append(dst, errNotInteger...)
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) ||
		(incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		return append(dst, errOverflow...)
	}
	v += incr
	c.put(key, entry{val: strconv.AppendInt(nil, v, 10), exp: old.exp, flags: old.flags}, 0)
	return resp.AppendInt(dst, v)
}

// incrbyfloatCmd is INCRBYFLOAT key increment, computed in x87 long double
// precision and formatted as redis does (see float.go).
func (c *Cache) incrbyfloatCmd(dst []byte, args [][]byte) []byte {
	key := args[1]
	s := c.lockKey(key)
	defer s.Unlock()
	old, found := c.lookup(key)
	value := zeroLongDouble()
	if found {
		var ok bool
		if value, ok = parseLongDouble(old.val); !ok {
			return append(dst, errNotFloat...)
		}
	}
	incr, ok := parseLongDouble(args[2])
	if !ok {
		return append(dst, errNotFloat...)
	}
	sum, ok := addLongDouble(value, incr)
	if !ok {
		return append(dst, errNaN...)
	}
	val := formatLongDouble(sum)
	c.put(key, entry{val: val, exp: old.exp, flags: old.flags}, 0)
	return resp.AppendBulk(dst, val)
}
