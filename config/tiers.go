package config

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/pelletier/go-toml/v2/unstable"
)

// ProtocolMySQL is the protocol of a pool of MySQL (MariaDB) servers: such a
// pool has no listener of its own; it serves as the store tier of a chain.
const ProtocolMySQL = "mysql"

// The servants besides lcache.
const (
	// ServantKVDB is the persistent key-value servant (pebble) in ServantDir.
	ServantKVDB = "kvdb"
	// ServantIDGen answers unique time-ordered 64-bit IDs (INCR, GET, IDGEN).
	ServantIDGen = "idgen"
)

// Tier defaults.
const (
	// DefaultNegativeTTL is the negative TTL of the built-in default chain.
	DefaultNegativeTTL = 2 * time.Second
	// DefaultMySQLTable, DefaultMySQLKeyColumn and DefaultMySQLValueColumn
	// are the default key-value table of a MySQL pool.
	DefaultMySQLTable       = "kv"
	DefaultMySQLKeyColumn   = "k"
	DefaultMySQLValueColumn = "v"
)

// TierSettings are the keys of tier chains and of their member pools.
type TierSettings struct {
	// Tiers names the pools of a chain, cache tiers first, the store last
	// (TOML key tiers). A pool with tiers has no servers or servant.
	Tiers []string
	// TierTTL is how long values written back into this pool (as a cache
	// tier) live; 0 means no expiry.
	TierTTL time.Duration
	// WritePolicy is "invalidate" (default) or "update" (chains only).
	WritePolicy string
	// NegativeTTL is how long a chain answers a key its store lacks as
	// missing without asking again; 0 (the default) turns it off; the
	// built-in default config uses DefaultNegativeTTL.
	NegativeTTL time.Duration
	// ServantDir is the data directory of a kvdb servant. Required with
	// servant = "kvdb".
	ServantDir string
	// IDGenWorker is the worker id (0-1023) of an idgen servant: give every
	// faed a different one.
	IDGenWorker int
	// MySQL maps keys to rows (protocol = "mysql").
	MySQL MySQL
}

// MySQL is a MySQL pool's mapping and credentials. Servers are host:port
// entries; each may have replicas.
type MySQL struct {
	User, Password string
	// Database is the database name; with Databases > 1 the key's hash
	// picks one of Database_0 .. Database_{Databases-1}.
	Database  string
	Databases int
	// Table, KeyColumn and ValueColumn map a key to one row. Defaults kv,
	// k, v.
	Table, KeyColumn, ValueColumn string
	// Templates map key prefixes to queries; the key without the prefix is
	// the query's one parameter.
	Templates []MySQLTemplate
}

// MySQLTemplate is the queries of keys with one prefix.
type MySQLTemplate struct {
	Prefix, Get, Set, Delete string
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// tierKeys are the TOML keys of TierSettings.
var tierKeys = map[string]func(p *Pool, v *tnode) error{
	"tiers":              tomlSetStrings(func(p *Pool) *[]string { return &p.Tier.Tiers }),
	"tier_ttl":           tomlSetDuration(func(p *Pool) *time.Duration { return &p.Tier.TierTTL }),
	"write_policy":       tomlSetString(func(p *Pool) *string { return &p.Tier.WritePolicy }),
	"negative_ttl":       tomlSetDuration(func(p *Pool) *time.Duration { return &p.Tier.NegativeTTL }),
	"servant_dir":        tomlSetString(func(p *Pool) *string { return &p.Tier.ServantDir }),
	"idgen_worker":       tomlSetInt(func(p *Pool) *int { return &p.Tier.IDGenWorker }),
	"mysql_user":         tomlSetString(func(p *Pool) *string { return &p.Tier.MySQL.User }),
	"mysql_password":     tomlSetString(func(p *Pool) *string { return &p.Tier.MySQL.Password }),
	"mysql_database":     tomlSetString(func(p *Pool) *string { return &p.Tier.MySQL.Database }),
	"mysql_databases":    tomlSetInt(func(p *Pool) *int { return &p.Tier.MySQL.Databases }),
	"mysql_table":        tomlSetString(func(p *Pool) *string { return &p.Tier.MySQL.Table }),
	"mysql_key_column":   tomlSetString(func(p *Pool) *string { return &p.Tier.MySQL.KeyColumn }),
	"mysql_value_column": tomlSetString(func(p *Pool) *string { return &p.Tier.MySQL.ValueColumn }),
	"mysql_templates":    tomlSetTemplates,
}

func init() {
	for k, f := range tierKeys {
		tomlKeys[k] = f
	}
}

func tomlSetStrings(field func(*Pool) *[]string) func(*Pool, *tnode) error {
	return func(p *Pool, v *tnode) error {
		if v.kind != unstable.Array {
			return fmt.Errorf("is %s; want an array of strings", v.describe())
		}
		var out []string
		for _, e := range v.elems {
			s, err := tomlString(e)
			if err != nil {
				return fmt.Errorf("an element %s", err)
			}
			out = append(out, s)
		}
		*field(p) = out
		return nil
	}
}

// tomlSetTemplates reads mysql_templates = [{ prefix = "user:", get = "...", set = "...", delete = "..." }, ...].
func tomlSetTemplates(p *Pool, v *tnode) error {
	if v.kind != unstable.Array {
		return fmt.Errorf(`is %s; want an array of tables such as { prefix = "user:", get = "SELECT ..." }`, v.describe())
	}
	for _, e := range v.elems {
		if e.kind != unstable.Table {
			return fmt.Errorf("an element is %s; want a table", e.describe())
		}
		var t MySQLTemplate
		for _, k := range e.keys {
			s, err := tomlString(e.kids[k])
			if err != nil {
				return fmt.Errorf("%s %s", k, err)
			}
			switch k {
			case "prefix":
				t.Prefix = s
			case "get":
				t.Get = s
			case "set":
				t.Set = s
			case "delete":
				t.Delete = s
			default:
				return fmt.Errorf("unknown template key %q; want prefix, get, set, delete", k)
			}
		}
		p.Tier.MySQL.Templates = append(p.Tier.MySQL.Templates, t)
	}
	return nil
}

// tierMember reports whether pool name is a tier of some chain in c.
func (c *Config) tierMember(name string) bool {
	for _, p := range c.Pools {
		if slices.Contains(p.Tier.Tiers, name) {
			return true
		}
	}
	return false
}

// Pool returns the pool named name, or nil.
func (c *Config) Pool(name string) *Pool {
	for i := range c.Pools {
		if c.Pools[i].Name == name {
			return &c.Pools[i]
		}
	}
	return nil
}

// validateTiers checks a chain, a MySQL pool and the servant settings of p.
func (c *Config) validateTiers(p *Pool, bad func(string, error, string, ...any)) {
	t := p.Tier
	if len(t.Tiers) > 0 {
		if len(t.Tiers) < 2 {
			bad("tiers", ErrInvalid, "a chain needs at least two pools (caches first, the store last)")
		}
		seen := map[string]bool{}
		for _, name := range t.Tiers {
			m := c.Pool(name)
			switch {
			case seen[name]:
				bad("tiers", ErrDuplicate, "pool %q is named twice", name)
			case name == p.Name:
				bad("tiers", ErrInvalid, "a chain cannot contain itself")
			case m == nil:
				bad("tiers", ErrInvalid, "no pool named %q", name)
			case len(m.Tier.Tiers) > 0:
				bad("tiers", ErrInvalid, "pool %q is a chain itself; chains do not nest", name)
			case m.Protocol == ProtocolHTTP:
				bad("tiers", ErrInvalid, "pool %q is an http pool", name)
			case m.Servant == ServantIDGen:
				bad("tiers", ErrInvalid, "pool %q is an idgen servant, not a store", name)
			}
			seen[name] = true
		}
	}
	switch t.WritePolicy {
	case "", "invalidate", "update":
	default:
		bad("write_policy", ErrInvalid, `unknown value %q; want "invalidate" or "update"`, t.WritePolicy)
	}
	if p.Servant == ServantKVDB && t.ServantDir == "" {
		bad("servant_dir", ErrMissing, "is missing; a kvdb servant needs a data directory")
	}
	if t.IDGenWorker < 0 || t.IDGenWorker > 1023 {
		bad("idgen_worker", ErrInvalid, "is %d; want 0 to 1023", t.IDGenWorker)
	}
	if p.Protocol == ProtocolMySQL {
		c.validateMySQL(p, bad)
	}
}

func (c *Config) validateMySQL(p *Pool, bad func(string, error, string, ...any)) {
	m := p.Tier.MySQL
	for key, v := range map[string]string{"mysql_table": m.Table, "mysql_key_column": m.KeyColumn,
		"mysql_value_column": m.ValueColumn, "mysql_database": m.Database} {
		if v != "" && !identifier.MatchString(v) {
			bad(key, ErrInvalid, "%q is not a plain SQL identifier (letters, digits, _)", v)
		}
	}
	if m.Database == "" {
		bad("mysql_database", ErrMissing, "is missing; a mysql pool needs a database")
	}
	for _, tp := range m.Templates {
		if tp.Get == "" {
			bad("mysql_templates", ErrInvalid, "the template of prefix %q has no get query", tp.Prefix)
		}
	}
}
