package config

import (
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Protocol names accepted in Pool.Protocol.
const (
	// ProtocolRedis is RESP, spoken to clients and servers.
	ProtocolRedis = "redis"
	// ProtocolMemcache is the memcache ASCII protocol.
	ProtocolMemcache = "memcache"
	// ProtocolHTTP is the HTTP/JSON API (TOML only): the pool has no
	// servers of its own and serves the keys of every other pool, by name,
	// under /v1/{pool}/.
	ProtocolHTTP = "http"
)

// ServantLCache is the only servant so far: the in-process LRU cache with TTL.
const ServantLCache = "lcache"

// Defaults of the pool keys, the same in both formats (they are twemproxy's)
// except where noted.
const (
	// DefaultHash is the default Pool.Hash.
	DefaultHash = "fnv1a_64"
	// DefaultDistribution is the default Pool.Distribution.
	DefaultDistribution = "ketama"
	// DefaultBacklog is the default Pool.Backlog.
	DefaultBacklog = 512
	// DefaultServerConnections is the default Pool.ServerConnections.
	DefaultServerConnections = 1
	// DefaultServerRetryTimeout is the default Pool.ServerRetryTimeout.
	DefaultServerRetryTimeout = 30 * time.Second
	// DefaultServerFailureLimit is the default Pool.ServerFailureLimit.
	DefaultServerFailureLimit = 2
	// DefaultServantMaxMemory is the default Pool.ServantMaxMemory of a pool
	// with a servant: 64 MiB.
	DefaultServantMaxMemory = 64 << 20
	// DefaultTOMLTimeout is the Pool.Timeout of a TOML pool that sets none.
	// A twemproxy YAML pool that sets none waits forever, as nutcracker does.
	DefaultTOMLTimeout = time.Second
)

// Config is a whole faed configuration: the pools in file order.
//
// A Config returned by Load, Parse or Default is complete and valid; treat it
// as immutable and share it freely between goroutines (a reload builds a new
// one).
type Config struct {
	// File is the path the config was loaded from, or the name given to
	// Parse; "" for the built-in default. It prefixes error messages.
	File string
	// Pools are the pools in the order they appear in the file.
	Pools []Pool
	// Server holds the process-wide settings (TOML [server]).
	Server Global

	format string // "yaml", "toml" or "" (built in code); shapes key names in errors
}

// Pool is one listener and the servers (or the servant) behind it.
//
// Defaults are those of twemproxy for a YAML file; a TOML file differs only in
// Protocol ("redis") and Timeout (1s). Zero values in a Pool built in code are
// taken literally, not replaced by defaults.
type Pool struct {
	// Name is the pool's key in the file. Required and unique.
	Name string
	// Listen is "host:port" (IPv6 hosts in brackets; an empty host listens on
	// all addresses; port 0 picks a free port) or an absolute unix socket path.
	// Required and unique across pools.
	Listen string
	// ListenMode is the unix socket's permission bits, written in the file as
	// "/path/sock 0666". 0 leaves the default (umask).
	ListenMode os.FileMode
	// Protocol is ProtocolRedis or ProtocolMemcache. YAML: "redis: true" or
	// "redis: false", default memcache; TOML: protocol, default redis.
	Protocol string
	// Hash is the key hash function: one_at_a_time, md5, crc16, crc32, crc32a,
	// fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur or jenkins. Default
	// fnv1a_64.
	Hash string
	// HashTag is "" (hash the whole key) or exactly two bytes such as "{}":
	// only the part of the key between them is hashed. Default "".
	HashTag string
	// Distribution picks a server from a hash: ketama, modula or random.
	// Default ketama.
	Distribution string
	// Timeout bounds one request to a server; 0 waits forever. Default 0 in
	// YAML (as twemproxy), 1s in TOML.
	Timeout time.Duration
	// Backlog is the listen backlog. Default 512.
	Backlog int
	// ClientConnections caps the client connections on the listener; 0 means
	// no limit (default). nutcracker 0.5 parses this key but ignores it; faed
	// enforces it.
	ClientConnections int
	// ServerConnections is the number of connections to each server; at
	// least 1. Default 1.
	ServerConnections int
	// Preconnect connects to every server at start-up instead of on first use.
	// Default false.
	Preconnect bool
	// AutoEjectHosts takes a server out of the hash ring after
	// ServerFailureLimit consecutive failures. Default false.
	AutoEjectHosts bool
	// ServerRetryTimeout is how long an ejected server stays out before it is
	// tried again. Default 30s.
	ServerRetryTimeout time.Duration
	// ServerFailureLimit is the number of consecutive failures that eject a
	// server when AutoEjectHosts is set. Default 2.
	ServerFailureLimit int
	// RedisAuth is the password sent with AUTH to every server and required
	// from clients; "" (default) means none. Only valid for redis pools.
	RedisAuth string
	// RedisDB is the database selected on every server connection. Default 0.
	RedisDB int
	// TCPKeepalive enables TCP keepalive on server connections. Default false.
	TCPKeepalive bool
	// Servant is "" (the pool is served by Servers) or ServantLCache (the pool
	// is served in process). TOML only. Exactly one of Servant and Servers is
	// set.
	Servant string
	// ServantMaxMemory is the memory budget of the servant in bytes. Default
	// 64 MiB when Servant is set, 0 otherwise.
	ServantMaxMemory int64
	// Servers are the backends in file order; the order matters for modula
	// and for server indexes.
	Servers []Server
	// Stack configures the client stack between the pool and its servers
	// (docs/client-stack.md).
	Stack Stack
	// Tier holds the settings of tier chains, MySQL pools and the kvdb and
	// idgen servants (docs/tiers.md).
	Tier TierSettings
	// Line is the line of the pool's definition in the file; 0 when unknown.
	Line int

	lines map[string]int // line of each key set in the file
}

// Server is one backend server, written "host:port:weight [name]" or
// "/path/to.sock:weight [name]".
type Server struct {
	// Addr is "host:port" (IPv6 hosts in brackets) or a unix socket path.
	Addr string
	// Host is the host part of Addr without brackets, or the socket path.
	Host string
	// Port is the TCP port; 0 for unix sockets.
	Port int
	// Weight is the server's share of keys; at least 1.
	Weight int
	// Name is the optional name after the address, "" when not given. It
	// replaces the address on the ketama ring, so servers can move without
	// moving keys.
	Name string
	// Replicas are the servers holding copies of this server's keys (TOML
	// key replicas); reads may go to them, writes never do.
	Replicas []Server
	// Line is the line of the server in the file; 0 when unknown.
	Line int
}

// Unix reports whether the server is reached through a unix socket.
func (s Server) Unix() bool { return isUnixPath(s.Addr) }

// RingName is the string twemproxy hashes to place the server on the ketama
// ring: Name when given; else Host when Port is 11211 (libmemcached's
// convention); else "host:port" with an IPv6 host written without brackets,
// as nutcracker reads it; for a unix socket, the path followed by ":" (a quirk
// of nutcracker's parser, kept so keys land on the same server). A port
// written with leading zeros in the file is not reproduced.
func (s Server) RingName() string {
	switch {
	case s.Name != "":
		return s.Name
	case s.Unix():
		return s.Host + ":"
	case s.Port == 11211:
		return s.Host
	default:
		return s.Host + ":" + strconv.Itoa(s.Port)
	}
}

// Default returns the built-in config used when faed runs with no -c: a
// redis pool "default" on 127.0.0.1:6380 and a memcache pool "memcache" on
// 127.0.0.1:11212, both tier chains over the same two servants: "lcache"
// (in memory, 64 MiB) in front of "kvdb" (persistent, in dataDir). So a
// fresh faed keeps its data across restarts. Empty dataDir means
// DefaultDataDir().
func Default(dataDir ...string) *Config {
	dir := DefaultDataDir()
	if len(dataDir) > 0 && dataDir[0] != "" {
		dir = dataDir[0]
	}
	chain := func(name, listen, protocol string) Pool {
		p := defaultPool(formatTOML)
		p.Name, p.Listen, p.Protocol = name, listen, protocol
		p.Tier.Tiers = []string{"lcache", "kvdb"}
		p.Tier.NegativeTTL = DefaultNegativeTTL
		return p
	}
	l := defaultPool(formatTOML)
	l.Name, l.Servant, l.ServantMaxMemory = "lcache", ServantLCache, DefaultServantMaxMemory
	k := defaultPool(formatTOML)
	k.Name, k.Servant, k.ServantMaxMemory, k.Tier.ServantDir = "kvdb", ServantKVDB, DefaultServantMaxMemory, dir
	return &Config{Pools: []Pool{chain("default", "127.0.0.1:6380", ProtocolRedis),
		chain("memcache", "127.0.0.1:11212", ProtocolMemcache), l, k}, Server: DefaultGlobal(), format: formatTOML}
}

// DefaultDataDir is where the default config keeps kvdb's data: $FAE_DATA_DIR,
// else $XDG_DATA_HOME/fae, else ~/.local/share/fae, else ./fae-data.
func DefaultDataDir() string {
	if d := os.Getenv("FAE_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "fae")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "fae")
	}
	return "fae-data"
}

// defaultPool is where defaults are filled: a pool with every default of the
// given format, before the file's keys are applied (finishDefaults adds the
// ones that depend on those keys).
func defaultPool(format string) Pool {
	p := Pool{
		Hash:               DefaultHash,
		Distribution:       DefaultDistribution,
		Backlog:            DefaultBacklog,
		ServerConnections:  DefaultServerConnections,
		ServerRetryTimeout: DefaultServerRetryTimeout,
		ServerFailureLimit: DefaultServerFailureLimit,
		Stack:              defaultStack(format),
		lines:              map[string]int{},
	}
	switch format {
	case formatYAML:
		p.Protocol = ProtocolMemcache
	default:
		p.Protocol = ProtocolRedis
		p.Timeout = DefaultTOMLTimeout
	}
	return p
}

// finishDefaults fills the defaults that depend on other keys, once the
// file's keys are applied: a servant pool's memory budget.
func (p *Pool) finishDefaults() {
	if _, set := p.lines["servant_max_memory"]; p.Servant != "" && !set {
		p.ServantMaxMemory = DefaultServantMaxMemory
	}
	p.finishStack()
}

// line returns the line of key in the pool's file, or the pool's line.
func (p *Pool) line(key string) int {
	if l, ok := p.lines[key]; ok {
		return l
	}
	return p.Line
}
