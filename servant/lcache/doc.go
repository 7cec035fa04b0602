// Package lcache is fae's in-process cache servant: a memory-bounded store of
// strings with per-key TTLs that executes Redis string commands and memcache
// commands on the same entries, and answers with the exact reply bytes that
// redis-server 7.0 and memcached 1.6.18 send.
//
// # Data flow
//
// Cache.Do receives one command as argument byte slices (args[0] the name in
// any case), looks the name up in a fixed table that gives its arity and
// handler, checks the arity, runs the handler and appends the RESP2 reply to
// the caller's buffer. The command layer is package kvcmd's Engine, which
// kvdb shares: handlers parse their options exactly as redis 7.0 does, read
// and write entries through the Engine's Store, here an otter cache
// (cache.go, store.go), and encode replies with package resp. Do retains nothing of args: keys and
// values are copied when stored.
//
// Cache.DoMemcache receives one memcache request already parsed (MC: the
// classic commands get, gets, gat, gats, set, add, replace, append, prepend,
// cas, delete, incr, decr, touch and flush_all, and the meta commands mg, ms,
// md, ma and mn, whose flags it reads itself) and appends memcached's reply,
// nothing for noreply (kvcmd's memcache.go, memcache_meta.go). It too copies what it
// stores.
//
// An entry holds the value bytes, the deadline in unix milliseconds (0 for
// none), the memcache client flags and the memcache cas unique. Every change
// of a value, by either protocol, takes a fresh cas unique from one counter,
// as memcached does; a change of the TTL alone (EXPIRE, PERSIST, GETEX,
// touch, gat, mg T) keeps it. A redis SET or MSET stores flags 0; the other
// redis writes (APPEND, SETRANGE, INCR...) keep them, as memcache append and
// incr do. A memcache exptime becomes a deadline that redis TTL reports, and
// a deadline set by redis is the memcache item's expiry.
//
// Stored value bytes are never modified: writers store a new entry, except
// that APPEND (and memcache append) may extend a value in place past its
// length, where no stored entry reaches. So a reader may use an entry it got
// without a lock.
//
// Otter bounds memory: each entry weighs its key and value capacity plus
// EntryOverhead, and otter evicts by W-TinyLFU when the total passes
// Config.MaxMemory. A write whose single entry could never fit is refused
// with redis's -OOM error instead of allocating it. Otter also expires
// entries: an expiry calculator gives each entry the lifetime that ends at
// the first nanosecond lcache itself considers it expired. Reads do not rely
// on that: every lookup compares the deadline with the clock, so an expired
// key is never visible, even before otter reclaims it.
//
// INCRBYFLOAT reproduces the x87 80-bit long double arithmetic, glibc's
// strtold and the "%.17Lf" formatting that redis uses on x86-64 (kvcmd's
// float.go).
//
// memcache's flush_all removes every entry under all stripes. With a delay
// it is only recorded, and the first command of either protocol that starts
// after its time applies it before running (kvcmd's flush.go). Like memcached's
// one-second clock, a flush then discards the writes of one more second. The
// key stripes and the pending flush live in the kvcmd.Engine.
//
// # Goroutines
//
// lcache starts no goroutine of its own. Otter runs its maintenance (applying
// buffered reads and writes to its policies, evicting) on short-lived
// goroutines it starts when needed, and one periodic clean-up goroutine that
// removes expired entries; Close stops the latter.
//
// # Locks
//
// A single-key read (GET, STRLEN, GETRANGE, TTL, PTTL, TYPE, EXISTS of one
// key, GETEX without options) takes no lock. Every other command takes the
// locks of the key stripes (256 mutexes chosen by a seeded hash of the key)
// of all the keys it touches, for its whole duration, so that it is atomic
// with respect to any other command: INCR, APPEND, SETRANGE, SET NX, GETDEL,
// MSETNX, MGET (which never sees half of an MSET) and so on. On the memcache
// side get, gets and mg without T take no lock; a multi-key get looks its
// keys up one by one, as memcached does; every other command takes the
// stripe of its key; flush_all takes all stripes.
//
// Lock order: stripes are always taken in ascending index order, each at most
// once per command (FLUSHDB and flush_all take all of them, and so does the
// first command after a delayed flush_all's time, before it takes any
// other), and otter's internal locks are taken only inside otter calls made
// while holding stripes. Otter never calls back into lcache code that takes
// a stripe: its weigher and expiry calculator are pure functions. Hence no
// cycle, no deadlock.
//
// # Differences from redis
//
// lcache holds only strings, so TYPE answers "string" or "none" and no
// WRONGTYPE error exists. Commands outside the string family are refused with
// "-ERR lcache does not support 'name'". DBSIZE counts the entries otter holds,
// which, as in redis, may include keys whose TTL passed less than about a
// second ago. A value is also bounded by MaxMemory (the -OOM error), not only
// by redis's 512 MB proto-max-bulk-len.
//
// # Differences from memcached
//
// Where memcached 1.6.18's answer depends on timing, memory contents or a
// bug, lcache gives the answer memcached gives in the plain case:
//
//   - incr and decr rewrite a value in place, padded with spaces, when the
//     result is no longer; memcached does so only when nothing else holds
//     the item (its LRU maintainer may, just after a hit) and else stores
//     the bare digits.
//   - incr and decr of a value of 2^63 or more refuse a "-n" form: memcached
//     searches the '-' on past the value, into unrelated memory, and it
//     reads on past a value of white space only, which lcache refuses.
//   - append and prepend of a data block that is chunked (over 512 KiB with
//     its item header) onto an item whose result is not corrupt the value in
//     memcached; lcache joins them. ma T applies to the item even when the
//     number grows, where memcached changes a discarded copy.
//   - Expiry counts milliseconds: exptime n lasts n seconds, where
//     memcached's whole-second clock gives n-1 to n. flush_all n empties the
//     cache n-1 seconds later and discards writes for one more second, where
//     memcached does so on its clock ticks. A flush_all at an absolute time
//     before New is a no-op, as one before memcached started; a later flush
//     never revives items an earlier one removed.
//   - The meta flags of the stale-while-revalidate scheme (mg N, R, h, l;
//     ms and md I) and the command me are not supported, nor are stats,
//     version, verbosity and the like; the items hold no "binary key" mark,
//     so k echoes a key in base64 only when the request has b.
//   - Memory: items are bounded by MemcacheMaxItem (memcached's default -I
//     1m) and MaxMemory (then "SERVER_ERROR out of memory storing object");
//     otter evicts by W-TinyLFU, not by memcached's segmented LRU.
package lcache
