package kvdb

// memcache's flush_all invalidates every item, at once or after a delay, and
// memcached counts that delay on its one-second clock: "flush_all n" with n
// in 1..30 days makes every item stored before n seconds from now invisible
// from n-1 seconds from now on. So an item stored during that last second is
// invisible as soon as it is stored.
//
// kvdb applies a flush as lcache does, eagerly: the first command that
// starts at or after the flush time (DB.flushAt) takes every stripe and
// deletes every key, then discards the writes of the following second
// (DB.flushUntil). No goroutine waits for the deadline. A pending delayed
// flush lives in memory only: Close forgets it.

// mcRelativeMax is memcached's REALTIME_MAXDELTA: an exptime above 30 days is
// an absolute unix time.
const mcRelativeMax = 60 * 60 * 24 * 30

// settleFlush applies a delayed flush_all whose time has come. Callers hold
// no stripe.
func (db *DB) settleFlush() error {
	at := db.flushAt.Load()
	if at == 0 || db.now() < at {
		return nil
	}
	defer db.unlockSet(db.lockAll())
	if db.flushAt.CompareAndSwap(at, 0) {
		db.flushUntil.Store(at + 1000)
		return db.clear()
	}
	return nil
}

// discarding reports whether a flush_all that just took effect discards
// writes now.
func (db *DB) discarding() bool {
	until := db.flushUntil.Load()
	if until == 0 {
		return false
	}
	if db.now() < until {
		return true
	}
	db.flushUntil.CompareAndSwap(until, 0)
	return false
}

// flushAll is memcache's flush_all with the given delay, at unix ms now. It
// replaces any flush still pending, as memcached does.
func (db *DB) flushAll(delay, now int64) error {
	defer db.unlockSet(db.lockAll())
	db.flushAt.Store(0)
	db.flushUntil.Store(0)
	if delay <= 0 {
		return db.clear()
	}
	// end is the time, in unix ms, before which every item stored is
	// flushed: memcached's oldest_live plus one second.
	var end int64
	switch {
	case delay <= mcRelativeMax:
		end = now + delay*1000
	case delay < db.started:
		// memcached clamps a time before its start to its start, which
		// makes oldest_live 0: no flush at all.
		return nil
	default:
		end = min(delay, maxUnixSeconds) * 1000
	}
	if at := end - 1000; at > now {
		db.flushAt.Store(at)
		return nil
	}
	if end > now {
		db.flushUntil.Store(end)
	}
	return db.clear()
}
