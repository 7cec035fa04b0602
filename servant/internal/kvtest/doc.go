// Package kvtest holds the test helpers that the servants built on package
// kvcmd (lcache and kvdb) share: the seeded random streams of Redis string
// commands (Gen) and memcache requests (MCGen) that their differential
// tests send to a real redis-server or memcached and to each other, and the
// bookkeeping of the cas uniques each side shows (MCSide). It is used by
// tests only and keeps no package-level mutable state.
package kvtest
