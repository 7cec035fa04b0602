package kvdb

import (
	"github.com/fae-dev/fae/servant/kvcmd"
)

// MC is one memcache request, already parsed: lcache's type (kvcmd.MC), so
// that one request serves either servant. DoMemcache only reads an MC and
// keeps no reference to it.
type MC = kvcmd.MC

// DoMemcache executes one memcache request and appends memcached 1.6's
// exact reply to dst, as lcache.Cache.DoMemcache does, byte for byte:
// nothing when r.NoReply is set on a classic command. A failure of the
// store is answered "SERVER_ERROR kvdb: ..." (and logged, not answered,
// under noreply). Entries are shared with Do. DoMemcache keeps no reference
// to r or its bytes. It is safe for concurrent use.
func (db *DB) DoMemcache(dst []byte, r *MC) []byte {
	return db.eng.DoMemcache(dst, r)
}
