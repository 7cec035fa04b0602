// Package mysqlstore is a key-value view of sharded MySQL (or MariaDB)
// databases, for the store tier at the bottom of faed's tier chain: Get, Set,
// Delete, MGet and MSet over rows.
//
// Mapping. A key is a row of the default table (Config.Table: key column =
// key, value column = value), unless it starts with the Prefix of one of
// Config.Templates, whose own statements then serve it with the key minus the
// prefix as the id parameter ("user:42" -> SELECT profile FROM users WHERE id
// = ? with 42). The first matching template wins; a key with no template and
// no Table fails with ErrNoMapping. Every statement is prepared and takes keys
// and values as parameters: nothing from a request is ever written into SQL
// text, and the table and column names from the Config must be identifiers.
//
// Sharding. Route(key) gives a database index and a server index. The default
// route hashes the whole key with fnv1a_64 (twemproxy's, as faed's pools):
//
//	h      = fnv1a_64(key)                 // 32-bit
//	server = h % len(Servers)
//	db     = (h / len(Servers)) % Databases
//
// Keep len(Servers) and Databases powers of two with fnv1a_64 (see
// Config.Hash), or choose another Hash or a Route.
//
// Database index i is the database named Config.Database when Databases is 0
// or 1, and Database + "_" + i otherwise: "fae" with Databases 4 is fae_0 ..
// fae_3, on every server. The schema (databases and tables) is the operator's:
// this package runs no DDL.
//
// Data flow. Each operation gets one deadline (Config.Timeout) for all its
// queries. Writes go to the shard's primary. Reads go to the primary, or under
// ReadPolicy "replica" to the shard's replicas in turn (round robin), retried
// once on the primary when the replica is unreachable (not when it is slow: the
// deadline is shared). MGet and MSet group table keys by (server, database)
// and send one statement per group and per 256 distinct keys (SELECT k, v ...
// WHERE k IN (...) / a multi-row INSERT ... ON DUPLICATE KEY UPDATE); the
// statement for n keys is the prepared one for the next size in 1, 4, 16, 64,
// 256, padded with the last key, so few statements are prepared. Template keys
// take one statement each. Groups and template keys run concurrently; the
// results are merged back in key order.
//
// Connections. One database/sql pool per (server DSN, database) plays the
// client stack's connection-pool role: Config.MaxIdle connections stay open
// (the low watermark), up to Config.MaxOpen are opened under load (the high
// watermark; further queries wait), and connections idle for Config.IdleTTL
// are closed. A pool opens connections on demand, so Open does not need the
// servers up, and a broken connection is dropped and replaced by a new one on
// the next query. Statements are prepared once per pool (database/sql prepares
// them again on each new connection as needed).
//
// Errors. A failed query is an *Error naming the operation, the server
// (host:port, never the DSN's password) and the database; it wraps ErrTimeout
// (deadline reached: the driver closes the connection, so a stalled server
// costs no more than the deadline) or ErrUnavailable (connection refused,
// reset or lost, server shutting down or full) when it applies, and always
// the driver's error.
//
// Goroutines: MGet and MSet start at most Config.Parallel goroutines and wait
// for them before returning; the driver runs one watcher goroutine per open
// connection, stopped when the pool closes it. Close closes every pool.
//
// Locks: each pool's statement cache has a mutex for its map and one per
// statement, held while preparing it; none is held while a query runs.
// Counters are atomics.
package mysqlstore
