// Package kvdb is fae's persistent key-value servant: the commands of
// package lcache, with the same replies byte for byte, on a store that
// pebble (github.com/cockroachdb/pebble/v2) keeps in a directory, so that
// the data survives restarts. A DB serves as a tier or as a pool's servant
// wherever an lcache.Cache does: it has the same Do, DoMemcache (taking
// lcache.MC) and Close.
//
// # Data flow
//
// DB.Do receives one Redis string command as argument byte slices, finds it
// in a table of the same commands, arities and option rules as lcache's,
// runs its handler and appends the RESP2 reply. DB.DoMemcache does the same
// for one memcache request (classic and meta commands). Handlers read a
// key's record from pebble, decide as lcache does, and write or delete the
// record; they return a storage error, if any, which Do turns into
// "-ERR kvdb: ..." and DoMemcache into "SERVER_ERROR kvdb: ...", in place
// of whatever the handler had appended. Neither keeps a reference to its
// arguments: pebble copies what it stores.
//
// # Storage format
//
// A key k is stored under the pebble key "k"+k. Its record is a 20-byte
// header, then the value bytes: the deadline in unix milliseconds as a
// big-endian int64 (0 for none; the key exists while now <= deadline), the
// memcache cas unique (big-endian uint64) and the memcache client flags
// (big-endian uint32). Two meta keys sit apart from the user keys:
// "mformat" holds the format version, written when the store is created
// and checked by Open, and "mcas" a bound on every cas unique given out
// (see Cas uniques). FLUSHDB and flush_all delete the whole "k" range with
// one range deletion.
//
// # Expiry
//
// Every read compares the deadline with the clock, so an expired key is
// never visible. Its record is deleted lazily: by the first command that
// finds it (under the key's stripe, after a second look if the command had
// none), or by the sweeper, which walks the whole store every
// Config.SweepInterval (one minute by default; DB.Sweep runs one pass on
// demand) in chunks of 512 records and deletes the expired ones the same
// way. An expired record that neither has reached takes disk space but is
// never seen; after a restart it is as expired as before.
//
// # Cas uniques
//
// As in lcache, every change of a value takes a fresh cas unique from one
// counter, starting at 1 in a new store, so that a new DB and a new Cache
// fed the same commands give the same uniques. Before a unique beyond the
// bound in "mcas" is written, the bound is raised by 2^20 in its own write,
// which the write-ahead log orders before the record's; Open resumes the
// counter from the bound. So a unique is never given out twice, even across
// a crash, at the cost of a gap of up to 2^20 after each restart.
//
// # Durability
//
// Every write goes to pebble's write-ahead log before the command replies.
// With Config.Sync false (the default) the log is written to the operating
// system but not fsynced: a crash of the process loses nothing that was
// acknowledged, a crash of the machine (or of the kernel, or a power loss)
// may lose the writes of the last moments, but leaves a consistent store
// (a prefix of the writes). With Sync true each write waits for its fsync,
// which pebble shares among concurrent writers. MSET, MSETNX and a DEL of
// several keys are one pebble batch each, so they survive a crash whole or
// not at all. A delayed memcache flush_all is held in memory only: one
// still pending at Close is forgotten.
//
// # Goroutines
//
// kvdb starts one goroutine, the sweeper (none when Config.SweepInterval
// is negative); Close stops it and waits for it. Open also creates pebble's
// disk health checker (vfs.WithDiskHealthChecks), which logs writes slower
// than 5 s and runs a ticker goroutine; kvdb owns it and stops it after
// closing pebble (and when Open fails, which pebble alone would not).
// Pebble runs its own flushes and compactions on goroutines that its
// Close, called by kvdb's, stops.
//
// # Locks
//
// A command holds DB.life shared for its whole run; Close takes it
// exclusively, after stopping the sweeper, so pebble is never closed under
// a command (pebble forbids that). Key stripes serialise commands as in
// lcache: a single-key read (GET, STRLEN, GETRANGE, TTL, PTTL, TYPE, EXISTS
// and MGET of one key, GETEX without options, get, gets, mg without T)
// takes no stripe; every other command takes the stripes (256 mutexes
// chosen by a seeded hash of the key) of all the keys it touches for its
// whole run, so a read-modify-write (INCR, APPEND, SET NX, GETSET-style SET
// GET, cas, incr, ma...) is atomic. A lock-free read that finds an expired
// record takes the key's stripe only to delete it, holding nothing else.
// The cas bound's mutex is taken under stripes, and pebble's locks only
// inside pebble calls.
//
// Lock order: DB.life, then stripes in ascending index order (each at most
// once; FLUSHDB, flush_all and the application of a delayed flush_all take
// all of them), then the cas bound's mutex, then pebble's own locks. Pebble
// never calls back into kvdb. Hence no cycle, no deadlock.
//
// # Differences from lcache
//
// The replies are lcache's except where the store differs:
//
//   - Nothing is evicted and no write is refused for memory: kvdb never
//     answers -OOM or "SERVER_ERROR out of memory storing object". Data is
//     bounded by the disk; Config.MaxMemory sizes pebble's block cache.
//     memcache's item limit (lcache.MemcacheMaxItem) still applies.
//   - DBSIZE counts the keys that have not expired by scanning the whole
//     store: exact, but it takes time in proportion to the data.
//   - The errors that name the servant say kvdb: "-ERR kvdb is closed",
//     "-ERR kvdb does not support 'name'", "SERVER_ERROR kvdb is closed",
//     "CLIENT_ERROR kvdb does not support meta flag X"; and a storage
//     failure, which lcache cannot have, is answered "-ERR kvdb: ..." or
//     "SERVER_ERROR kvdb: ...".
//   - A memcache flush_all at an absolute time before Open is a no-op, as
//     lcache's before New: the process start is Open's.
//
// Everything lcache's documentation says of its differences from
// redis-server 7.0 and memcached 1.6.18 holds for kvdb too.
package kvdb
