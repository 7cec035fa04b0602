package config

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
)

// hashNames are twemproxy 0.5's hash functions, in the order of its enum.
var hashNames = []string{
	"one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64",
	"fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins",
}

// distributionNames are twemproxy 0.5's distributions.
var distributionNames = []string{"ketama", "modula", "random"}

// Validate checks the whole config and returns every problem as Errors, each
// an *Error naming file, line and key, or nil. Load and Parse call it; call
// it again after building or changing a Config in code. It does not fill
// defaults and does not resolve host names.
func (c *Config) Validate() error {
	ps := &problems{file: c.File}
	if len(c.Pools) == 0 {
		if c.format == formatTOML {
			ps.add(0, "pools", ErrMissing, "no pools; define one as [pools.NAME]")
		} else {
			ps.add(0, "", ErrMissing, "no pools")
		}
	}
	names := map[string]int{}
	for i := range c.Pools {
		p := &c.Pools[i]
		if p.Name == "" {
			ps.add(p.Line, c.key(p, ""), ErrMissing, "pool has an empty name")
		} else if j, dup := names[p.Name]; dup {
			ps.add(p.Line, c.key(p, ""), ErrDuplicate, fmt.Sprintf("pool name is a duplicate of the pool on line %d", c.Pools[j].Line))
		} else {
			names[p.Name] = i
		}
		c.validatePool(ps, p)
		for j := range c.Pools[:i] {
			if sameListener(p.Listen, c.Pools[j].Listen) {
				msg := fmt.Sprintf("%s is also the listen address of pool %q", p.Listen, c.Pools[j].Name)
				if p.Listen != c.Pools[j].Listen {
					msg = fmt.Sprintf("%s clashes with the listen address %s of pool %q", p.Listen, c.Pools[j].Listen, c.Pools[j].Name)
				}
				ps.add(p.line("listen"), c.key(p, "listen"), ErrDuplicate, msg)
				break
			}
		}
	}
	c.validateGlobal(ps)
	return ps.err()
}

// validatePool checks one pool's values.
func (c *Config) validatePool(ps *problems, p *Pool) {
	bad := func(key string, kind error, format string, args ...any) {
		ps.add(p.line(key), c.key(p, key), kind, fmt.Sprintf(format, args...))
	}
	if p.Listen == "" {
		if p.Protocol != ProtocolMySQL && !c.tierMember(p.Name) {
			bad("listen", ErrMissing, `is missing; want "host:port" or "/path/to.sock [perm]" (only mysql pools and tiers of a chain may have none)`)
		}
	} else if msg := checkListen(p.Listen); msg != "" {
		bad("listen", ErrInvalid, "%s", msg)
	}
	if p.ListenMode != 0 && (!isUnixPath(p.Listen) || p.ListenMode > 0o777) {
		bad("listen", ErrInvalid, "permission %#o needs a unix socket path and at most 0777", uint32(p.ListenMode))
	}
	switch {
	case p.Protocol == ProtocolHTTP && c.format == formatYAML:
		bad(c.protocolKey(), ErrInvalid, "protocol %q needs a TOML config", p.Protocol)
	case (p.Protocol == ProtocolHTTP || p.Protocol == ProtocolMySQL) && c.format == formatYAML:
		bad(c.protocolKey(), ErrInvalid, "protocol %q needs a TOML config", p.Protocol)
	case p.Protocol != ProtocolRedis && p.Protocol != ProtocolMemcache && p.Protocol != ProtocolHTTP && p.Protocol != ProtocolMySQL:
		bad(c.protocolKey(), ErrInvalid, "unknown protocol %q; want %q, %q, %q or %q", p.Protocol, ProtocolRedis, ProtocolMemcache, ProtocolHTTP, ProtocolMySQL)
	}
	if !slices.Contains(hashNames, p.Hash) {
		bad("hash", ErrInvalid, "unknown hash %q; want one of %s", p.Hash, strings.Join(hashNames, ", "))
	}
	if p.HashTag != "" && len(p.HashTag) != 2 {
		bad("hash_tag", ErrInvalid, "hash tag %q is not exactly two characters (bytes), such as \"{}\"", p.HashTag)
	}
	if !slices.Contains(distributionNames, p.Distribution) {
		bad("distribution", ErrInvalid, "unknown distribution %q; want one of %s", p.Distribution, strings.Join(distributionNames, ", "))
	}
	for _, n := range []struct {
		key string
		v   int64
		min int64
	}{
		{"timeout", int64(p.Timeout), 0},
		{"backlog", int64(p.Backlog), 0},
		{"client_connections", int64(p.ClientConnections), 0},
		{"server_connections", int64(p.ServerConnections), 1},
		{"server_retry_timeout", int64(p.ServerRetryTimeout), 0},
		{"server_failure_limit", int64(p.ServerFailureLimit), 0},
		{"redis_db", int64(p.RedisDB), 0},
	} {
		if n.v < n.min {
			bad(n.key, ErrInvalid, "is %s; want at least %d", c.show(n.key, n.v), n.min)
		}
	}
	if p.RedisAuth != "" && p.Protocol == ProtocolMemcache {
		bad("redis_auth", ErrInvalid, "is only valid for a redis pool (%s)", c.redisSetting())
	}
	if p.Protocol == ProtocolHTTP {
		if p.Servant != "" || len(p.Servers) > 0 {
			bad("servers", ErrInvalid, "an http pool serves the other pools' keys; it has no servers or servant of its own")
		}
		return
	}
	c.validateTiers(p, bad)
	if len(p.Tier.Tiers) > 0 {
		if p.Servant != "" || len(p.Servers) > 0 {
			bad("tiers", ErrInvalid, "a chain has no servers or servant of its own")
		}
		return
	}
	c.validateBackends(ps, p, bad)
	c.validateStack(p, bad)
}

// validateBackends checks the servant and the servers of a pool.
func (c *Config) validateBackends(ps *problems, p *Pool, bad func(string, error, string, ...any)) {
	switch {
	case p.Servant != "" && p.Servant != ServantLCache && p.Servant != ServantKVDB && p.Servant != ServantIDGen:
		bad("servant", ErrInvalid, "unknown servant %q; want %q, %q or %q", p.Servant, ServantLCache, ServantKVDB, ServantIDGen)
	case p.Servant != "" && len(p.Servers) > 0:
		bad("servant", ErrInvalid, "pool has both a servant and servers; set one")
	case p.Servant == "" && len(p.Servers) == 0:
		msg := "pool has no servers"
		if c.format != formatYAML {
			msg += `; set servers or servant = "lcache"`
		}
		bad("servers", ErrMissing, "%s", msg)
	}
	switch {
	case p.Servant != "" && p.ServantMaxMemory <= 0:
		bad("servant_max_memory", ErrInvalid, "is %d; want a positive number of bytes", p.ServantMaxMemory)
	case p.Servant == "" && p.ServantMaxMemory != 0:
		bad("servant_max_memory", ErrInvalid, "is set but the pool has no servant")
	}
	seen := map[string]int{}
	for i, s := range p.Servers {
		key := "servers"
		line := s.Line
		if line == 0 {
			line = p.line("servers")
		}
		if msg := checkServer(s); msg != "" {
			ps.add(line, c.key(p, key), ErrInvalid, msg)
			continue
		}
		// nutcracker refuses two servers with one ring name: they would
		// share their points on the ketama ring.
		name := s.RingName()
		if j, dup := seen[name]; dup {
			msg := fmt.Sprintf("%s is a duplicate of the server on line %d", s.Addr, p.Servers[j].Line)
			if s.Name != "" {
				msg = fmt.Sprintf("name %q is also the name of the server on line %d", s.Name, p.Servers[j].Line)
			}
			ps.add(line, c.key(p, key), ErrDuplicate, msg)
		} else {
			seen[name] = i
		}
	}
}

// key returns the dotted path of a pool's key as the file spells it.
func (c *Config) key(p *Pool, key string) string {
	var b strings.Builder
	if c.format == formatTOML {
		b.WriteString("pools.")
		b.WriteString(tomlKey(p.Name))
	} else {
		b.WriteString(p.Name)
	}
	if key != "" {
		b.WriteByte('.')
		b.WriteString(key)
	}
	return b.String()
}

// protocolKey is the key that sets Pool.Protocol in the config's format.
func (c *Config) protocolKey() string {
	if c.format == formatYAML {
		return "redis"
	}
	return "protocol"
}

// redisSetting is how the config's format makes a pool a redis pool.
func (c *Config) redisSetting() string {
	if c.format == formatYAML {
		return "redis: true"
	}
	return `protocol = "redis"`
}

// show formats a numeric value of key for a message.
func (c *Config) show(key string, v int64) string {
	if key != "timeout" && key != "server_retry_timeout" {
		return fmt.Sprint(v)
	}
	return time.Duration(v).String()
}

// sameListener reports whether two valid listen addresses would clash: the
// same socket path, or the same TCP port on the same host or where either
// host is a wildcard. Port 0 (a free port) never clashes.
func sameListener(a, b string) bool {
	if checkListen(a) != "" || checkListen(b) != "" {
		return false
	}
	if isUnixPath(a) || isUnixPath(b) {
		return a == b
	}
	ha, sa, _ := net.SplitHostPort(a)
	hb, sb, _ := net.SplitHostPort(b)
	pa, _ := atoi(sa)
	pb, _ := atoi(sb)
	if pa != pb || pa == 0 {
		return false
	}
	return ha == hb || isWildcard(ha) || isWildcard(hb)
}

func isWildcard(host string) bool {
	return host == "" || host == "0.0.0.0" || host == "::"
}

// tomlKey quotes a TOML key part when it is not a bare key.
func tomlKey(k string) string {
	if k == "" {
		return `""`
	}
	for i := 0; i < len(k); i++ {
		ch := k[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return fmt.Sprintf("%q", k)
		}
	}
	return k
}
