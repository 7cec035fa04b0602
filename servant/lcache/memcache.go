package lcache

import (
	"github.com/fae-dev/fae/servant/kvcmd"
)

// MC is one memcache request, already parsed (by package memcache or any
// other parser): kvcmd's type, which package kvdb shares. Keys, Value and
// Meta alias the caller's buffer: DoMemcache copies what it keeps. The zero
// value names no command and is answered "ERROR". DoMemcache only reads an
// MC: the caller may reuse it as soon as DoMemcache returns.
type MC = kvcmd.MC

// Limits that memcached 1.6 applies with its default settings.
const (
	// MemcacheMaxKey is memcached's KEY_MAX_LENGTH: a longer key gets
	// "CLIENT_ERROR bad command line format".
	MemcacheMaxKey = kvcmd.MaxKey
	// MemcacheMaxItem is memcached's default item size limit (-I 1m). An
	// item weighs its key, its value and a header of 59 bytes, plus 4 when
	// its flags are not zero; a heavier one gets "SERVER_ERROR object too
	// large for cache".
	MemcacheMaxItem = kvcmd.MaxItem
)

// DoMemcache executes one memcache request and appends memcached 1.6's
// exact reply to dst: nothing when r.NoReply is set on a classic command.
// A get-style command with several keys appends the VALUE blocks of the
// hits, in key order, then one END. Entries are shared with Do: a value set
// here is seen by the redis GET, a TTL by redis TTL, and the reverse.
// DoMemcache keeps no reference to r or its bytes. It is safe for concurrent
// use.
func (c *Cache) DoMemcache(dst []byte, r *MC) []byte {
	return c.eng.DoMemcache(dst, r)
}
