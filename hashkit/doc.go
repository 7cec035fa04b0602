// Package hashkit reproduces twemproxy 0.5's key placement: its twelve key hash
// functions, its hash_tag rule and its three distributions (ketama, modula,
// random), so that a key sent through fae lands on the same server as it did
// through nutcracker.
//
// Data flow for one key, as twemproxy's server_pool_idx does it:
//
//	key --Tag(key, "{}")--> hashed part --Func--> uint32 --Distribution.Pick--> node index
//
// Locate strings these steps together, including the rule that an empty hashed
// part gets hash 0 without calling the hash function.
// Explain reports, for tools such as `fae locate`, which ketama point or
// modula slot decided a Pick.
//
// A Distribution is built once from the live servers of a pool, in config order,
// with NewDistribution, and is immutable afterwards: a change of membership
// (ejection, reload) builds a new one. The package starts no goroutines, holds
// no locks and keeps no mutable package-level state; every function and every
// Distribution is safe for concurrent use. Func values and Pick do not allocate.
//
// Compatibility notes, each checked against the nutcracker 0.5.0 binary (the
// vectors in testdata, and TestNutcrackerLive against a running nutcracker):
//
//   - fnv1_32, fnv1a_32, fnv1_64, fnv1a_64, one_at_a_time, and the third byte
//     of a trailing 3-byte block in hsieh, read key bytes as C's signed char on
//     x86-64: a byte >= 0x80 enters the hash as uint32(int32(int8(b))).
//   - fnv1a_64 is a 32-bit computation (offset 0x84222325, prime 0x1b3); fnv1_64
//     is computed in 64 bits and truncated, which gives the same low 32 bits.
//   - crc32 is libmemcached's variant, (crc32 >> 16) & 0x7fff; crc32a is the
//     plain IEEE CRC-32. crc16 is not the CRC-16/ARC of current twemproxy
//     sources: the 0.5.0 binary runs a CRC-16/XMODEM table loop in a 32-bit
//     register never masked to 16 bits (see crc.go).
//   - md5 is the first four digest bytes read little-endian.
//   - twemproxy sorts each pool's servers by ring name (shorter first, then
//     bytewise) when it validates the config. Modula's slot table follows that
//     order, not config order, and so does the winner of tied ketama points
//     (the ring is sorted stably by value: glibc's qsort is a merge sort).
//     Distributions still report indices in the caller's order.
//   - twemproxy hashes "<ringname>-<i>" in an 86-byte buffer; ring names long
//     enough to overflow it make twemproxy read past the buffer, which cannot be
//     reproduced. fae hashes the whole string.
package hashkit
