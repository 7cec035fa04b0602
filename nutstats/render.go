package nutstats

import (
	"cmp"
	"net"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/hashkit"
)

// Service is the value of the document's "service" field. It stays
// "nutcracker", as twemproxy writes it, so that scripts which check it keep
// working; "version" tells faed apart.
const Service = "nutcracker"

// Render returns st as nutcracker 0.5 writes its stats document: one line of
// JSON ending in a newline, with nutcracker's field names, field order and
// spacing. source is written as "source" (nutcracker writes its host name).
//
// Pools are keyed by name and servers by the name nutcracker gives them (see
// ServerKey). Both are ordered as nutcracker orders them, which is not the
// config order: nutcracker sorts a pool's servers, and the pools, by name,
// shorter names first, then bytewise.
//
// faed's counters map onto nutcracker's as follows.
//
//	service             "nutcracker"
//	source              source
//	version             Stats.Version (faed's version, not nutcracker's)
//	uptime              Stats.UptimeSeconds, truncated to whole seconds
//	timestamp           Stats.Time, unix seconds; 0 for the zero Time
//	total_connections   Stats.TotalClientConns (nutcracker also counts its
//	                    listeners and server connections)
//	curr_connections    Stats.ClientConns (likewise)
//
// Per pool:
//
//	client_eof          PoolStats.ClientEOF
//	client_err          PoolStats.ClientErr
//	client_connections  PoolStats.ClientConns
//	server_ejects       sum of ServerStats.Ejects over the pool's servers
//	forward_error       PoolStats.Errors (error replies to clients)
//	fragments           0: faed does not count the parts of split commands
//
// Per server:
//
//	server_eof          0: faed counts a closed server connection as a failure
//	server_err          ServerStats.Failures - ServerStats.Timeouts
//	server_timedout     ServerStats.Timeouts
//	server_connections  ServerStats.Connections
//	server_ejected_at   ServerStats.EjectedAt in microseconds since the epoch
//	                    (nutcracker's unit; faed keeps whole seconds), 0 if never
//	requests            ServerStats.Requests
//	request_bytes       ServerStats.RequestBytes
//	responses           ServerStats.Success
//	response_bytes      ServerStats.ResponseBytes
//	in_queue            0: faed does not queue requests before sending them
//	in_queue_bytes      0
//	out_queue           ServerStats.Pending (sent, not yet answered)
//	out_queue_bytes     0: faed does not count the bytes in flight
//
// Every server of a pool is listed, replicas included. Negative values are
// written as 0. Render is safe for concurrent use.
func Render(st admin.Stats, source string) []byte {
	e := encoder{b: make([]byte, 0, 512+512*serverCount(st))}
	e.open("")
	e.str("service", Service)
	e.str("source", source)
	e.str("version", st.Version)
	e.int("uptime", int64(st.UptimeSeconds))
	e.int("timestamp", unixSeconds(st))
	e.int("total_connections", st.TotalClientConns)
	e.int("curr_connections", st.ClientConns)
	for _, p := range byName(st.Pools, func(p admin.PoolStats) string { return p.Name }) {
		e.pool(p)
	}
	e.close()
	return append(e.b, '\n')
}

// pool writes `"name": {fields, servers}`.
func (e *encoder) pool(p admin.PoolStats) {
	var ejects int64
	for _, sv := range p.Servers {
		ejects += sv.Ejects
	}
	e.open(p.Name)
	e.int("client_eof", p.ClientEOF)
	e.int("client_err", p.ClientErr)
	e.int("client_connections", p.ClientConns)
	e.int("server_ejects", ejects)
	e.int("forward_error", p.Errors)
	e.int("fragments", 0)
	for _, sv := range byName(p.Servers, ServerKey) {
		e.server(sv)
	}
	e.close()
}

// server writes `"key": {fields}`.
func (e *encoder) server(sv admin.ServerStats) {
	e.open(ServerKey(sv))
	e.int("server_eof", 0)
	e.int("server_err", sv.Failures-sv.Timeouts)
	e.int("server_timedout", sv.Timeouts)
	e.int("server_connections", sv.Connections)
	e.int("server_ejected_at", sv.EjectedAt*1_000_000)
	e.int("requests", sv.Requests)
	e.int("request_bytes", sv.RequestBytes)
	e.int("responses", sv.Success)
	e.int("response_bytes", sv.ResponseBytes)
	e.int("in_queue", 0)
	e.int("in_queue_bytes", 0)
	e.int("out_queue", sv.Pending)
	e.int("out_queue_bytes", 0)
	e.close()
}

// ServerKey returns the name nutcracker gives a server in its stats, derived
// from ServerStats.Name. For an address it is the name twemproxy puts on its
// ketama ring for an unnamed server (hashkit.RingName): "host:port", "host"
// alone when the port is 11211, "path:" for a unix socket path. Anything else
// (not host:port, not an absolute path) is taken to be the server's
// configured name and returned as it is.
func ServerKey(sv admin.ServerStats) string {
	name := sv.Name
	if strings.HasPrefix(name, "/") {
		return hashkit.RingName(name, 0, "")
	}
	host, port, err := net.SplitHostPort(name)
	if err != nil {
		return name
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 {
		return name
	}
	return hashkit.RingName(host, n, "")
}

// byName returns a copy of items sorted as twemproxy's string_compare orders
// names: shorter first, then bytewise. The sort is stable.
func byName[T any](items []T, name func(T) string) []T {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b T) int {
		x, y := name(a), name(b)
		return cmp.Or(cmp.Compare(len(x), len(y)), strings.Compare(x, y))
	})
	return out
}

func serverCount(st admin.Stats) int {
	n := 0
	for _, p := range st.Pools {
		n += len(p.Servers)
	}
	return n
}

func unixSeconds(st admin.Stats) int64 {
	if st.Time.IsZero() {
		return 0
	}
	return st.Time.Unix()
}

// encoder writes JSON spaced as nutcracker spaces it: ", " after a scalar
// member, "," after an object member, `"key": {` to open an object.
type encoder struct {
	b    []byte
	last byte // what was written last: 0 (nothing or '{'), 's' scalar, 'o' object
}

func (e *encoder) member(key string) {
	switch e.last {
	case 's':
		e.b = append(e.b, ", "...)
	case 'o':
		e.b = append(e.b, ',')
	}
	e.b = appendQuoted(e.b, key)
	e.b = append(e.b, ':')
}

// open starts the top-level object (key "") or a member object.
func (e *encoder) open(key string) {
	if key != "" || len(e.b) > 0 {
		e.member(key)
		e.b = append(e.b, ' ')
	}
	e.b = append(e.b, '{')
	e.last = 0
}

func (e *encoder) close() {
	e.b = append(e.b, '}')
	e.last = 'o'
}

func (e *encoder) str(key, v string) {
	e.member(key)
	e.b = appendQuoted(e.b, v)
	e.last = 's'
}

// int writes n, or 0 if n is negative.
func (e *encoder) int(key string, n int64) {
	e.member(key)
	e.b = strconv.AppendInt(e.b, max(n, 0), 10)
	e.last = 's'
}

// appendQuoted appends s as a JSON string. Unlike encoding/json it leaves
// '<', '>' and '&' alone; invalid UTF-8 becomes U+FFFD.
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r) // RuneError for invalid input
			i += size
			continue
		}
		i++
	}
	return append(b, '"')
}
