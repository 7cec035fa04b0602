// Package lcache is fae's in-process cache servant: a memory-bounded store of
// Redis strings with per-key TTLs that executes Redis string commands and
// answers with the exact reply bytes redis-server 7.0 sends.
//
// # Data flow
//
// Cache.Do receives one command as argument byte slices (args[0] the name in
// any case), looks the name up in a fixed table that gives its arity and
// handler, checks the arity, runs the handler and appends the RESP2 reply to
// the caller's buffer. Handlers parse their options exactly as redis 7.0 does
// (options.go), read and write entries in an otter cache (cache.go), and
// encode replies with package resp. Do retains nothing of args: keys and
// values are copied when stored.
//
// An entry holds the value bytes and the deadline in unix milliseconds (0 for
// none). Stored value bytes are never modified: writers store a new entry,
// except that APPEND may extend a value in place past its length, where no
// stored entry reaches. So a reader may use an entry it got without a lock.
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
// strtold and the "%.17Lf" formatting that redis uses on x86-64 (float.go).
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
// MSETNX, MGET (which never sees half of an MSET) and so on.
//
// Lock order: stripes are always taken in ascending index order, each at most
// once per command (FLUSHDB takes all of them), and otter's internal locks
// are taken only inside otter calls made while holding stripes. Otter never
// calls back into lcache code that takes a stripe: its weigher and expiry
// calculator are pure functions. Hence no cycle, no deadlock.
//
// # Differences from redis
//
// lcache holds only strings, so TYPE answers "string" or "none" and no
// WRONGTYPE error exists. Commands outside the string family are refused with
// "-ERR lcache does not support 'name'". DBSIZE counts the entries otter holds,
// which, as in redis, may include keys whose TTL passed less than about a
// second ago. A value is also bounded by MaxMemory (the -OOM error), not only
// by redis's 512 MB proto-max-bulk-len.
package lcache
