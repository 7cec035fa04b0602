package service

import "time"

// Finagle's retry budget defaults, used for zero BudgetConfig fields.
const (
	DefaultBudgetPercent   = 0.2
	DefaultBudgetMinPerSec = 10
	DefaultBudgetTTL       = 10 * time.Second
)

// BudgetConfig sizes a retry budget. Zero fields take the defaults above; a
// negative Percent or MinPerSec means 0.
type BudgetConfig struct {
	// Percent of the requests of the last TTL that may be retried. Default 0.2.
	Percent float64
	// MinPerSec retries per second are always allowed, so that a client with
	// little traffic can still retry. Default 10.
	MinPerSec int
	// TTL is the window over which requests and retries are counted, in
	// whole seconds. Default 10s.
	TTL time.Duration
}

// Budget limits retries to a share of the requests, so that retries cannot
// multiply the load on a failing backend. Every request Deposits; every
// retry must Withdraw first. Safe for concurrent use and lock-free.
type Budget struct {
	percent float64
	reserve int64 // MinPerSec * TTL seconds
	win     *window
}

// NewBudget returns a budget of cfg.
func NewBudget(cfg BudgetConfig) *Budget {
	if cfg.Percent == 0 {
		cfg.Percent = DefaultBudgetPercent
	}
	if cfg.MinPerSec == 0 {
		cfg.MinPerSec = DefaultBudgetMinPerSec
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultBudgetTTL
	}
	b := &Budget{percent: max(cfg.Percent, 0), win: newWindow(cfg.TTL)}
	b.reserve = int64(max(cfg.MinPerSec, 0)) * int64(len(b.win.buckets))
	return b
}

// Deposit counts one request made at now.
func (b *Budget) Deposit(now time.Time) { b.win.at(now.Unix()).a.Add(1) }

// Withdraw takes one retry from the budget at now; false means the budget is
// exhausted and the request must not be retried.
func (b *Budget) Withdraw(now time.Time) bool {
	sec := now.Unix()
	if b.balance(sec) < 1 {
		return false
	}
	b.win.at(sec).b.Add(1)
	return true
}

// Balance returns how many retries the budget would allow at now.
func (b *Budget) Balance(now time.Time) int { return b.balance(now.Unix()) }

// balance is the reserve plus percent of the deposits, less the
// withdrawals, over the window ending at sec, rounded down. The epsilon
// keeps 0.29*100 from rounding down to 28.
func (b *Budget) balance(sec int64) int {
	deposits, withdrawals := b.win.sums(sec)
	allowed := float64(b.reserve) + b.percent*float64(deposits) + 1e-9
	return max(0, int(allowed)-int(withdrawals))
}
