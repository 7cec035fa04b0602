// Package kvcmd is the command layer that fae's string servants share:
// lcache (in memory, on otter) and kvdb (persistent, on pebble). An Engine
// executes Redis string commands (Do) and memcache commands, classic and
// meta (DoMemcache), with the exact reply bytes of redis-server 7.0 and
// memcached 1.6.18, on any Store: the servants differ only in their Store.
//
// # Data flow
//
// Engine.Do receives one command as argument byte slices, looks the name up
// in a fixed table that gives its arity and handler, checks the arity, runs
// the handler and appends the RESP2 reply. Handlers parse their options as
// redis 7.0 does (options.go), compute INCRBYFLOAT in x87 long double
// precision (float.go), and read and write Entry values through the Store.
// Engine.DoMemcache does the same for one parsed MC (memcache.go,
// memcache_meta.go). A Store error replaces whatever the handler appended
// with "-ERR name: ..." or "SERVER_ERROR name: ...". Every change of a
// value takes a fresh cas unique from Store.NextCas; a change of the TTL
// alone keeps it. A delayed memcache flush_all is held by the Engine and
// applied by the first command after its time (flush.go).
//
// # Goroutines
//
// kvcmd starts no goroutine.
//
// # Locks
//
// Commands hold the Store open (Store.Enter) for their whole run. A
// single-key read takes no lock; every other command takes the key stripes
// (256 mutexes chosen by a seeded hash of the key) of all the keys it
// touches, for its whole duration, in ascending index order, each at most
// once; FLUSHDB, flush_all and the application of a delayed flush_all take
// all of them. A Store takes its own locks only inside its methods, and may
// take a stripe itself (Engine.LockKey) only when its caller holds none.
package kvcmd
