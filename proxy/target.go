package proxy

import (
	"errors"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/config"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

var _ admin.Target = (*Server)(nil)

// Reload reads the config file faed was started with again and applies it.
func (s *Server) Reload() error {
	s.mu.Lock()
	file := s.cfg.File
	s.mu.Unlock()
	if file == "" {
		s.ops.reloadErrs.Add(1)
		return errors.New("faed runs the built-in default config (no -c file): nothing to reload")
	}
	return s.ReloadFile(file)
}

// Gatherer returns the registry /metrics serves.
func (s *Server) Gatherer() prometheus.Gatherer { return s.registry }

// Config returns the running config with passwords and tokens redacted.
func (s *Server) Config() any {
	s.mu.Lock()
	cfg := *s.cfg
	s.mu.Unlock()
	cfg.Pools = append([]config.Pool(nil), cfg.Pools...)
	for i := range cfg.Pools {
		if cfg.Pools[i].RedisAuth != "" {
			cfg.Pools[i].RedisAuth = "REDACTED"
		}
	}
	if cfg.Server.AdminToken != "" {
		cfg.Server.AdminToken = "REDACTED"
	}
	return cfg
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() admin.Stats {
	st := admin.Stats{
		Service: "faed", Version: Version, Time: time.Now(),
		UptimeSeconds: time.Since(s.started).Seconds(),
		InFlight:      s.ops.inflight.Load(), Shed: s.ops.shed.Load(),
		Reloads: s.ops.reloads.Load(), ReloadErrors: s.ops.reloadErrs.Load(),
		Switches: []admin.Switch{},
	}
	for _, sl := range s.slotList() {
		p := sl.pool()
		k := sl.counters
		ps := admin.PoolStats{Name: sl.name, Listen: p.cfg.Listen, Protocol: p.cfg.Protocol, Failover: p.cfg.Stack.Failover,
			ClientConns: k.conns.Load(), ClientEOF: k.clientEOF.Load(), ClientErr: k.clientErr.Load()}
		if a := s.Addr(sl.name); a != nil {
			ps.Listen = a.String()
		}
		var cmds []cmdStats
		cmds, ps.Requests, ps.Errors = k.commandStats()
		for _, cs := range cmds {
			ps.Commands = append(ps.Commands, cs.CommandStats)
		}
		if p.chain != nil {
			ps.Chain = chainStats(p)
		}
		for _, t := range p.targets[:len(p.targets)-p.foLen()] {
			ps.Servers = append(ps.Servers, s.serverStats(p, t))
		}
		st.ClientConns += ps.ClientConns
		st.TotalClientConns += k.connsTotal.Load()
		st.Switches = append(st.Switches, sl.switches.Load().list(sl.name)...)
		st.Pools = append(st.Pools, ps)
	}
	return st
}

// serverStats reads one server's counters from its metrics.
func (s *Server) serverStats(p *Pool, t *server) admin.ServerStats {
	ss := admin.ServerStats{Name: t.name, StatsName: t.node.Name, Role: "primary", Alive: t.alive(), ForcedDown: t.forced.Load(), EjectedAt: t.deadAt.Load()}
	switch {
	case t.cache != nil:
		ss.Role = "servant"
	case t.primary != nil:
		ss.Role = "replica"
	}
	ss.FailedOver = !ss.Alive && t.primary == nil && p.failover != nil && p.stack != nil && p.stack.failoverAuto
	m := t.m
	if m == nil {
		return ss
	}
	ss.Requests = int64(value(m.Requests))
	ss.Success = int64(value(m.Success))
	ss.Pending = int64(value(m.Pending))
	ss.Connections = int64(value(m.Connections))
	ss.Ejects = int64(value(m.Removals))
	ss.RequestBytes = int64(value(m.RequestBytes))
	ss.ResponseBytes = int64(value(m.ResponseBytes))
	ss.Failures, ss.Timeouts = m.FailureTotals()
	if h, ok := m.Latency.(prometheus.Metric); ok {
		ss.LatencyBuckets = buckets(h)
	}
	return ss
}

// value reads a counter or gauge.
func value(c prometheus.Metric) float64 {
	var d dto.Metric
	if c == nil || c.Write(&d) != nil {
		return 0
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	return 0
}

// buckets reads a histogram as cumulative buckets, +Inf last.
func buckets(h prometheus.Metric) []admin.Bucket {
	var d dto.Metric
	if h.Write(&d) != nil || d.Histogram == nil {
		return nil
	}
	var out []admin.Bucket
	for _, b := range d.Histogram.GetBucket() {
		out = append(out, admin.Bucket{LE: b.GetUpperBound(), Count: int64(b.GetCumulativeCount())})
	}
	return append(out, admin.Bucket{LE: 1e308, Count: int64(d.Histogram.GetSampleCount())})
}

func chainStats(p *Pool) *admin.ChainStats {
	st := p.chain.Stats()
	cs := &admin.ChainStats{Misses: st.Misses, NegativeHits: st.NegativeHits, Coalesced: st.Coalesced,
		StoreReads: st.StoreReads, WriteBacks: st.WriteBacks, Errors: st.Errors}
	for i, name := range p.cfg.Tier.Tiers {
		if i < len(st.Hits) {
			cs.Tiers = append(cs.Tiers, admin.TierHits{Name: name, Hits: st.Hits[i]})
		}
	}
	return cs
}
