package config

import (
	"fmt"
	"time"

	"github.com/pelletier/go-toml/v2/unstable"
)

// Read policies accepted in Stack.ReadPolicy.
const (
	// ReadPrimary sends every read to the shard's primary (the default).
	ReadPrimary = "primary"
	// ReadReplica sends reads to the least loaded healthy replica, and to the
	// primary when no replica is healthy.
	ReadReplica = "replica"
	// ReadNearest sends reads to the healthy member (primary or replica)
	// with the lowest peak-EWMA latency.
	ReadNearest = "nearest"
)

// Failover modes accepted in Stack.FailoverMode.
const (
	// FailoverAuto moves a dead shard's keys to the failover pool and back
	// when health probes pass again (the default).
	FailoverAuto = "auto"
	// FailoverOff never uses the failover pool.
	FailoverOff = "off"
	// FailoverForce sends every key to the failover pool (an operator
	// draining the local datacenter).
	FailoverForce = "force"
)

// Multi-key fetch policies accepted in Stack.MGetPartial.
const (
	// PartialError fails a Redis MGET whose part failed, naming the server
	// (the default).
	PartialError = "error"
	// PartialNil answers nil for the keys of the failed part.
	PartialNil = "nil"
)

// Defaults of the client stack (Finagle's, where it has one).
const (
	DefaultRetries             = 2
	DefaultRetryBudgetPercent  = 0.2
	DefaultRetryBudgetPerSec   = 10
	DefaultAccrualSuccessRate  = 0.8
	DefaultAccrualWindow       = 30 * time.Second
	DefaultAccrualMinRequests  = 5
	DefaultAccrualConsecutive  = 5
	DefaultAccrualDeadMin      = 5 * time.Second
	DefaultAccrualDeadMax      = 300 * time.Second
	DefaultReconnectMin        = time.Second
	DefaultReconnectMax        = 32 * time.Second
	DefaultHealthCheckInterval = time.Second
	DefaultFailbackProbes      = 3
)

// Stack is the client stack of one pool: how requests to its servers are
// retried, when a server counts as dead, where its keys go then. In TOML
// every field is a pool key of the same name in snake case (client_stack,
// retries, accrual_consecutive, ...); a twemproxy YAML file has none of
// them and gets the YAML defaults noted below.
type Stack struct {
	// Enabled turns the whole stack on (TOML key client_stack). With it off
	// requests go straight to the connections: no retries, accrual, health
	// checks, metrics. Default true; it exists to measure the stack's cost.
	Enabled bool
	// Retries is how many times a request that never reached its server, or
	// an idempotent read whose connection was reset, is tried again. Default 2.
	Retries int
	// RetryBudgetPercent and RetryBudgetPerSec size the retry budget: retries
	// may add this share of the last 10 s of requests, plus this many per
	// second. Defaults 0.2 and 10.
	RetryBudgetPercent float64
	RetryBudgetPerSec  int
	// FailureAccrual marks a server dead when its success rate over
	// AccrualWindow falls below AccrualSuccessRate (once AccrualMinRequests
	// were made), or after AccrualConsecutive failures in a row; it stays out
	// for AccrualDeadMin, doubling up to AccrualDeadMax, and a probe decides
	// its return. Default true in TOML; in YAML it follows auto_eject_hosts.
	FailureAccrual bool
	// AccrualSuccessRate is the success rate under which a server is dead;
	// 0 turns the rule off. Default 0.8; off for a pool with auto_eject_hosts.
	AccrualSuccessRate float64
	// AccrualWindow is the success rate's window. Default 30s.
	AccrualWindow time.Duration
	// AccrualMinRequests is how many requests the window needs. Default 5.
	AccrualMinRequests int
	// AccrualConsecutive is the number of failures in a row that mark a
	// server dead; 0 turns the rule off. Default 5; server_failure_limit
	// for a pool with auto_eject_hosts.
	AccrualConsecutive int
	// AccrualDeadMin and AccrualDeadMax bound how long a dead server stays
	// out. Defaults 5s and 300s; both server_retry_timeout for a pool with
	// auto_eject_hosts.
	AccrualDeadMin, AccrualDeadMax time.Duration
	// Breaker adds a circuit breaker per server (sony/gobreaker): it opens
	// after AccrualConsecutive failures in a row and half-opens after
	// AccrualDeadMin. Default false.
	Breaker bool
	// ReconnectMin and ReconnectMax bound the jittered backoff between
	// failed connects, while requests to the server fail fast. Defaults 1s
	// and 32s.
	ReconnectMin, ReconnectMax time.Duration
	// ReadPolicy is ReadPrimary, ReadReplica or ReadNearest. Default primary
	// ("" in a Pool built in code means the same, as for the other names).
	ReadPolicy string
	// Failover names the pool (the other datacenter) that serves the keys
	// of a dead server of this pool. Default none.
	Failover string
	// FailoverMode is FailoverAuto, FailoverOff or FailoverForce. Default auto.
	FailoverMode string
	// HealthCheckInterval is how often each server is probed (PING or
	// version) while it is dead, or always when the pool has replicas or a
	// failover pool. Default 1s.
	HealthCheckInterval time.Duration
	// FailbackProbes is how many good probes in a row bring a dead server's
	// keys back from the failover pool or its replicas. Default 3.
	FailbackProbes int
	// MGetPartial is PartialError or PartialNil: what a Redis MGET answers
	// when the server of some of its keys failed. Default error.
	MGetPartial string
}

func defaultStack(format string) Stack {
	return Stack{
		Enabled:             true,
		Retries:             DefaultRetries,
		RetryBudgetPercent:  DefaultRetryBudgetPercent,
		RetryBudgetPerSec:   DefaultRetryBudgetPerSec,
		FailureAccrual:      format != formatYAML,
		AccrualSuccessRate:  DefaultAccrualSuccessRate,
		AccrualWindow:       DefaultAccrualWindow,
		AccrualMinRequests:  DefaultAccrualMinRequests,
		AccrualConsecutive:  DefaultAccrualConsecutive,
		AccrualDeadMin:      DefaultAccrualDeadMin,
		AccrualDeadMax:      DefaultAccrualDeadMax,
		ReconnectMin:        DefaultReconnectMin,
		ReconnectMax:        DefaultReconnectMax,
		ReadPolicy:          ReadPrimary,
		FailoverMode:        FailoverAuto,
		HealthCheckInterval: DefaultHealthCheckInterval,
		FailbackProbes:      DefaultFailbackProbes,
		MGetPartial:         PartialError,
	}
}

// finishStack maps twemproxy's auto_eject_hosts settings onto failure
// accrual, for the accrual keys the file does not set: a server is ejected
// after server_failure_limit failures in a row and stays out for
// server_retry_timeout; the success-rate rule is off.
func (p *Pool) finishStack() {
	if !p.AutoEjectHosts {
		return
	}
	st := &p.Stack
	if _, set := p.lines["failure_accrual"]; !set {
		st.FailureAccrual = true
	}
	if _, set := p.lines["accrual_consecutive"]; !set {
		st.AccrualConsecutive = p.ServerFailureLimit
	}
	if _, set := p.lines["accrual_success_rate"]; !set {
		st.AccrualSuccessRate = 0
	}
	_, setMin := p.lines["accrual_dead_min"]
	_, setMax := p.lines["accrual_dead_max"]
	if !setMin {
		st.AccrualDeadMin = p.ServerRetryTimeout
	}
	if !setMax {
		st.AccrualDeadMax = max(p.ServerRetryTimeout, st.AccrualDeadMin)
	}
}

// stackKeys are the TOML keys of Stack.
var stackKeys = map[string]func(p *Pool, v *tnode) error{
	"client_stack":          tomlSetBool(func(p *Pool) *bool { return &p.Stack.Enabled }),
	"retries":               tomlSetInt(func(p *Pool) *int { return &p.Stack.Retries }),
	"retry_budget_percent":  tomlSetFloat(func(p *Pool) *float64 { return &p.Stack.RetryBudgetPercent }),
	"retry_budget_per_sec":  tomlSetInt(func(p *Pool) *int { return &p.Stack.RetryBudgetPerSec }),
	"failure_accrual":       tomlSetBool(func(p *Pool) *bool { return &p.Stack.FailureAccrual }),
	"accrual_success_rate":  tomlSetFloat(func(p *Pool) *float64 { return &p.Stack.AccrualSuccessRate }),
	"accrual_window":        tomlSetDuration(func(p *Pool) *time.Duration { return &p.Stack.AccrualWindow }),
	"accrual_min_requests":  tomlSetInt(func(p *Pool) *int { return &p.Stack.AccrualMinRequests }),
	"accrual_consecutive":   tomlSetInt(func(p *Pool) *int { return &p.Stack.AccrualConsecutive }),
	"accrual_dead_min":      tomlSetDuration(func(p *Pool) *time.Duration { return &p.Stack.AccrualDeadMin }),
	"accrual_dead_max":      tomlSetDuration(func(p *Pool) *time.Duration { return &p.Stack.AccrualDeadMax }),
	"breaker":               tomlSetBool(func(p *Pool) *bool { return &p.Stack.Breaker }),
	"reconnect_min":         tomlSetDuration(func(p *Pool) *time.Duration { return &p.Stack.ReconnectMin }),
	"reconnect_max":         tomlSetDuration(func(p *Pool) *time.Duration { return &p.Stack.ReconnectMax }),
	"read_policy":           tomlSetString(func(p *Pool) *string { return &p.Stack.ReadPolicy }),
	"failover":              tomlSetString(func(p *Pool) *string { return &p.Stack.Failover }),
	"failover_mode":         tomlSetString(func(p *Pool) *string { return &p.Stack.FailoverMode }),
	"health_check_interval": tomlSetDuration(func(p *Pool) *time.Duration { return &p.Stack.HealthCheckInterval }),
	"failback_probes":       tomlSetInt(func(p *Pool) *int { return &p.Stack.FailbackProbes }),
	"mget_partial":          tomlSetString(func(p *Pool) *string { return &p.Stack.MGetPartial }),
	"replicas":              nil, // read by tomlReplicas once servers are known
}

func init() {
	for k, f := range stackKeys {
		tomlKeys[k] = f
	}
}

func tomlSetFloat(field func(*Pool) *float64) func(*Pool, *tnode) error {
	return func(p *Pool, v *tnode) error {
		var n float64
		_, err := fmt.Sscan(v.text, &n)
		if (v.kind != unstable.Float && v.kind != unstable.Integer) || err != nil {
			return fmt.Errorf("is %s; want a number", v.describe())
		}
		*field(p) = n
		return nil
	}
}

// tomlReplicas reads replicas = { "primary addr or name" = ["host:port", ...] }
// and attaches each list to its server.
func tomlReplicas(ps *problems, key string, p *Pool, v *tnode) {
	if v.kind != unstable.Table {
		ps.add(v.line, key, ErrInvalid, fmt.Sprintf(`is %s; want a table such as { "127.0.0.1:6379" = ["127.0.0.1:6380"] }`, v.describe()))
		return
	}
	for _, primary := range v.keys {
		list := v.kids[primary]
		i := p.serverIndex(primary)
		if i < 0 {
			ps.add(list.line, key, ErrInvalid, fmt.Sprintf("%q is not the address or name of a server of this pool", primary))
			continue
		}
		p.Servers[i].Replicas = tomlServers(ps, key, list)
	}
}

// serverIndex returns the index of the server with address or name s, or -1.
func (p *Pool) serverIndex(s string) int {
	for i, sv := range p.Servers {
		if sv.Addr == s || (sv.Name != "" && sv.Name == s) {
			return i
		}
	}
	return -1
}

// validateStack checks the client stack keys of p.
func (c *Config) validateStack(p *Pool, bad func(string, error, string, ...any)) {
	st := p.Stack
	for _, n := range []struct {
		key string
		v   int64
	}{
		{"retries", int64(st.Retries)},
		{"retry_budget_per_sec", int64(st.RetryBudgetPerSec)},
		{"accrual_min_requests", int64(st.AccrualMinRequests)},
		{"accrual_consecutive", int64(st.AccrualConsecutive)},
		{"failback_probes", int64(st.FailbackProbes)},
		{"accrual_window", int64(st.AccrualWindow)},
		{"accrual_dead_min", int64(st.AccrualDeadMin)},
		{"reconnect_min", int64(st.ReconnectMin)},
		{"health_check_interval", int64(st.HealthCheckInterval)},
	} {
		if n.v < 0 {
			bad(n.key, ErrInvalid, "is negative")
		}
	}
	if st.RetryBudgetPercent < 0 || st.RetryBudgetPercent > 10 {
		bad("retry_budget_percent", ErrInvalid, "is %g; want a share from 0 to 10 (0.2 is 20%%)", st.RetryBudgetPercent)
	}
	if st.AccrualSuccessRate < 0 || st.AccrualSuccessRate > 1 {
		bad("accrual_success_rate", ErrInvalid, "is %g; want 0 (off) to 1", st.AccrualSuccessRate)
	}
	if st.AccrualDeadMax < st.AccrualDeadMin {
		bad("accrual_dead_max", ErrInvalid, "is %s, less than accrual_dead_min %s", st.AccrualDeadMax, st.AccrualDeadMin)
	}
	if st.ReconnectMax < st.ReconnectMin {
		bad("reconnect_max", ErrInvalid, "is %s, less than reconnect_min %s", st.ReconnectMax, st.ReconnectMin)
	}
	oneOf := func(key, v string, want ...string) {
		if v == "" { // a Pool built in code: the default
			return
		}
		for _, w := range want {
			if v == w {
				return
			}
		}
		bad(key, ErrInvalid, "unknown value %q; want one of %v", v, want)
	}
	oneOf("read_policy", st.ReadPolicy, ReadPrimary, ReadReplica, ReadNearest)
	oneOf("failover_mode", st.FailoverMode, FailoverAuto, FailoverOff, FailoverForce)
	oneOf("mget_partial", st.MGetPartial, PartialError, PartialNil)
	if st.Failover != "" {
		c.validateFailover(p, bad)
	}
	for _, sv := range p.Servers {
		for _, r := range sv.Replicas {
			if msg := checkServer(r); msg != "" {
				bad("replicas", ErrInvalid, "replica of %s: %s", sv.Addr, msg)
			}
		}
	}
}

// validateFailover checks that p's failover pool exists and can serve p's keys.
func (c *Config) validateFailover(p *Pool, bad func(string, error, string, ...any)) {
	for i := range c.Pools {
		f := &c.Pools[i]
		if f.Name != p.Stack.Failover {
			continue
		}
		switch {
		case f.Name == p.Name:
			bad("failover", ErrInvalid, "a pool cannot fail over to itself")
		case f.Protocol != p.Protocol:
			bad("failover", ErrInvalid, "pool %q speaks %s, this pool %s", f.Name, f.Protocol, p.Protocol)
		case f.Stack.Failover != "":
			bad("failover", ErrInvalid, "pool %q has a failover pool of its own; chains are not supported", f.Name)
		}
		return
	}
	bad("failover", ErrInvalid, "no pool named %q", p.Stack.Failover)
}
