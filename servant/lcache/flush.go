package lcache

// memcache's flush_all invalidates every item, at once or after a delay, and
// memcached counts that delay on its one-second clock: "flush_all n" with n
// in 1..30 days makes every item stored before n seconds from now invisible
// from n-1 seconds from now on. So an item stored during that last second is
// invisible as soon as it is stored (verified against memcached 1.6.18).
//
// lcache applies a flush eagerly: the first command that starts at or after
// the flush time (Cache.flushAt) takes every stripe and removes every entry,
// then discards the writes of the following second (Cache.flushUntil). No
// goroutine waits for the deadline.

// mcRelativeMax is memcached's REALTIME_MAXDELTA: an exptime above 30 days is
// an absolute unix time.
const mcRelativeMax = 60 * 60 * 24 * 30

// settleFlush applies a delayed flush_all whose time has come. Callers hold
// no stripe.
func (c *Cache) settleFlush() {
	at := c.flushAt.Load()
	if at == 0 || nowMillis() < at {
		return
	}
	defer c.unlockSet(c.lockAll())
	if c.flushAt.CompareAndSwap(at, 0) {
		c.store.InvalidateAll()
		c.flushUntil.Store(at + 1000)
	}
}

// discarding reports whether a flush_all that just took effect discards
// writes now.
func (c *Cache) discarding() bool {
	until := c.flushUntil.Load()
	if until == 0 {
		return false
	}
	if nowMillis() < until {
		return true
	}
	c.flushUntil.CompareAndSwap(until, 0)
	return false
}

// flushAll is memcache's flush_all with the given delay, at unix ms now. It
// replaces any flush still pending, as memcached does.
func (c *Cache) flushAll(delay, now int64) {
	defer c.unlockSet(c.lockAll())
	c.flushAt.Store(0)
	c.flushUntil.Store(0)
	if delay <= 0 {
		c.store.InvalidateAll()
		return
	}
	// end is the time, in unix ms, before which every item stored is
	// flushed: memcached's oldest_live plus one second.
	var end int64
	switch {
	case delay <= mcRelativeMax:
		end = now + delay*1000
	case delay < c.started:
		// memcached clamps a time before its start to its start, which
		// makes oldest_live 0: no flush at all.
		return
	default:
		end = min(delay, maxUnixSeconds) * 1000
	}
	if at := end - 1000; at > now {
		c.flushAt.Store(at)
		return
	}
	c.store.InvalidateAll()
	if end > now {
		c.flushUntil.Store(end)
	}
}
