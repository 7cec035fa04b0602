package service

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Finagle's failure accrual defaults, used for zero AccrualConfig fields.
const (
	DefaultSuccessRate   = 0.8
	DefaultAccrualWindow = 30 * time.Second
	DefaultMinRequests   = 5
	DefaultConsecutive   = 5
	DefaultDeadMin       = 5 * time.Second
	DefaultDeadMax       = 300 * time.Second
)

// AccrualConfig is a failure accrual policy. Zero fields take the defaults
// above; a negative SuccessRate or Consecutive turns that rule off.
type AccrualConfig struct {
	// SuccessRate marks an endpoint dead when its success rate over Window
	// drops below it, once MinRequests were made. Default 0.8.
	SuccessRate float64
	// Window is the success-rate window, in whole seconds. Default 30s.
	Window time.Duration
	// MinRequests is how many requests the window needs before the success
	// rate counts. Default 5.
	MinRequests int
	// Consecutive marks an endpoint dead after this many failures in a row.
	// Default 5.
	Consecutive int
	// DeadMin and DeadMax bound how long a dead endpoint stays out: the
	// first time about DeadMin, doubling each time its probe fails, up to
	// DeadMax, each jittered by ±Jitter. Defaults 5s and 300s.
	DeadMin, DeadMax time.Duration
	// Jitter is the randomization factor of the dead time, 0 to 1. Zero
	// means 0.5 (Finagle's equal jitter); a negative value means none.
	Jitter float64
}

func (c *AccrualConfig) fill() {
	if c.SuccessRate == 0 {
		c.SuccessRate = DefaultSuccessRate
	}
	if c.Window <= 0 {
		c.Window = DefaultAccrualWindow
	}
	if c.MinRequests <= 0 {
		c.MinRequests = DefaultMinRequests
	}
	if c.Consecutive == 0 {
		c.Consecutive = DefaultConsecutive
	}
	if c.DeadMin <= 0 {
		c.DeadMin = DefaultDeadMin
	}
	if c.DeadMax < c.DeadMin {
		c.DeadMax = max(DefaultDeadMax, c.DeadMin)
	}
	switch {
	case c.Jitter == 0:
		c.Jitter = 0.5
	case c.Jitter < 0:
		c.Jitter = 0
	case c.Jitter > 1:
		c.Jitter = 1
	}
}

// Accrual tracks one endpoint's failures and decides when it is dead and
// when it may be probed. It does not send probes itself: its owner asks
// ProbeAt, sends one probe request (or lets one real request through) and
// reports the outcome to Probed. Safe for concurrent use; Alive and Record
// take no lock on the success path.
type Accrual struct {
	cfg    AccrualConfig
	win    *window
	consec atomic.Int32
	dead   atomic.Bool

	mu      sync.Mutex // guards the fields below
	until   time.Time  // end of the current dead period
	deadFor time.Duration
}

// NewAccrual returns the policy of cfg for one endpoint, alive.
func NewAccrual(cfg AccrualConfig) *Accrual {
	cfg.fill()
	return &Accrual{cfg: cfg, win: newWindow(cfg.Window)}
}

// Config returns the policy's configuration with defaults filled in.
func (a *Accrual) Config() AccrualConfig { return a.cfg }

// Alive reports whether the endpoint is in service.
func (a *Accrual) Alive() bool { return !a.dead.Load() }

// Record counts the outcome of one request made at now. It returns true when
// this failure marked the endpoint dead (exactly one caller sees true for a
// removal). Outcomes recorded while dead are ignored.
func (a *Accrual) Record(now time.Time, ok bool) (removed bool) {
	if a.dead.Load() {
		return false
	}
	sec := now.Unix()
	if ok {
		a.win.at(sec).a.Add(1)
		if a.consec.Load() != 0 {
			a.consec.Store(0)
		}
		return false
	}
	a.win.at(sec).b.Add(1)
	n := a.consec.Add(1)
	if a.cfg.Consecutive > 0 && int(n) >= a.cfg.Consecutive {
		return a.MarkDead(now)
	}
	if a.cfg.SuccessRate > 0 {
		okN, failN := a.win.sums(sec)
		if total := okN + failN; total >= int64(a.cfg.MinRequests) && float64(okN)/float64(total) < a.cfg.SuccessRate {
			return a.MarkDead(now)
		}
	}
	return false
}

// MarkDead takes the endpoint out of service now, for the next dead period.
// It returns false when the endpoint was already dead.
func (a *Accrual) MarkDead(now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dead.Load() {
		return false
	}
	a.deadFor = a.cfg.DeadMin
	a.until = now.Add(a.jitter(a.deadFor))
	a.dead.Store(true)
	return true
}

// ProbeAt returns when a dead endpoint should be probed; zero when alive.
func (a *Accrual) ProbeAt() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.dead.Load() {
		return time.Time{}
	}
	return a.until
}

// Probed reports the outcome of a probe made at now. Success revives the
// endpoint (with a clean history) and returns true; failure keeps it dead
// for a doubled period, up to DeadMax.
func (a *Accrual) Probed(now time.Time, ok bool) (revived bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.dead.Load() {
		return false
	}
	if !ok {
		a.deadFor = min(2*a.deadFor, a.cfg.DeadMax)
		a.until = now.Add(a.jitter(a.deadFor))
		return false
	}
	a.reviveLocked()
	return true
}

// Revive puts the endpoint back in service at once (an operator's switch,
// or an active health check that passed). It returns false when it was alive.
func (a *Accrual) Revive() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.dead.Load() {
		return false
	}
	a.reviveLocked()
	return true
}

func (a *Accrual) reviveLocked() {
	a.consec.Store(0)
	a.win.reset()
	a.deadFor = 0
	a.until = time.Time{}
	a.dead.Store(false)
}

// jitter spreads d by ±cfg.Jitter so that endpoints marked dead together are
// not probed together.
func (a *Accrual) jitter(d time.Duration) time.Duration {
	if a.cfg.Jitter == 0 {
		return d
	}
	f := 1 + a.cfg.Jitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}
