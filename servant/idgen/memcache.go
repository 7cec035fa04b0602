package idgen

import (
	"strconv"

	"github.com/fae-dev/fae/memcache"
)

// DoMemcache executes one memcache request, already parsed into its kind,
// keys and noreply token, and appends memcached-style reply bytes to dst:
//
//	get <key>*      VALUE <key> 0 <len>\r\n<ID>\r\n ... END\r\n
//	gets <key>*     VALUE <key> 0 <len> <ID>\r\n<ID>\r\n ... END\r\n
//	incr <key> <n>  <ID>\r\n
//	mn              MN\r\n
//
// Each key of a get gets its own new ID; gat and gats are answered as get
// and gets. The cas unique of gets is the ID itself. Keys and the delta of
// incr are ignored, and incr with noreply issues nothing. A command memcached
// does not know gets "ERROR\r\n", any other "SERVER_ERROR idgen: unsupported
// command 'set' (use get, gets or incr)", and a failure of the Gen
// "SERVER_ERROR " and the error text, in place of the whole reply. As
// memcached does, a classic command with noreply gets no reply at all.
// DoMemcache keeps no reference to keys and is safe for concurrent use.
func (g *Gen) DoMemcache(dst []byte, kind memcache.Kind, keys [][]byte, noreply bool) []byte {
	switch kind {
	case memcache.KindGet, memcache.KindGat:
		return g.fetch(dst, keys, false)
	case memcache.KindGets, memcache.KindGats:
		return g.fetch(dst, keys, true)
	case memcache.KindMetaNoop:
		return append(dst, "MN\r\n"...)
	case memcache.KindUnknown:
		return memcache.AppendError(dst)
	}
	if noreply && !kind.IsMeta() {
		return dst
	}
	if kind != memcache.KindIncr {
		return memcache.AppendServerError(dst, "idgen: unsupported command '"+kind.String()+"' (use get, gets or incr)")
	}
	id, err := g.Next()
	if err != nil {
		return memcache.AppendServerError(dst, err.Error())
	}
	return memcache.AppendUint(dst, id)
}

// fetch answers get (and gets when cas is set) with a new ID per key.
func (g *Gen) fetch(dst []byte, keys [][]byte, cas bool) []byte {
	start := len(dst)
	var buf [20]byte
	for _, key := range keys {
		id, err := g.Next()
		if err != nil {
			return memcache.AppendServerError(dst[:start], err.Error())
		}
		v := strconv.AppendUint(buf[:0], id, 10)
		if cas {
			dst = memcache.AppendValueCas(dst, key, 0, id, v)
		} else {
			dst = memcache.AppendValue(dst, key, 0, v)
		}
	}
	return memcache.AppendEnd(dst)
}
