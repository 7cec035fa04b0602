package service

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// LatencyBuckets are the upper bounds, in milliseconds, of the latency
// histograms.
var LatencyBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}

// Metrics holds the client stack's metrics, named after Finagle's client
// stats with the prefix fae_client_ and labelled by pool (the client) and
// server (the endpoint). One Metrics serves every pool of a process; make it
// once with NewMetrics and hand out Client and Endpoint views, which are
// cheap to use on the request path (their children are looked up once).
// Safe for concurrent use.
type Metrics struct {
	requests, success, failures     *prometheus.CounterVec
	pending                         *prometheus.GaugeVec
	latency                         *prometheus.HistogramVec
	connections                     *prometheus.GaugeVec
	connects, closechan             *prometheus.CounterVec
	connDuration                    *prometheus.HistogramVec
	poolSize, poolWaiters           *prometheus.GaugeVec
	retries, budgetExhausted        *prometheus.CounterVec
	removals, revivals              *prometheus.CounterVec
	balancerSize                    *prometheus.GaugeVec
	balancerAdds, balancerRemoves   *prometheus.CounterVec
	failoverActive                  *prometheus.GaugeVec
	failovers, failbacks, probesBad *prometheus.CounterVec
	reqBytes, respBytes             *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg; a nil reg
// leaves them unregistered (they still count, for tests and benchmarks).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	ep := []string{"pool", "server"}
	cl := []string{"pool"}
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "fae", Subsystem: "client", Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "fae", Subsystem: "client", Name: name, Help: help}, labels)
	}
	hist := func(name, help string, labels []string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "fae", Subsystem: "client", Name: name, Help: help, Buckets: LatencyBuckets}, labels)
	}
	m := &Metrics{
		requests:        counter("requests_total", "Requests sent to the server (retries included).", ep),
		success:         counter("success_total", "Requests that got a reply.", ep),
		failures:        counter("failures_total", "Requests that failed, by cause.", append(ep, "cause")),
		pending:         gauge("pending", "Requests sent and not yet answered.", ep),
		latency:         hist("request_latency_ms", "Time from send to reply or failure, in milliseconds.", ep),
		connections:     gauge("connections", "Open connections to the server.", ep),
		connects:        counter("connects_total", "Connections established.", ep),
		closechan:       counter("closechan_total", "Connections closed (by either side or after an error).", ep),
		connDuration:    hist("connection_duration_ms", "How long closed connections were open, in milliseconds.", ep),
		poolSize:        gauge("pool_size", "Connections held by a connection pool (idle and in use).", ep),
		poolWaiters:     gauge("pool_waiters", "Requests waiting for a pooled connection.", ep),
		retries:         counter("retries_total", "Requests retried.", cl),
		budgetExhausted: counter("retry_budget_exhausted_total", "Retries refused because the retry budget was empty.", cl),
		removals:        counter("failure_accrual_removals_total", "Times failure accrual marked the server dead.", ep),
		revivals:        counter("failure_accrual_revivals_total", "Times a dead server came back.", ep),
		balancerSize:    gauge("balancer_size", "Endpoints a balancer chooses from (live servers of the pool).", cl),
		balancerAdds:    counter("balancer_adds_total", "Endpoints added to a balancer.", cl),
		balancerRemoves: counter("balancer_removes_total", "Endpoints removed from a balancer.", cl),
		failoverActive:  gauge("failover_active", "1 while the server's keys are served by the failover pool.", ep),
		failovers:       counter("failovers_total", "Times the server's keys moved to the failover pool.", ep),
		failbacks:       counter("failbacks_total", "Times the server's keys came back from the failover pool.", ep),
		probesBad:       counter("health_probe_failures_total", "Active health probes that failed.", ep),
		reqBytes:        counter("request_bytes_total", "Bytes of requests sent to the server.", ep),
		respBytes:       counter("response_bytes_total", "Bytes of replies received from the server.", ep),
	}
	if reg != nil {
		for _, c := range m.collectors() {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.success, m.failures, m.pending, m.latency,
		m.connections, m.connects, m.closechan, m.connDuration, m.poolSize, m.poolWaiters,
		m.retries, m.budgetExhausted, m.removals, m.revivals, m.balancerSize, m.balancerAdds,
		m.balancerRemoves, m.failoverActive, m.failovers, m.failbacks, m.probesBad,
		m.reqBytes, m.respBytes}
}

// Forget drops the series of a pool, for a pool removed by a reload.
func (m *Metrics) Forget(pool string) {
	for _, c := range m.collectors() {
		if v, ok := c.(interface {
			DeletePartialMatch(prometheus.Labels) int
		}); ok {
			v.DeletePartialMatch(prometheus.Labels{"pool": pool})
		}
	}
}

// Client is the view of Metrics for one pool.
type Client struct {
	Retries, BudgetExhausted      prometheus.Counter
	BalancerSize                  prometheus.Gauge
	BalancerAdds, BalancerRemoves prometheus.Counter
}

// Client returns the metrics of pool.
func (m *Metrics) Client(pool string) *Client {
	return &Client{
		Retries:         m.retries.WithLabelValues(pool),
		BudgetExhausted: m.budgetExhausted.WithLabelValues(pool),
		BalancerSize:    m.balancerSize.WithLabelValues(pool),
		BalancerAdds:    m.balancerAdds.WithLabelValues(pool),
		BalancerRemoves: m.balancerRemoves.WithLabelValues(pool),
	}
}

// Endpoint is the view of Metrics for one server of one pool.
type Endpoint struct {
	Requests, Success           prometheus.Counter
	Pending                     prometheus.Gauge
	Latency                     prometheus.Observer
	Connections                 prometheus.Gauge
	Connects, Closechan         prometheus.Counter
	ConnectionDuration          prometheus.Observer
	PoolSize, PoolWaiters       prometheus.Gauge
	Removals, Revivals          prometheus.Counter
	FailoverActive              prometheus.Gauge
	Failovers, Failbacks        prometheus.Counter
	HealthProbeFailures         prometheus.Counter
	RequestBytes, ResponseBytes prometheus.Counter
	failures                    *prometheus.CounterVec
	mu                          sync.Mutex
	byCause                     map[string]prometheus.Counter
}

// Endpoint returns the metrics of server in pool.
func (m *Metrics) Endpoint(pool, server string) *Endpoint {
	return &Endpoint{
		Requests:            m.requests.WithLabelValues(pool, server),
		Success:             m.success.WithLabelValues(pool, server),
		Pending:             m.pending.WithLabelValues(pool, server),
		Latency:             m.latency.WithLabelValues(pool, server),
		Connections:         m.connections.WithLabelValues(pool, server),
		Connects:            m.connects.WithLabelValues(pool, server),
		Closechan:           m.closechan.WithLabelValues(pool, server),
		ConnectionDuration:  m.connDuration.WithLabelValues(pool, server),
		PoolSize:            m.poolSize.WithLabelValues(pool, server),
		PoolWaiters:         m.poolWaiters.WithLabelValues(pool, server),
		Removals:            m.removals.WithLabelValues(pool, server),
		Revivals:            m.revivals.WithLabelValues(pool, server),
		FailoverActive:      m.failoverActive.WithLabelValues(pool, server),
		Failovers:           m.failovers.WithLabelValues(pool, server),
		Failbacks:           m.failbacks.WithLabelValues(pool, server),
		HealthProbeFailures: m.probesBad.WithLabelValues(pool, server),
		RequestBytes:        m.reqBytes.WithLabelValues(pool, server),
		ResponseBytes:       m.respBytes.WithLabelValues(pool, server),
		failures:            m.failures.MustCurryWith(prometheus.Labels{"pool": pool, "server": server}),
		byCause:             map[string]prometheus.Counter{},
	}
}

// Failure counts one failed request of the given cause (see Cause).
func (e *Endpoint) Failure(cause string) {
	e.mu.Lock()
	c := e.byCause[cause]
	if c == nil {
		c = e.failures.WithLabelValues(cause)
		e.byCause[cause] = c
	}
	e.mu.Unlock()
	c.Inc()
}

// FailureTotals returns the failures counted so far, in all and of cause
// "timeout".
func (e *Endpoint) FailureTotals() (all, timeouts int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for cause, c := range e.byCause {
		var d dto.Metric
		if c.Write(&d) != nil || d.Counter == nil {
			continue
		}
		n := int64(d.Counter.GetValue())
		all += n
		if cause == "timeout" {
			timeouts += n
		}
	}
	return all, timeouts
}
