package admin

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Target is what the admin server observes and steers: faed's proxy.Server.
// Implementations must be safe for concurrent use.
type Target interface {
	// Stats returns a snapshot of the counters.
	Stats() Stats
	// Gatherer returns the registry /metrics serves.
	Gatherer() prometheus.Gatherer
	// Config returns the running config with secrets redacted, ready to be
	// encoded as JSON.
	Config() any
	// Reload reads the config file again and applies it; the error lists
	// every reason a config was refused (the running config then stays).
	Reload() error
	// Ready reports whether faed serves traffic (false while starting or
	// draining for shutdown).
	Ready() bool
	// Degrade sets or clears an operator's switch.
	Degrade(sw Switch) error
}

// Switch kinds accepted in Switch.Kind.
const (
	// SwitchServerDown takes Server of Pool out of service (On) or lets it
	// back (Off): its keys go where a dead server's keys go.
	SwitchServerDown = "server_down"
	// SwitchReadOnly makes Pool refuse writes.
	SwitchReadOnly = "read_only"
	// SwitchReject makes Pool refuse the commands of Class: "write", "read",
	// "multi" (multi-key), "admin" (local commands other than PING/QUIT), or
	// one command name such as "keys".
	SwitchReject = "reject"
)

// Switch is an operator's degrade switch. Switches survive a reload until
// cleared (On false).
type Switch struct {
	Pool   string `json:"pool"`
	Server string `json:"server,omitempty"` // SwitchServerDown: the server's address or name
	Kind   string `json:"kind"`
	Class  string `json:"class,omitempty"` // SwitchReject: the command class
	On     bool   `json:"on"`
}

// Stats is the document /stats serves (and `fae stats`, `fae top` and the
// dashboard read). Counters are totals since start; a reader computes rates
// by taking two snapshots.
type Stats struct {
	Service          string      `json:"service"` // "faed"
	Version          string      `json:"version"`
	Time             time.Time   `json:"time"`
	UptimeSeconds    float64     `json:"uptime_seconds"`
	ClientConns      int64       `json:"client_connections"` // open now
	TotalClientConns int64       `json:"total_connections"`  // accepted since start
	InFlight         int64       `json:"in_flight"`          // client requests not yet answered
	Shed             int64       `json:"shed_total"`         // requests refused as busy
	Reloads          int64       `json:"reloads_total"`
	ReloadErrors     int64       `json:"reload_errors_total"`
	Switches         []Switch    `json:"switches"`
	Pools            []PoolStats `json:"pools"`
}

// PoolStats are one pool's counters.
type PoolStats struct {
	Name        string `json:"name"`
	Listen      string `json:"listen"`
	Protocol    string `json:"protocol"`
	Failover    string `json:"failover,omitempty"`
	ClientConns int64  `json:"client_connections"`
	ClientEOF   int64  `json:"client_eof"` // clients that closed their connection
	ClientErr   int64  `json:"client_err"` // clients closed after a protocol error
	// Requests and Errors count client commands (a split MGET counts once);
	// Errors are error replies.
	Requests int64 `json:"requests"`
	Errors   int64 `json:"errors"`
	// Commands are per command name.
	Commands []CommandStats `json:"commands"`
	// Chain is the tier chain's counters, for a pool with tiers.
	Chain   *ChainStats   `json:"chain,omitempty"`
	Servers []ServerStats `json:"servers"`
}

// ChainStats are a tier chain's counters since start.
type ChainStats struct {
	// Tiers are the chain's pools in read order, with the keys each served.
	Tiers []TierHits `json:"tiers"`
	// Misses are keys no tier had; NegativeHits the misses answered by the
	// negative cache.
	Misses       int64 `json:"misses"`
	NegativeHits int64 `json:"negative_hits"`
	// Coalesced are lower-tier reads saved because another request was
	// reading the key; StoreReads the keys read from the store tier.
	Coalesced  int64 `json:"coalesced"`
	StoreReads int64 `json:"store_reads"`
	WriteBacks int64 `json:"write_backs"`
	Errors     int64 `json:"errors"`
}

// TierHits is the keys one tier served.
type TierHits struct {
	Name string `json:"name"`
	Hits int64  `json:"hits"`
}

// CommandStats are the counters of one command name in one pool.
type CommandStats struct {
	Name     string `json:"name"`
	Requests int64  `json:"requests"`
	Errors   int64  `json:"errors"`
	// LatencyBuckets is the cumulative latency histogram: for each upper
	// bound in milliseconds, the requests at most that slow.
	LatencyBuckets []Bucket `json:"latency_buckets"`
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	LE    float64 `json:"le"` // upper bound, ms; +Inf is written as 1e308
	Count int64   `json:"count"`
}

// ServerStats are one backend server's counters, as the pool sees it.
type ServerStats struct {
	Name string `json:"name"` // address (host:port or socket path)
	// StatsName is the server's name in twemproxy's stats: its configured
	// name, else its ring name (host:port, or host for port 11211).
	StatsName     string `json:"stats_name"`
	Role          string `json:"role"` // "primary", "replica" or "servant"
	Alive         bool   `json:"alive"`
	ForcedDown    bool   `json:"forced_down"` // by a SwitchServerDown
	FailedOver    bool   `json:"failed_over"` // its keys go to the failover pool now
	Requests      int64  `json:"requests"`
	Success       int64  `json:"success"`
	Failures      int64  `json:"failures"`
	Timeouts      int64  `json:"timeouts"`
	Pending       int64  `json:"pending"`
	Connections   int64  `json:"connections"`
	Ejects        int64  `json:"ejects"` // times marked dead
	RequestBytes  int64  `json:"request_bytes"`
	ResponseBytes int64  `json:"response_bytes"`
	// LatencyBuckets is the cumulative latency histogram of the server's
	// requests, as in CommandStats.
	LatencyBuckets []Bucket `json:"latency_buckets"`
	// EjectedAt is when it was last marked dead, unix seconds; 0 if never.
	EjectedAt int64 `json:"ejected_at"`
}
