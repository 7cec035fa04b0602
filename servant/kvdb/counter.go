package kvdb

import (
	"math"
	"strconv"

	"github.com/fae-dev/fae/resp"
)

// incrCmd is INCR key.
func (db *DB) incrCmd(dst []byte, args [][]byte) ([]byte, error) {
	return db.incrBy(dst, args[1], 1)
}

// decrCmd is DECR key.
func (db *DB) decrCmd(dst []byte, args [][]byte) ([]byte, error) {
	return db.incrBy(dst, args[1], -1)
}

// incrbyCmd is INCRBY key increment.
func (db *DB) incrbyCmd(dst []byte, args [][]byte) ([]byte, error) {
	incr, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...), nil
	}
	return db.incrBy(dst, args[1], incr)
}

// decrbyCmd is DECRBY key decrement.
func (db *DB) decrbyCmd(dst []byte, args [][]byte) ([]byte, error) {
	decr, ok := parseInt(args[2])
	if !ok {
		return append(dst, errNotInteger...), nil
	}
	if decr == math.MinInt64 {
		return append(dst, errDecrement...), nil
	}
	return db.incrBy(dst, args[1], -decr)
}

// incrBy adds incr to the integer at key (0 if absent), keeping its TTL, as
// redis's incrDecrCommand.
func (db *DB) incrBy(dst []byte, key []byte, incr int64) ([]byte, error) {
	s := db.lockKey(key)
	defer s.Unlock()
	old, found, err := db.lookup(key)
	if err != nil {
		return dst, err
	}
	var v int64
	if found {
		var ok bool
		if v, ok = parseInt(old.val); !ok {
			return append(dst, errNotInteger...), nil
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) ||
		(incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		return append(dst, errOverflow...), nil
	}
	v += incr
	var buf [20]byte
	e := entry{val: strconv.AppendInt(buf[:0], v, 10), exp: old.exp, flags: old.flags}
	if _, err := db.put(db.pdb, key, e, 0); err != nil {
		return dst, err
	}
	return resp.AppendInt(dst, v), nil
}

// incrbyfloatCmd is INCRBYFLOAT key increment, computed in x87 long double
// precision and formatted as redis does (see float.go).
func (db *DB) incrbyfloatCmd(dst []byte, args [][]byte) ([]byte, error) {
	key := args[1]
	s := db.lockKey(key)
	defer s.Unlock()
	old, found, err := db.lookup(key)
	if err != nil {
		return dst, err
	}
	value := zeroLongDouble()
	if found {
		var ok bool
		if value, ok = parseLongDouble(old.val); !ok {
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
	if _, err := db.put(db.pdb, key, entry{val: val, exp: old.exp, flags: old.flags}, 0); err != nil {
		return dst, err
	}
	return resp.AppendBulk(dst, val), nil
}
