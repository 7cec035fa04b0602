// Package idgen is fae's ID servant: it issues unique, time-ordered 64-bit
// IDs in the manner of Twitter's Snowflake, and serves them through the
// Redis protocol (Gen.Do), the memcache protocol (Gen.DoMemcache) and HTTP
// (Gen.JSON).
//
// # Layout
//
// An ID is, from the most significant bit down:
//
//	+---+-------------------------------+------------+--------------+
//	| 0 | milliseconds since Epoch (41) | worker(10) | sequence(12) |
//	+---+-------------------------------+------------+--------------+
//	 63   62                          22  21      12   11          0
//
// The sign bit is always 0, so an ID is a positive int64 (a Redis integer
// reply, a Java long). 41 bits of milliseconds last about 69.7 years from
// Config.Epoch (2026-01-01T00:00:00Z by default). The worker field tells
// apart up to 1024 generators that run at the same time; each must have its
// own Config.Worker. The sequence numbers the IDs of one worker within one
// millisecond: 4096 per millisecond, about 4 million per second. Decode
// splits an ID back into its fields.
//
// # Data flow
//
// Gen.Next reads the clock and forms the ID from it, the worker and a
// sequence number; the Gen remembers the timestamp and sequence of the last
// ID it issued, so that every ID is greater than the one before:
//
//   - The clock is past the last ID's millisecond: the new ID takes the
//     clock's millisecond and sequence 0.
//   - The clock is in that millisecond, or behind it: the new ID takes the
//     same millisecond and the next sequence number.
//   - That sequence is exhausted (4096 IDs in one millisecond) and the clock
//     reads that millisecond: Next waits for the clock to tick, yielding the
//     processor between readings. The wait is bounded by 2 ms of real time;
//     a clock that has not ticked by then is treated as behind.
//
// # Clock skew
//
// When the clock goes backwards (an NTP step, a VM migration) the Gen keeps
// a logical clock: it issues IDs with the last ID's millisecond, and when
// that millisecond's sequence is exhausted it borrows the next millisecond
// without waiting. The IDs stay unique and increasing; their timestamps run
// ahead of the clock until it catches up. This goes on while the clock is at
// most MaxClockBackward (5 s) behind the timestamp the next ID needs. When
// it is further behind, Next fails with an error wrapping ErrClockBackwards
// and issues nothing; the Gen recovers by itself once the clock has caught
// up to within 5 s, which after a jump back of d takes d-5s. When borrowing
// reaches the 5 s limit (more than 4096 IDs per millisecond requested for
// seconds on end) Next waits for the clock to tick instead, as in the
// normal case. A clock before Epoch, or beyond the 41 bits, gives
// ErrTimeRange.
//
// Uniqueness across restarts rests on the clock too: a Gen keeps no state on
// disk, so a process restarted while its clock is behind the IDs its
// predecessor issued may repeat them. Restart a worker no faster than its
// clock could have been set back, or give the new process another worker.
//
// # Protocols
//
// Gen.Do answers INCR key (":ID", so that phpredis's $redis->incr('id')
// works), GET key (the ID as a bulk string), IDGEN [COUNT n], IDGEN DECODE
// id and PING; the key is a namespace and ignored. Gen.DoMemcache answers
// get and gets (a VALUE per key, each a new ID) and incr. Gen.JSON gives an
// HTTP handler its body, {"ids":["..."]}, with IDs as strings because
// JavaScript numbers are exact only to 2^53. The proxy parses requests and
// writes replies; the handlers only append reply bytes to a buffer.
//
// # Goroutines and locks
//
// idgen starts no goroutine. A Gen has one mutex, which guards the last
// timestamp and sequence. Next takes it for one ID, NextN, IDGEN COUNT and
// JSON for the whole batch. The clock (Config.Now) is read with the mutex
// held, which keeps a reading from going stale before it is used, and the
// wait for a tick happens with it held, which makes other callers wait for
// the same tick. No other lock exists, so no lock order.
package idgen
