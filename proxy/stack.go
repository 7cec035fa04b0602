package proxy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/fae-dev/fae/backend"
	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/service"
	"github.com/sony/gobreaker/v2"
)

// stack is a pool's client stack, applied to the pipelined calls of its
// sessions: every call to a backend server is counted (metrics), its outcome
// feeds the server's failure accrual (and breaker), and a call that failed
// before reaching the server, or an idempotent read whose connection was
// reset, is sent again within the retry budget. These are the rules of the
// service package's filters, driven by the call's completion callback
// rather than by a blocking call, so no request needs a goroutine.
type stack struct {
	retries       int
	budget        *service.Budget
	metrics       *service.Client
	accrual       bool
	accrualCfg    service.AccrualConfig
	breaker       bool
	readPolicy    service.Policy
	readReplicas  bool // the read policy uses replicas at all
	failoverAuto  bool
	forceFailover bool
	mgetNil       bool
}

func newStack(cfg config.Pool, m *service.Metrics) *stack {
	st := cfg.Stack
	s := &stack{
		retries:       st.Retries,
		budget:        service.NewBudget(service.BudgetConfig{Percent: orNeg(st.RetryBudgetPercent), MinPerSec: st.RetryBudgetPerSec}),
		metrics:       m.Client(cfg.Name),
		accrual:       st.FailureAccrual,
		breaker:       st.Breaker,
		failoverAuto:  st.FailoverMode == "" || st.FailoverMode == config.FailoverAuto,
		forceFailover: st.FailoverMode == config.FailoverForce,
		mgetNil:       st.MGetPartial == config.PartialNil,
		readPolicy:    service.LeastLoaded,
	}
	switch st.ReadPolicy {
	case config.ReadReplica:
		s.readReplicas = true
	case config.ReadNearest:
		s.readReplicas, s.readPolicy = true, service.PeakEWMA
	}
	s.accrualCfg = service.AccrualConfig{
		SuccessRate: orNeg(st.AccrualSuccessRate),
		Window:      st.AccrualWindow,
		MinRequests: st.AccrualMinRequests,
		Consecutive: int(orNeg(float64(st.AccrualConsecutive))),
		DeadMin:     st.AccrualDeadMin,
		DeadMax:     st.AccrualDeadMax,
	}
	if cfg.AutoEjectHosts {
		s.accrualCfg.Jitter = -1 // twemproxy's retry timeout is exact
	}
	return s
}

// orNeg maps a config's 0 ("off") to the service package's negative "off".
func orNeg(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

// equip gives server s its metrics, accrual and breaker, and hooks its
// connection events into the metrics.
func (st *stack) equip(s *server, bc *backend.Config, pool string, m *service.Metrics) {
	s.m = m.Endpoint(pool, s.name)
	if st.accrual {
		s.acc = service.NewAccrual(st.accrualCfg)
	}
	if st.breaker {
		s.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
			Name:    s.name,
			Timeout: st.accrualCfg.DeadMin,
			ReadyToTrip: func(c gobreaker.Counts) bool {
				return c.ConsecutiveFailures >= uint32(max(st.accrualCfg.Consecutive, 1))
			},
		})
	}
	em := s.m
	bc.OnConnect = func() {
		em.Connects.Inc()
		em.Connections.Inc()
	}
	bc.OnDisconnect = func(open time.Duration) {
		em.Closechan.Inc()
		em.Connections.Dec()
		em.ConnectionDuration.Observe(float64(open) / float64(time.Millisecond))
	}
}

// pickMember chooses among a shard and its replicas for a read, by the read
// policy over the live members; nil when none is live.
func (st *stack) pickMember(sv *server) *server {
	if !st.readReplicas {
		if sv.alive() {
			return sv
		}
		return liveReplica(sv)
	}
	if st.readPolicy == service.LeastLoaded { // "replica": the primary only as a last resort
		if r := st.pickAmong(sv.replicas, nil); r != nil {
			return r
		}
		if sv.alive() {
			return sv
		}
		return nil
	}
	return st.pickAmong(sv.replicas, sv)
}

// pickAmong picks two live servers of rs (and extra, when not nil) at random
// and returns the one with the lower load under the read policy.
func (st *stack) pickAmong(rs []*server, extra *server) *server {
	n := len(rs)
	if extra != nil {
		n++
	}
	member := func(i int) *server {
		if i == len(rs) {
			return extra
		}
		return rs[i]
	}
	var a, b *server
	for range 2 * n { // a few random draws find live members without allocating
		c := member(rand.IntN(n))
		if !c.alive() {
			continue
		}
		if a == nil {
			a = c
		} else if c != a {
			b = c
			break
		}
	}
	if a == nil {
		for i := range n { // unlucky draws: scan
			if c := member(i); c.alive() {
				return c
			}
		}
		return nil
	}
	if b == nil {
		return a
	}
	if st.readPolicy == service.PeakEWMA {
		now := time.Now()
		if b.load.Cost(now) < a.load.Cost(now) {
			return b
		}
		return a
	}
	if b.load.Outstanding() < a.load.Outstanding() {
		return b
	}
	return a
}

func liveReplica(sv *server) *server {
	for _, r := range sv.replicas {
		if r.alive() {
			return r
		}
	}
	return nil
}

// deadError is the error of a request whose server failure accrual took out
// of service, when nothing else can serve its key.
func deadError(sv *server) error {
	when := ""
	if sv.acc != nil {
		if at := sv.acc.ProbeAt(); !at.IsZero() {
			when = fmt.Sprintf("; probed again in %s", max(time.Until(at), 0).Round(time.Millisecond))
		}
	}
	return &backend.Error{Server: sv.name, Err: fmt.Errorf("%w%s", service.ErrDead, when)}
}

// begin accounts for call c going to server sv (stack on): the retry budget
// deposit on the first try, the request metrics, the balancer load and the
// breaker. It returns false, having completed c, when the breaker refuses.
func (p *Pool) begin(c *call, sv *server, now time.Time) bool {
	if sv.m == nil { // a failover pool's server, with that pool's stack off
		c.srv = nil
		return true
	}
	if !sv.alive() {
		return p.refuse(c, deadError(sv))
	}
	if c.tries == 0 {
		p.stack.budget.Deposit(now)
	}
	if sv.cb != nil {
		done, err := sv.cb.Allow()
		if err != nil {
			return p.refuse(c, &backend.Error{Server: sv.name, Err: fmt.Errorf("%w: %v", service.ErrOpen, err)})
		}
		c.cbDone = done
	}
	c.srv, c.start = sv, now
	if sv.balanced {
		sv.load.BeginAt(now)
	}
	sv.m.Requests.Inc()
	sv.m.RequestBytes.Add(float64(len(c.Req)))
	sv.m.Pending.Inc()
	return true
}

// refuse completes c with err without sending it, and returns false.
func (p *Pool) refuse(c *call, err error) bool {
	c.srv = nil
	c.Call.Err = err
	c.Done()
	return false
}

// end accounts for the outcome of c at its server and decides whether it is
// retried; true means c was sent again and is not complete. It runs in the
// goroutine that completed c.
func (p *Pool) end(c *call) (retried bool) {
	sv := c.srv
	now := time.Now()
	if sv.balanced {
		sv.load.EndAt(c.start, now)
	}
	sv.m.Pending.Dec()
	sv.m.Latency.Observe(float64(now.Sub(c.start)) / float64(time.Millisecond))
	ok := c.Err == nil
	if c.cbDone != nil {
		c.cbDone(c.Err)
		c.cbDone = nil
	}
	if ok {
		sv.m.Success.Inc()
		sv.m.ResponseBytes.Add(float64(len(c.Reply)))
		if sv.acc != nil {
			sv.acc.Record(now, true)
		}
		return false
	}
	sv.m.Failure(failureCause(c.Err))
	if sv.acc != nil && sv.acc.Record(now, false) {
		sv.owner.markedDead(sv, "failure accrual")
	}
	return p.retry(c, now)
}

// failureCause names a backend error for the failures metric.
func failureCause(err error) string {
	switch {
	case errors.Is(err, backend.ErrTimeout):
		return "timeout"
	case errors.Is(err, backend.ErrReset):
		return "reset"
	case errors.Is(err, backend.ErrUnreachable):
		return "unavailable"
	case errors.Is(err, backend.ErrClosed):
		return "closed"
	case errors.Is(err, backend.ErrBadReply):
		return "bad_reply"
	case errors.Is(err, backend.ErrInit):
		return "init"
	}
	return service.Cause(err)
}

// retryable reports whether c may be sent again: it never reached its
// server, or it is an idempotent read whose connection was reset. A call
// that timed out is not: its deadline is spent.
func retryable(c *call) bool {
	switch {
	case errors.Is(c.Err, backend.ErrUnreachable):
		return true
	case errors.Is(c.Err, backend.ErrReset):
		return c.read
	}
	return false
}

// retry sends c again after a short jittered backoff when the stack allows
// it, and reports whether it did.
func (p *Pool) retry(c *call, now time.Time) bool {
	st := p.stack
	if int(c.tries) >= st.retries || !retryable(c) {
		return false
	}
	wait := time.Duration(5+rand.IntN(20)) * time.Millisecond << c.tries
	if !c.Deadline.IsZero() && now.Add(wait).After(c.Deadline) {
		return false
	}
	if !st.budget.Withdraw(now) {
		st.metrics.BudgetExhausted.Inc()
		return false
	}
	st.metrics.Retries.Inc()
	c.tries++
	time.AfterFunc(wait, func() { p.resend(c) })
	return true
}

// resend sends a retried call: to the key's server picked afresh when the
// call carries its key (the server may have been taken out meanwhile), else
// to the same server.
func (p *Pool) resend(c *call) {
	sv := c.srv
	if len(c.routeKey) > 0 {
		ti, err := p.pick(c.routeKey, c.read)
		if err != nil {
			c.srv = nil
			c.Call.Err = err
			c.Done()
			return
		}
		sv = p.targets[ti]
	}
	c.Call.Err, c.Reply = nil, c.Reply[:0]
	if !p.begin(c, sv, time.Now()) {
		return
	}
	conn := sv.be.Conn(c.connIdx)
	conn.Send(&c.Call)
	conn.Flush()
}
