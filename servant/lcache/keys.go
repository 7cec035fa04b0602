package lcache

import (
	"github.com/fae-dev/fae/resp"
)

// delCmd is DEL key [key ...]: the number of keys removed; a key named twice
// counts once.
func (c *Cache) delCmd(dst []byte, args [][]byte) []byte {
	keys := args[1:]
	defer c.unlockSet(c.lockKeys(keys, 1))
	var n int64
	for _, key := range keys {
		if c.remove(key) {
			n++
		}
	}
	return resp.AppendInt(dst, n)
}

// existsCmd is EXISTS key [key ...]: a key named twice counts twice. With
// several keys it holds their stripes, to count one consistent state.
func (c *Cache) existsCmd(dst []byte, args [][]byte) []byte {
	keys := args[1:]
	if len(keys) > 1 {
		defer c.unlockSet(c.lockKeys(keys, 1))
	}
	var n int64
	for _, key := range keys {
		if _, ok := c.lookup(key); ok {
			n++
		}
	}
	return resp.AppendInt(dst, n)
}

// typeCmd is TYPE key: lcache holds only strings.
func (c *Cache) typeCmd(dst []byte, args [][]byte) []byte {
	if _, ok := c.lookup(args[1]); ok {
		return resp.AppendSimple(dst, "string")
	}
	return resp.AppendSimple(dst, "none")
}

// dbsizeCmd is DBSIZE: the number of entries held. As in redis, a key whose
// TTL has just passed may count until it is reclaimed (within about a second).
func (c *Cache) dbsizeCmd(dst []byte, _ [][]byte) []byte {
	return resp.AppendInt(dst, int64(c.store.EstimatedSize()))
}

// flushdbCmd is FLUSHDB [ASYNC|SYNC]; both modes remove everything before
// replying. It holds every stripe, so no write interleaves.
func (c *Cache) flushdbCmd(dst []byte, args [][]byte) []byte {
	if len(args) > 2 || (len(args) == 2 && !is(args[1], "sync") && !is(args[1], "async")) {
		return append(dst, errSyntax...)
	}
	defer c.unlockSet(c.lockAll())
	c.store.InvalidateAll()
	return append(dst, replyOK...)
}

// pingCmd is PING [message].
func (c *Cache) pingCmd(dst []byte, args [][]byte) []byte {
	switch len(args) {
	case 1:
		return resp.AppendSimple(dst, "PONG")
	case 2:
		return resp.AppendBulk(dst, args[1])
	}
	return resp.AppendError(dst, "ERR wrong number of arguments for 'ping' command")
}

// echoCmd is ECHO message.
func (c *Cache) echoCmd(dst []byte, args [][]byte) []byte {
	return resp.AppendBulk(dst, args[1])
}
