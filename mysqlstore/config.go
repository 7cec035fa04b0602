package mysqlstore

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/fae-dev/fae/hashkit"
	"github.com/go-sql-driver/mysql"
)

// Defaults filled in for zero Config fields.
const (
	// DefaultDatabase names the database (or the prefix of the numbered
	// databases) when Config.Database is empty.
	DefaultDatabase = "fae"
	// DefaultKeyColumn is the key column of the default table.
	DefaultKeyColumn = "k"
	// DefaultValueColumn is the value column of the default table.
	DefaultValueColumn = "v"
	// DefaultTimeout bounds one operation (all its queries) when
	// Config.Timeout is zero.
	DefaultTimeout = time.Second
	// DefaultMaxOpen is the high watermark of connections per pool.
	DefaultMaxOpen = 16
	// DefaultMaxIdle is the low watermark: idle connections kept per pool.
	// It equals DefaultMaxOpen: with fewer, a burst of concurrent misses
	// closes the extra connections after each query and dials (and
	// prepares) again, thousands of times a second under load; idle ones
	// are closed after IdleTTL instead.
	DefaultMaxIdle = DefaultMaxOpen
	// DefaultIdleTTL is how long a pooled connection may stay idle before
	// it is closed.
	DefaultIdleTTL = 5 * time.Minute
	// DefaultParallel bounds the concurrent per-key queries of one MGet or
	// MSet on template keys.
	DefaultParallel = 16
	// DefaultHash names the hash the default route uses, faed's default.
	DefaultHash = "fnv1a_64"
)

// Read policies accepted in Config.ReadPolicy.
const (
	// ReadPrimary sends reads to each shard's primary (the default).
	ReadPrimary = "primary"
	// ReadReplica sends reads to the shard's replicas in turn, falling back
	// to the primary when a replica cannot be reached.
	ReadReplica = "replica"
)

// Config describes a sharded MySQL (or MariaDB) store. The zero value is not
// usable: Servers and a mapping (Table or Templates) are required. A Config
// must not be changed after Open.
type Config struct {
	// Servers are the shards, in routing order. At least one.
	Servers []Shard
	// Database is the database name, or the prefix of the numbered
	// databases when Databases > 1: "fae" with Databases 4 gives fae_0,
	// fae_1, fae_2, fae_3 on every server. Empty means DefaultDatabase.
	// The DSNs must not name a database themselves.
	Database string
	// Databases is the number of databases per server; 0 and 1 both mean
	// one database named Database (no suffix).
	Databases int

	// Table is the default mapping: a key that matches no template is a row
	// of this table, KeyColumn = key, ValueColumn = value. Empty means no
	// default mapping: keys must match a template. The key column should be
	// the primary key and binary (VARBINARY), so that keys compare byte for
	// byte; the value column VARBINARY or BLOB.
	Table string
	// KeyColumn is Table's key column; empty means DefaultKeyColumn.
	KeyColumn string
	// ValueColumn is Table's value column; empty means DefaultValueColumn.
	ValueColumn string
	// Templates map key prefixes to statements, tried in order before Table;
	// the first whose Prefix starts the key wins.
	Templates []Template

	// Route picks the database index (0..Databases-1; 0 when Databases <=
	// 1) and the server (index into Servers) of a key. It must be safe for
	// concurrent use. Nil means the default route over Hash:
	// h = Hash(key); server = h % len(Servers);
	// db = (h / len(Servers)) % max(Databases, 1).
	Route func(key []byte) (db int, server int)
	// Hash is the hash of the default route; nil means fnv1a_64 as
	// twemproxy computes it (hashkit), faed's default. Unused when Route is
	// set. fnv1a_64 ends with a multiply by 435 = 3*5*29, so taken modulo a
	// server or database count with a factor 3 or 5 it spreads keys that
	// differ only in their last bytes ("user:1", "user:2", ...) over few
	// shards: keep both counts powers of two, or set Hash to another hashkit
	// function (murmur, md5).
	Hash hashkit.Func

	// ReadPolicy is ReadPrimary (the default, when empty) or ReadReplica.
	ReadPolicy string
	// Timeout bounds each operation, all its queries included, as a
	// context deadline; 0 means DefaultTimeout, negative means none (only
	// the caller's context).
	Timeout time.Duration

	// MaxOpen is the high watermark of each connection pool (one pool per
	// server DSN and database): at most this many connections, further
	// queries wait for one. 0 means DefaultMaxOpen; negative means no
	// limit.
	MaxOpen int
	// MaxIdle is the low watermark: idle connections kept open per pool for
	// the next queries. 0 means DefaultMaxIdle; negative keeps none.
	MaxIdle int
	// IdleTTL closes connections idle for this long; 0 means DefaultIdleTTL,
	// negative means never.
	IdleTTL time.Duration
	// Parallel bounds the concurrent per-key queries of one MGet or MSet
	// over template keys; 0 means DefaultParallel.
	Parallel int

	// Log receives the driver's messages (such as a bad idle connection
	// it dropped); nil discards them.
	Log *slog.Logger
}

// Shard is one server: a primary that takes writes and reads, and optional
// read replicas. DSNs use go-sql-driver/mysql's format without a database
// name, e.g. "fae:secret@tcp(10.0.0.5:3306)/?charset=utf8mb4".
type Shard struct {
	// Primary is the DSN of the shard's primary. Required.
	Primary string
	// Replicas are DSNs of read replicas; used only with ReadReplica.
	Replicas []string
}

// Template maps the keys starting with Prefix to SQL statements. The rest of
// the key (the key minus Prefix, "42" in "user:42") is the statement's first
// parameter; Set's second parameter is the value. Statements are prepared
// once per connection pool and reused; keys and values are never spliced
// into SQL text.
type Template struct {
	// Prefix selects the keys; "" matches every key (a catch-all, so it
	// must come last).
	Prefix string
	// Get reads a value with one parameter, the id; the first column of the
	// first row is the value (a NULL is an empty value) and no row means not
	// found. Required.
	// Example: "SELECT profile FROM users WHERE id = ?".
	Get string
	// Set writes a value with two parameters, id and value; empty makes the
	// template read-only (Set fails with ErrNoMapping). Example:
	// "INSERT INTO users (id, profile) VALUES (?, ?) ON DUPLICATE KEY UPDATE profile = VALUES(profile)".
	Set string
	// Delete removes the id's row with one parameter; the key was found when
	// it affected a row. Empty makes Delete fail with ErrNoMapping.
	// Example: "DELETE FROM users WHERE id = ?".
	Delete string
}

// identifier is what Database, Table and the column names must match: they
// are written into SQL text, so nothing else is allowed.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// withDefaults returns a copy of c with every zero field given its default.
func (c Config) withDefaults() Config {
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.Databases < 1 {
		c.Databases = 1
	}
	if c.Table != "" && c.KeyColumn == "" {
		c.KeyColumn = DefaultKeyColumn
	}
	if c.Table != "" && c.ValueColumn == "" {
		c.ValueColumn = DefaultValueColumn
	}
	if c.ReadPolicy == "" {
		c.ReadPolicy = ReadPrimary
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxOpen == 0 {
		c.MaxOpen = DefaultMaxOpen
	}
	if c.MaxIdle == 0 {
		c.MaxIdle = DefaultMaxIdle
	}
	if c.IdleTTL == 0 {
		c.IdleTTL = DefaultIdleTTL
	}
	if c.Parallel <= 0 {
		c.Parallel = DefaultParallel
	}
	if c.Hash == nil {
		c.Hash, _ = hashkit.Lookup(DefaultHash)
	}
	return c
}

// Validate reports the first problem of c (with defaults applied) as an
// error wrapping ErrConfig that names the field. It does not contact any
// server.
func (c Config) Validate() error {
	d := c.withDefaults()
	return d.validate()
}

func (c *Config) validate() error {
	if len(c.Servers) == 0 {
		return configErr("Servers", "at least one server is required")
	}
	for i, s := range c.Servers {
		if err := checkDSN(fmt.Sprintf("Servers[%d].Primary", i), s.Primary); err != nil {
			return err
		}
		for j, r := range s.Replicas {
			if err := checkDSN(fmt.Sprintf("Servers[%d].Replicas[%d]", i, j), r); err != nil {
				return err
			}
		}
	}
	names := []struct{ field, v string }{{"Database", c.Database}, {"Table", c.Table},
		{"KeyColumn", c.KeyColumn}, {"ValueColumn", c.ValueColumn}}
	for _, n := range names {
		if n.v != "" && !identifier.MatchString(n.v) {
			return configErr(n.field, fmt.Sprintf("%q is not an identifier (want %s)", n.v, identifier))
		}
	}
	if c.Table == "" && len(c.Templates) == 0 {
		return configErr("Table", "no mapping: set Table or Templates")
	}
	if err := c.validateTemplates(); err != nil {
		return err
	}
	if c.ReadPolicy != ReadPrimary && c.ReadPolicy != ReadReplica {
		return configErr("ReadPolicy", fmt.Sprintf("%q (want %q or %q)", c.ReadPolicy, ReadPrimary, ReadReplica))
	}
	if c.MaxOpen > 0 && c.MaxIdle > c.MaxOpen {
		return configErr("MaxIdle", fmt.Sprintf("%d is above MaxOpen %d", c.MaxIdle, c.MaxOpen))
	}
	return nil
}

func (c *Config) validateTemplates() error {
	for i, t := range c.Templates {
		field := fmt.Sprintf("Templates[%d]", i)
		for j, u := range c.Templates[:i] {
			if strings.HasPrefix(t.Prefix, u.Prefix) {
				return configErr(field+".Prefix", fmt.Sprintf("%q is never reached: Templates[%d] prefix %q matches first", t.Prefix, j, u.Prefix))
			}
		}
		stmts := []struct {
			name, sql string
			params    int
		}{{"Get", t.Get, 1}, {"Set", t.Set, 2}, {"Delete", t.Delete, 1}}
		for _, s := range stmts {
			if s.sql == "" {
				if s.name == "Get" {
					return configErr(field+".Get", "required")
				}
				continue
			}
			if n := placeholders(s.sql); n != s.params {
				return configErr(field+"."+s.name, fmt.Sprintf("%d parameters (?) in %q, want %d", n, s.sql, s.params))
			}
		}
	}
	return nil
}

// placeholders counts the ? parameters of a statement outside quoted
// strings and quoted identifiers.
func placeholders(sql string) int {
	n := 0
	var quote byte
	for i := 0; i < len(sql); i++ {
		ch := sql[i]
		switch {
		case quote != 0 && ch == '\\' && quote != '`':
			i++ // escaped character inside a string
		case quote != 0 && ch == quote:
			quote = 0
		case quote != 0:
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
		case ch == '?':
			n++
		}
	}
	return n
}

func checkDSN(field, dsn string) error {
	if dsn == "" {
		return configErr(field, "empty DSN")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		// the driver's message may quote the DSN, password included
		return configErr(field, "not a go-sql-driver/mysql DSN (user:pass@tcp(host:port)/)")
	}
	if cfg.DBName != "" {
		return configErr(field, fmt.Sprintf("names database %q: leave it out and set Config.Database", cfg.DBName))
	}
	return nil
}

func configErr(field, msg string) error {
	return fmt.Errorf("%w: %s: %s", ErrConfig, field, msg)
}

// databaseName is the name of database index db under the scheme described
// on Config.Database.
func (c *Config) databaseName(db int) string {
	if c.Databases <= 1 {
		return c.Database
	}
	return fmt.Sprintf("%s_%d", c.Database, db)
}
