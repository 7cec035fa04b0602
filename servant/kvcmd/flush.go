package kvcmd

// memcache's flush_all invalidates every item, at once or after a delay, and
// memcached counts that delay on its one-second clock: "flush_all n" with n
// in 1..30 days makes every item stored before n seconds from now invisible
// from n-1 seconds from now on. So an item stored during that last second is
// invisible as soon as it is stored (verified against memcached 1.6.18).
//
// The engine applies a flush eagerly: the first command that starts at or
// after the flush time (Engine.flushAt) takes every stripe and removes
// every entry, then discards the writes of the following second
// (Engine.flushUntil). No goroutine waits for the deadline. A pending
// delayed flush lives in memory only.

// RelativeMax is memcached's REALTIME_MAXDELTA: an exptime above 30 days is
// an absolute unix time.
const RelativeMax = 60 * 60 * 24 * 30

// settleFlush applies a delayed flush_all whose time has come. Callers hold
// no stripe.
func (eng *Engine) settleFlush() error {
	at := eng.flushAt.Load()
	if at == 0 || eng.now() < at {
		return nil
	}
	defer eng.unlockSet(eng.lockAll())
	if eng.flushAt.CompareAndSwap(at, 0) {
		eng.flushUntil.Store(at + 1000)
		return eng.st.Clear()
	}
	return nil
}

// discarding reports whether a flush_all that just took effect discards
// writes now.
func (eng *Engine) discarding() bool {
	until := eng.flushUntil.Load()
	if until == 0 {
		return false
	}
	if eng.now() < until {
		return true
	}
	eng.flushUntil.CompareAndSwap(until, 0)
	return false
}

// flushAll is memcache's flush_all with the given delay, at unix ms now. It
// replaces any flush still pending, as memcached does.
func (eng *Engine) flushAll(delay, now int64) error {
	defer eng.unlockSet(eng.lockAll())
	eng.flushAt.Store(0)
	eng.flushUntil.Store(0)
	if delay <= 0 {
		return eng.st.Clear()
	}
	// end is the time, in unix ms, before which every item stored is
	// flushed: memcached's oldest_live plus one second.
	var end int64
	switch {
	case delay <= RelativeMax:
		end = now + delay*1000
	case delay < eng.started:
		// memcached clamps a time before its start to its start, which
		// makes oldest_live 0: no flush at all.
		return nil
	default:
		end = min(delay, maxUnixSeconds) * 1000
	}
	if at := end - 1000; at > now {
		eng.flushAt.Store(at)
		return nil
	}
	if end > now {
		eng.flushUntil.Store(end)
	}
	return eng.st.Clear()
}
