package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Defaults of a zero ConnPoolConfig.
const (
	// DefaultPoolHigh is the default most connections of a pool.
	DefaultPoolHigh = 16
	// DefaultPoolMaxWaiters is the default bound of a pool's waiter queue.
	DefaultPoolMaxWaiters = 256
	// DefaultPoolIdleTTL is how long, by default, a connection above Low
	// may stay idle.
	DefaultPoolIdleTTL = 60 * time.Second
)

// ConnPoolConfig configures a ConnPool. Zero fields take the defaults
// documented on each; Dial and Close are required.
type ConnPoolConfig[C comparable] struct {
	// Dial opens a connection; ctx is the context of the Get that needs
	// it. Required.
	Dial func(ctx context.Context) (C, error)
	// Close closes a connection. Required. Its error is not reported, but
	// the connection's slot is freed either way.
	Close func(c C) error
	// Low is how many connections are kept open even when idle: the idle
	// reaper never brings the pool below Low. Connections are dialled
	// lazily, by Get, so a new pool holds none. Default 0.
	Low int
	// High is the most connections open (or being dialled) at once.
	// Default DefaultPoolHigh (16).
	High int
	// MaxWaiters bounds the Gets waiting for a connection when High are in
	// use; past it Get fails at once with an error wrapping ErrBusy. Zero
	// means DefaultPoolMaxWaiters (256); a negative value means no Get
	// ever waits.
	MaxWaiters int
	// IdleTTL is how long a connection above Low may stay idle before it
	// is closed. Zero means DefaultPoolIdleTTL (60s); a negative value
	// turns reaping off, and the pool starts no goroutine.
	IdleTTL time.Duration
	// Metrics receives PoolSize, PoolWaiters, Connects, Closechan,
	// Connections and ConnectionDuration. Nil means no metrics.
	Metrics *Endpoint
}

// Validate reports a missing Dial or Close, a negative Low or High, or a
// Low above High (after defaults).
func (c *ConnPoolConfig[C]) Validate() error {
	switch {
	case c.Dial == nil:
		return errors.New("service: pool: Dial is required")
	case c.Close == nil:
		return errors.New("service: pool: Close is required")
	case c.Low < 0 || c.High < 0:
		return fmt.Errorf("service: pool: negative Low (%d) or High (%d)", c.Low, c.High)
	}
	d := *c
	d.fill()
	if d.Low > d.High {
		return fmt.Errorf("service: pool: Low (%d) above High (%d)", d.Low, d.High)
	}
	return nil
}

func (c *ConnPoolConfig[C]) fill() {
	if c.High == 0 {
		c.High = DefaultPoolHigh
	}
	switch {
	case c.MaxWaiters == 0:
		c.MaxWaiters = DefaultPoolMaxWaiters
	case c.MaxWaiters < 0:
		c.MaxWaiters = 0
	}
	if c.IdleTTL == 0 {
		c.IdleTTL = DefaultPoolIdleTTL
	}
}

// ConnPool is a pool of connections to one backend that cannot pipeline
// requests (MySQL, HTTP/1): each request holds a connection from Get to
// Put. Get takes the most recently used idle connection, else dials one if
// fewer than High are open, else waits in a bounded FIFO queue until a Put
// hands it a connection (or the right to dial one) or its context ends.
//
// One goroutine, owned by the pool and stopped by Close, closes
// connections idle longer than IdleTTL while more than Low are open.
// Connections are compared with ==, so C must be comparable at run time
// too (a pointer or an interface holding one). Create pools with
// NewConnPool; the zero value is not usable. Safe for concurrent use.
type ConnPool[C comparable] struct {
	cfg ConnPoolConfig[C]

	mu      sync.Mutex
	idle    []idleConn[C]    // a LIFO stack: idle[0] has waited longest
	born    map[C]time.Time  // when each open connection was dialled
	size    int              // connections open, being dialled or being closed
	waiters []*poolWaiter[C] // FIFO
	closed  bool

	quit chan struct{} // closed by Close to stop the reaper
	done chan struct{} // closed by the reaper on exit; nil without one
}

type idleConn[C comparable] struct {
	c     C
	since time.Time
}

// poolWaiter is a Get waiting in the queue. Its channel has room for the
// one grant it ever receives, so grants are sent under the lock.
type poolWaiter[C comparable] struct{ ch chan poolGrant[C] }

// poolGrant is what a waiter receives: a connection, the right to dial one
// (a slot already counted in size), or an error.
type poolGrant[C comparable] struct {
	c    C
	dial bool
	err  error
}

// NewConnPool returns a pool configured by cfg, with defaults filled in, or
// cfg's Validate error. It dials nothing: connections, even the Low ones,
// are dialled by Get.
func NewConnPool[C comparable](cfg ConnPoolConfig[C]) (*ConnPool[C], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.fill()
	p := &ConnPool[C]{cfg: cfg, born: map[C]time.Time{}, quit: make(chan struct{})}
	if cfg.IdleTTL > 0 {
		p.done = make(chan struct{})
		go p.reap(max(cfg.IdleTTL/2, time.Millisecond))
	}
	return p, nil
}

// Get returns a connection for the caller's exclusive use until it hands it
// back with Put. It fails with ctx's error if ctx ends first, with an error
// wrapping ErrBusy if it would have to wait and MaxWaiters already do, with
// one wrapping ErrClosed once the pool is closed, and with Dial's error
// (wrapped) if dialling fails.
func (p *ConnPool[C]) Get(ctx context.Context) (C, error) {
	var zero C
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return zero, fmt.Errorf("service: pool: %w", ErrClosed)
	}
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1].c
		p.idle[n-1] = idleConn[C]{}
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	if p.size < p.cfg.High {
		p.size++
		p.gaugesLocked()
		p.mu.Unlock()
		return p.dial(ctx)
	}
	if n := len(p.waiters); n >= p.cfg.MaxWaiters {
		p.mu.Unlock()
		return zero, fmt.Errorf("service: pool: %d connections in use, %d waiting: %w", p.cfg.High, n, ErrBusy)
	}
	w := &poolWaiter[C]{ch: make(chan poolGrant[C], 1)}
	p.waiters = append(p.waiters, w)
	p.gaugesLocked()
	p.mu.Unlock()

	select {
	case g := <-w.ch:
		return p.take(ctx, g)
	case <-ctx.Done():
		if !p.dequeue(w) {
			// A grant raced with ctx: hand it back.
			p.giveBack(<-w.ch)
		}
		return zero, ctx.Err()
	}
}

// take turns a waiter's grant into Get's result.
func (p *ConnPool[C]) take(ctx context.Context, g poolGrant[C]) (C, error) {
	switch {
	case g.err != nil:
		var zero C
		return zero, g.err
	case g.dial:
		return p.dial(ctx)
	}
	return g.c, nil
}

// giveBack returns a grant its waiter no longer wants.
func (p *ConnPool[C]) giveBack(g poolGrant[C]) {
	switch {
	case g.err != nil:
	case g.dial:
		p.freeSlot()
	default:
		p.Put(g.c, false)
	}
}

// dial opens a connection in a slot already counted in size.
func (p *ConnPool[C]) dial(ctx context.Context) (C, error) {
	c, err := p.cfg.Dial(ctx)
	if err != nil {
		p.freeSlot()
		var zero C
		return zero, fmt.Errorf("service: pool: dial: %w", err)
	}
	now := time.Now()
	if m := p.cfg.Metrics; m != nil {
		m.Connects.Inc()
		m.Connections.Inc()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.closeConn(c, now)
		p.freeSlot()
		var zero C
		return zero, fmt.Errorf("service: pool: %w", ErrClosed)
	}
	p.born[c] = now
	p.mu.Unlock()
	return c, nil
}

// Put hands back c, which must come from Get on this pool and be handed
// back once. A broken connection (one whose protocol state is unknown after
// an error) is closed and its slot freed, letting the first waiter dial a
// new one; a sound one goes to the first waiter, or else on top of the idle
// stack. After Close, Put closes c.
func (p *ConnPool[C]) Put(c C, broken bool) {
	p.mu.Lock()
	if broken || p.closed {
		born := p.born[c]
		delete(p.born, c)
		p.mu.Unlock()
		p.closeConn(c, born)
		p.freeSlot()
		return
	}
	if len(p.waiters) > 0 {
		p.popWaiterLocked().ch <- poolGrant[C]{c: c}
		p.gaugesLocked()
		p.mu.Unlock()
		return
	}
	p.idle = append(p.idle, idleConn[C]{c: c, since: time.Now()})
	p.mu.Unlock()
}

// freeSlots releases n slots of size, after their connections were closed
// (so that no more than High are ever open), and passes them on to waiting
// Gets as the right to dial.
func (p *ConnPool[C]) freeSlots(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.size -= n
	for !p.closed && len(p.waiters) > 0 && p.size < p.cfg.High {
		p.size++
		p.popWaiterLocked().ch <- poolGrant[C]{dial: true}
	}
	p.gaugesLocked()
}

func (p *ConnPool[C]) freeSlot() { p.freeSlots(1) }

func (p *ConnPool[C]) popWaiterLocked() *poolWaiter[C] {
	w := p.waiters[0]
	p.waiters = slices.Delete(p.waiters, 0, 1)
	return w
}

// dequeue removes w from the queue; false means it was no longer there
// (it has been, or is being, sent a grant).
func (p *ConnPool[C]) dequeue(w *poolWaiter[C]) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.Index(p.waiters, w)
	if i < 0 {
		return false
	}
	p.waiters = slices.Delete(p.waiters, i, i+1)
	p.gaugesLocked()
	return true
}

func (p *ConnPool[C]) gaugesLocked() {
	if m := p.cfg.Metrics; m != nil {
		m.PoolSize.Set(float64(p.size))
		m.PoolWaiters.Set(float64(len(p.waiters)))
	}
}

// closeConn closes c, dialled at born, outside the lock.
func (p *ConnPool[C]) closeConn(c C, born time.Time) error {
	err := p.cfg.Close(c)
	if m := p.cfg.Metrics; m != nil {
		m.Closechan.Inc()
		m.Connections.Dec()
		if !born.IsZero() {
			m.ConnectionDuration.Observe(float64(time.Since(born)) / float64(time.Millisecond))
		}
	}
	return err
}

// reap closes connections idle too long, every interval, until Close.
func (p *ConnPool[C]) reap(interval time.Duration) {
	defer close(p.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			p.reapIdle(time.Now())
		}
	}
}

// reapIdle closes the connections idle since before now-IdleTTL, longest
// idle first, while more than Low are open.
func (p *ConnPool[C]) reapIdle(now time.Time) {
	p.mu.Lock()
	n := 0
	for n < len(p.idle) && p.size-n > p.cfg.Low && now.Sub(p.idle[n].since) >= p.cfg.IdleTTL {
		n++
	}
	if n == 0 {
		p.mu.Unlock()
		return
	}
	victims := p.takeIdleLocked(n)
	p.mu.Unlock()
	for _, v := range victims {
		p.closeConn(v.c, v.since)
	}
	p.freeSlots(n)
}

// takeIdleLocked removes the n longest-idle connections from the pool and
// returns them with their birth times in since, for closeConn. Their slots
// stay counted in size until the caller has closed them and called
// freeSlots.
func (p *ConnPool[C]) takeIdleLocked(n int) []idleConn[C] {
	victims := slices.Clone(p.idle[:n])
	p.idle = slices.Delete(p.idle, 0, n)
	for i := range victims {
		c := victims[i].c
		victims[i].since = p.born[c]
		delete(p.born, c)
	}
	return victims
}

// Close closes the pool: Gets waiting and to come fail with an error
// wrapping ErrClosed, idle connections are closed, the idle reaper is
// stopped and waited for, and connections in use are closed when they are
// Put. It returns the errors of closing the idle connections. Close is
// idempotent (later calls return nil) and safe from any goroutine.
func (p *ConnPool[C]) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	victims := p.takeIdleLocked(len(p.idle))
	waiters := p.waiters
	p.waiters = nil
	p.gaugesLocked()
	for _, w := range waiters {
		w.ch <- poolGrant[C]{err: fmt.Errorf("service: pool: %w", ErrClosed)}
	}
	p.mu.Unlock()

	close(p.quit)
	if p.done != nil {
		<-p.done
	}
	var errs []error
	for _, v := range victims {
		if err := p.closeConn(v.c, v.since); err != nil {
			errs = append(errs, err)
		}
	}
	p.freeSlots(len(victims))
	return errors.Join(errs...)
}

// Stats returns the connections open (or being dialled or closed), how many
// of them are idle, and how many Gets are waiting.
func (p *ConnPool[C]) Stats() (size, idle, waiters int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size, len(p.idle), len(p.waiters)
}

// PooledService returns a Service that serves each request with do on a
// connection from p: Get, do, Put. The connection is Put as broken when do
// fails and broken(err) is true; a nil broken treats every error as
// breaking the connection. Get's errors (ErrBusy, ErrClosed, ctx's) are
// returned unchanged. Safe for concurrent use if do is.
func PooledService[C comparable, Req, Rep any](p *ConnPool[C], do func(ctx context.Context, c C, req Req) (Rep, error), broken func(error) bool) Service[Req, Rep] {
	return Func[Req, Rep](func(ctx context.Context, req Req) (Rep, error) {
		c, err := p.Get(ctx)
		if err != nil {
			var zero Rep
			return zero, err
		}
		rep, err := do(ctx, c, req)
		p.Put(c, err != nil && (broken == nil || broken(err)))
		return rep, err
	})
}
