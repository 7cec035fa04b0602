// Package tier chains stores into one: cache tiers in front of a persistent
// store, read through and written back, as every application otherwise
// codes by hand ("read the cache, on a miss read MySQL, write the cache").
//
// Reads (Get, MGet) go to the first tier; the keys it misses go to the next,
// and so on, each tier splitting them by its own sharding. Values found
// lower are written back to the cache tiers above with each tier's TTL, in
// the background (owned goroutines: Close waits for them). Replies keep the
// caller's key order.
//
// Concurrent misses of one key are coalesced: below the first tier, a key
// already being read by another request is waited for, not read again, so
// the store sees at most one read per missing key at a time. Keys the store
// does not have are remembered for NegativeTTL (negative caching).
//
// Writes (Set, MSet, Delete) go to the store first (the last tier that is
// not read-only), then the cache tiers are invalidated (the default) or
// updated; deletes reach every tier. See Config.WritePolicy for the
// consistency this gives under concurrent writers.
//
// Locks: the flight group and the negative cache each have one mutex, never
// held while calling a Store.
package tier
