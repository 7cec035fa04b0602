package proxy

import (
	"sort"
	"sync/atomic"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/memcache"
	"github.com/fae-dev/fae/rediscmd"
	"github.com/fae-dev/fae/service"
	"github.com/prometheus/client_golang/prometheus"
)

// counters are a pool's client-side counters: connections and, per command,
// requests, error replies and latency from parse to reply. They are plain
// atomics on the request path; a prometheus Collector and the /stats
// snapshot read them. They belong to the slot, so a reload keeps them.
type counters struct {
	pool       string
	conns      atomic.Int64 // open now
	connsTotal atomic.Int64
	clientEOF  atomic.Int64
	clientErr  atomic.Int64
	cmds       []cmdCounter // by command index; the last is "other"
	names      []string
}

// nBuckets is len(service.LatencyBuckets) plus the +Inf bucket (checked by
// a test).
const nBuckets = 18

// cmdCounter counts one command.
type cmdCounter struct {
	n, errs atomic.Int64
	sumUS   atomic.Int64 // total latency in microseconds
	buckets [nBuckets]atomic.Int64
}

func newCounters(pool, protocol string) *counters {
	c := &counters{pool: pool}
	if protocol == config.ProtocolMemcache {
		for k := range memcache.NumKinds {
			c.names = append(c.names, memcache.Kind(k).String())
		}
	} else {
		c.names = make([]string, rediscmd.Count())
		for _, cmd := range rediscmd.All() {
			c.names[cmd.ID] = cmd.Name
		}
	}
	c.names = append(c.names, "other")
	c.cmds = make([]cmdCounter, len(c.names))
	return c
}

// other is the index of commands without a name of their own.
func (c *counters) other() int { return len(c.cmds) - 1 }

// observe counts one reply to command idx that took d.
func (c *counters) observe(idx int, d time.Duration, isErr bool) {
	if idx < 0 || idx >= len(c.cmds) {
		idx = c.other()
	}
	cc := &c.cmds[idx]
	cc.n.Add(1)
	if isErr {
		cc.errs.Add(1)
	}
	cc.sumUS.Add(int64(d / time.Microsecond))
	ms := float64(d) / float64(time.Millisecond)
	b := sort.SearchFloat64s(service.LatencyBuckets, ms)
	cc.buckets[b].Add(1)
}

// cmdStats are one command's counters and its total latency.
type cmdStats struct {
	admin.CommandStats
	sumMS float64
}

// commandStats returns the counters of every command used so far.
func (c *counters) commandStats() (out []cmdStats, requests, errs int64) {
	for i := range c.cmds {
		cc := &c.cmds[i]
		n := cc.n.Load()
		if n == 0 {
			continue
		}
		cs := cmdStats{CommandStats: admin.CommandStats{Name: c.names[i], Requests: n, Errors: cc.errs.Load()},
			sumMS: float64(cc.sumUS.Load()) / 1000}
		var cum int64
		for j := range cc.buckets {
			cum += cc.buckets[j].Load()
			le := 1e308
			if j < len(service.LatencyBuckets) {
				le = service.LatencyBuckets[j]
			}
			cs.LatencyBuckets = append(cs.LatencyBuckets, admin.Bucket{LE: le, Count: cum})
		}
		requests += cs.Requests
		errs += cs.Errors
		out = append(out, cs)
	}
	return out, requests, errs
}

// collector exports the counters of every slot to prometheus at scrape
// time, so the request path pays only for atomics.
type collector struct {
	srv                         *Server
	conns, connsTotal, eof, err *prometheus.Desc
	requests, errors, latency   *prometheus.Desc
}

func newCollector(s *Server) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("fae_proxy_"+name, help, labels, nil)
	}
	return &collector{
		srv:        s,
		conns:      d("client_connections", "Client connections open now (running and parked).", "pool"),
		connsTotal: d("client_connections_total", "Client connections accepted.", "pool"),
		eof:        d("client_eof_total", "Client connections closed by the client.", "pool"),
		err:        d("client_err_total", "Client connections closed after a protocol error.", "pool"),
		requests:   d("commands_total", "Client commands answered.", "pool", "command"),
		errors:     d("command_errors_total", "Client commands answered with an error.", "pool", "command"),
		latency:    d("command_latency_ms", "Time from reading a command to writing its reply, in milliseconds.", "pool", "command"),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.connsTotal, c.eof, c.err, c.requests, c.errors, c.latency} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, sl := range c.srv.slotList() {
		k := sl.counters
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(k.conns.Load()), k.pool)
		ch <- prometheus.MustNewConstMetric(c.connsTotal, prometheus.CounterValue, float64(k.connsTotal.Load()), k.pool)
		ch <- prometheus.MustNewConstMetric(c.eof, prometheus.CounterValue, float64(k.clientEOF.Load()), k.pool)
		ch <- prometheus.MustNewConstMetric(c.err, prometheus.CounterValue, float64(k.clientErr.Load()), k.pool)
		cmds, _, _ := k.commandStats()
		for _, cs := range cmds {
			ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(cs.Requests), k.pool, cs.Name)
			ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(cs.Errors), k.pool, cs.Name)
			buckets := map[float64]uint64{}
			for _, b := range cs.LatencyBuckets[:len(service.LatencyBuckets)] {
				buckets[b.LE] = uint64(b.Count)
			}
			ch <- prometheus.MustNewConstHistogram(c.latency, uint64(cs.Requests), cs.sumMS, buckets, k.pool, cs.Name)
		}
	}
}

// SlowLogger receives slow requests (logs.SlowLog implements it).
type SlowLogger interface {
	Observe(d time.Duration, pool, command, key, server string)
}

// observe counts the reply of c (metrics on) and reports it to the slow log
// when it took longer than SlowAfter.
func (s *session) observe(c *call, reply []byte) {
	if !s.srv.metricsOn || c.t0.IsZero() {
		return
	}
	d := time.Since(c.t0)
	k := s.slot.counters
	k.observe(int(c.cmdIdx), d, s.front.isError(reply))
	if s.srv.SlowLog != nil && s.srv.SlowAfter > 0 && d >= s.srv.SlowAfter {
		server := ""
		if c.srv != nil {
			server = c.srv.name
		}
		name := "other"
		if int(c.cmdIdx) < len(k.names) {
			name = k.names[c.cmdIdx]
		}
		s.srv.SlowLog.Observe(d, k.pool, name, string(c.routeKey), server)
	}
}
