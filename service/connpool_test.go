package service

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
)

// poolConn is a connection of a poolBackend.
type poolConn struct {
	id     int64
	closed atomic.Bool
}

// poolBackend dials fakeConns and counts them.
type poolBackend struct {
	dials, closes atomic.Int64
	open, peak    atomic.Int64
	failDial      atomic.Bool
}

var errPoolDial = errors.New("dial failed")

func (f *poolBackend) dial(ctx context.Context) (*poolConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.failDial.Load() {
		return nil, errPoolDial
	}
	n := f.open.Add(1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return &poolConn{id: f.dials.Add(1)}, nil
}

func (f *poolBackend) close(c *poolConn) error {
	if c.closed.Swap(true) {
		return errors.New("closed twice")
	}
	f.closes.Add(1)
	f.open.Add(-1)
	return nil
}

// newPoolConns returns a pool of fakeConns configured by cfg (Dial and Close
// filled in), closed at the end of the test.
func newPoolConns(t *testing.T, cfg ConnPoolConfig[*poolConn]) (*ConnPool[*poolConn], *poolBackend) {
	t.Helper()
	f := new(poolBackend)
	cfg.Dial, cfg.Close = f.dial, f.close
	p, err := NewConnPool(cfg)
	if err != nil {
		t.Fatalf("NewConnPool: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p, f
}

// pollUntil polls cond until it holds or a deadline passes.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitPoolWaiters polls until p has the given number of waiters.
func waitPoolWaiters(t *testing.T, p *ConnPool[*poolConn], want int) {
	t.Helper()
	pollUntil(t, "waiters", func() bool { _, _, w := p.Stats(); return w == want })
}

// poolGetAsync runs Get in a goroutine and delivers its result.
type poolGetResult struct {
	c   *poolConn
	err error
}

func poolGetAsync(ctx context.Context, p *ConnPool[*poolConn]) <-chan poolGetResult {
	ch := make(chan poolGetResult, 1)
	go func() {
		c, err := p.Get(ctx)
		ch <- poolGetResult{c, err}
	}()
	return ch
}

func poolGet(t *testing.T, p *ConnPool[*poolConn]) *poolConn {
	t.Helper()
	c, err := p.Get(context.Background())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return c
}

func TestConnPoolConfigValidate(t *testing.T) {
	f := new(poolBackend)
	tests := []struct {
		name    string
		cfg     ConnPoolConfig[*poolConn]
		wantErr bool
	}{
		{"defaults", ConnPoolConfig[*poolConn]{Dial: f.dial, Close: f.close}, false},
		{"no dial", ConnPoolConfig[*poolConn]{Close: f.close}, true},
		{"no close", ConnPoolConfig[*poolConn]{Dial: f.dial}, true},
		{"negative low", ConnPoolConfig[*poolConn]{Dial: f.dial, Close: f.close, Low: -1}, true},
		{"negative high", ConnPoolConfig[*poolConn]{Dial: f.dial, Close: f.close, High: -1}, true},
		{"low above high", ConnPoolConfig[*poolConn]{Dial: f.dial, Close: f.close, Low: 5, High: 4}, true},
		{"low above default high", ConnPoolConfig[*poolConn]{Dial: f.dial, Close: f.close, Low: DefaultPoolHigh + 1}, true},
		{"low equals high", ConnPoolConfig[*poolConn]{Dial: f.dial, Close: f.close, Low: 4, High: 4}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate got %v, want error %v", err, tt.wantErr)
			}
			p, err := NewConnPool(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewConnPool got %v, want error %v", err, tt.wantErr)
			}
			if p != nil {
				p.Close()
			}
		})
	}
}

func TestConnPoolHigh(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p, f := newPoolConns(t, ConnPoolConfig[*poolConn]{High: 4, MaxWaiters: 100})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 20 {
				c, err := p.Get(context.Background())
				if err != nil {
					t.Errorf("Get: %v", err)
					return
				}
				if c.closed.Load() {
					t.Errorf("Get returned closed conn %d", c.id)
				}
				runtime.Gosched()
				p.Put(c, false)
			}
		})
	}
	wg.Wait()
	if got := f.peak.Load(); got > 4 {
		t.Errorf("peak open connections got %d, want <= 4", got)
	}
	if size, idle, waiters := p.Stats(); size != int(f.open.Load()) || idle != size || waiters != 0 {
		t.Errorf("Stats got size %d idle %d waiters %d, want size = idle = %d open, no waiters", size, idle, waiters, f.open.Load())
	}
	p.Close()
	if got := f.open.Load(); got != 0 {
		t.Errorf("open connections after Close got %d, want 0", got)
	}
}

func TestConnPoolLIFO(t *testing.T) {
	p, _ := newPoolConns(t, ConnPoolConfig[*poolConn]{})
	a, b := poolGet(t, p), poolGet(t, p)
	p.Put(a, false)
	p.Put(b, false)
	if got := poolGet(t, p); got != b {
		t.Errorf("Get got conn %d, want the last Put, %d", got.id, b.id)
	}
	if got := poolGet(t, p); got != a {
		t.Errorf("second Get got conn %d, want %d", got.id, a.id)
	}
}

func TestConnPoolBusy(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p, _ := newPoolConns(t, ConnPoolConfig[*poolConn]{High: 1, MaxWaiters: 2})
	c := poolGet(t, p)
	w1 := poolGetAsync(context.Background(), p)
	waitPoolWaiters(t, p, 1)
	w2 := poolGetAsync(context.Background(), p)
	waitPoolWaiters(t, p, 2)
	if _, err := p.Get(context.Background()); !errors.Is(err, ErrBusy) {
		t.Fatalf("third waiter got %v, want ErrBusy", err)
	}
	// FIFO: the first waiter gets the conn, the second still waits.
	p.Put(c, false)
	r := <-w1
	if r.err != nil || r.c != c {
		t.Fatalf("first waiter got %v, %v, want conn %d", r.c, r.err, c.id)
	}
	waitPoolWaiters(t, p, 1)
	p.Put(r.c, false)
	if r := <-w2; r.err != nil || r.c != c {
		t.Fatalf("second waiter got %v, %v, want conn %d", r.c, r.err, c.id)
	}
	p.Put(c, false)
	p.Close()
}

func TestConnPoolNoWaiting(t *testing.T) {
	p, _ := newPoolConns(t, ConnPoolConfig[*poolConn]{High: 1, MaxWaiters: -1})
	poolGet(t, p)
	if _, err := p.Get(context.Background()); !errors.Is(err, ErrBusy) {
		t.Errorf("Get with no waiting allowed got %v, want ErrBusy", err)
	}
}

func TestConnPoolCancelWhileWaiting(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p, _ := newPoolConns(t, ConnPoolConfig[*poolConn]{High: 1})
	c := poolGet(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	w := poolGetAsync(ctx, p)
	waitPoolWaiters(t, p, 1)
	cancel()
	if r := <-w; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("canceled waiter got %v, %v, want context.Canceled", r.c, r.err)
	}
	if _, _, waiters := p.Stats(); waiters != 0 {
		t.Errorf("waiters after cancel got %d, want 0", waiters)
	}
	// The conn goes idle, not to the departed waiter.
	p.Put(c, false)
	if _, idle, _ := p.Stats(); idle != 1 {
		t.Errorf("idle after Put got %d, want 1", idle)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	poolGet(t, p)
	if _, err := p.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get past its deadline got %v, want DeadlineExceeded", err)
	}
	p.Close()
}

// TestConnPoolGrantRace cancels waiters while connections are handed back,
// so that grants race with cancellation; no connection may be lost.
func TestConnPoolGrantRace(t *testing.T) {
	p, f := newPoolConns(t, ConnPoolConfig[*poolConn]{High: 2, MaxWaiters: 1000})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			for j := range 50 {
				ctx, cancel := context.WithCancel(context.Background())
				if (i+j)%3 == 0 {
					cancel()
				}
				go cancel()
				c, err := p.Get(ctx)
				cancel()
				if err == nil {
					p.Put(c, j%5 == 0)
				} else if !errors.Is(err, context.Canceled) {
					t.Errorf("Get: %v", err)
				}
			}
		})
	}
	wg.Wait()
	size, idle, waiters := p.Stats()
	if size != idle || waiters != 0 || int64(size) != f.open.Load() {
		t.Errorf("Stats got size %d idle %d waiters %d with %d open, want size = idle = open, no waiters", size, idle, waiters, f.open.Load())
	}
	if got := f.peak.Load(); got > 2 {
		t.Errorf("peak open got %d, want <= 2", got)
	}
}

func TestConnPoolBroken(t *testing.T) {
	p, f := newPoolConns(t, ConnPoolConfig[*poolConn]{High: 1})
	c := poolGet(t, p)
	p.Put(c, true)
	if !c.closed.Load() {
		t.Errorf("broken conn not closed")
	}
	if size, idle, _ := p.Stats(); size != 0 || idle != 0 {
		t.Errorf("Stats after broken Put got size %d idle %d, want 0 0", size, idle)
	}
	c2 := poolGet(t, p)
	if c2 == c {
		t.Fatalf("Get returned the broken conn")
	}
	// A waiter is woken to dial a replacement of a broken conn.
	w := poolGetAsync(context.Background(), p)
	waitPoolWaiters(t, p, 1)
	p.Put(c2, true)
	r := <-w
	if r.err != nil || r.c == c2 || r.c.closed.Load() {
		t.Fatalf("waiter got %v, %v, want a fresh conn", r.c, r.err)
	}
	if got := f.dials.Load(); got != 3 {
		t.Errorf("dials got %d, want 3", got)
	}
}

func TestConnPoolDialError(t *testing.T) {
	p, f := newPoolConns(t, ConnPoolConfig[*poolConn]{High: 1})
	f.failDial.Store(true)
	if _, err := p.Get(context.Background()); !errors.Is(err, errPoolDial) {
		t.Fatalf("Get got %v, want the dial error", err)
	}
	if size, _, _ := p.Stats(); size != 0 {
		t.Errorf("size after a failed dial got %d, want 0", size)
	}
	f.failDial.Store(false)
	poolGet(t, p)
}

func TestConnPoolIdleTTL(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p, f := newPoolConns(t, ConnPoolConfig[*poolConn]{Low: 2, High: 8, IdleTTL: 50 * time.Millisecond})
	var held []*poolConn
	for range 6 {
		held = append(held, poolGet(t, p))
	}
	for _, c := range held {
		p.Put(c, false)
	}
	pollUntil(t, "reaping down to Low", func() bool { size, _, _ := p.Stats(); return size == 2 })
	if got := f.closes.Load(); got != 4 {
		t.Errorf("closes got %d, want 4", got)
	}
	if size, idle, _ := p.Stats(); size != 2 || idle != 2 {
		t.Errorf("Stats after reaping got size %d idle %d, want 2 2", size, idle)
	}
	// The most recently used survive.
	for _, c := range held[4:] {
		if c.closed.Load() {
			t.Errorf("recently used conn %d was reaped", c.id)
		}
	}
	p.Close()
	if got := f.open.Load(); got != 0 {
		t.Errorf("open after Close got %d, want 0", got)
	}
}

func TestConnPoolClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p, f := newPoolConns(t, ConnPoolConfig[*poolConn]{High: 3})
	inUse, held, idle := poolGet(t, p), poolGet(t, p), poolGet(t, p)
	p.Put(idle, false)
	w := poolGetAsync(context.Background(), p) // takes idle
	if r := <-w; r.err != nil || r.c != idle {
		t.Fatalf("Get got %v, %v, want the idle conn %d", r.c, r.err, idle.id)
	}
	w = poolGetAsync(context.Background(), p) // waits: all three in use
	waitPoolWaiters(t, p, 1)
	p.Put(idle, false) // goes to the waiter
	if r := <-w; r.err != nil || r.c != idle {
		t.Fatalf("waiter got %v, %v, want conn %d", r.c, r.err, idle.id)
	}
	p.Put(idle, false) // now really idle
	busy := poolGet(t, p)
	w = poolGetAsync(context.Background(), p)
	waitPoolWaiters(t, p, 1)

	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if r := <-w; !errors.Is(r.err, ErrClosed) {
		t.Errorf("waiter got %v, %v, want ErrClosed", r.c, r.err)
	}
	if _, err := p.Get(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close got %v, want ErrClosed", err)
	}
	for _, c := range []*poolConn{inUse, held, busy} {
		if c.closed.Load() {
			t.Errorf("conn %d in use closed by Close", c.id)
		}
		p.Put(c, false)
		if !c.closed.Load() {
			t.Errorf("conn %d Put after Close not closed", c.id)
		}
	}
	if size, idle, waiters := p.Stats(); size != 0 || idle != 0 || waiters != 0 {
		t.Errorf("Stats after Close got %d %d %d, want 0 0 0", size, idle, waiters)
	}
	if got := f.open.Load(); got != 0 {
		t.Errorf("open after Close got %d, want 0", got)
	}
}

func TestConnPoolNoReaper(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p, _ := newPoolConns(t, ConnPoolConfig[*poolConn]{IdleTTL: -1})
	p.Put(poolGet(t, p), false)
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestConnPoolMetrics(t *testing.T) {
	m, err := NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	em := m.Endpoint("pool", "server")
	p, _ := newPoolConns(t, ConnPoolConfig[*poolConn]{High: 2, Metrics: em})
	a, b := poolGet(t, p), poolGet(t, p)
	w := poolGetAsync(context.Background(), p)
	waitPoolWaiters(t, p, 1)
	check := func(stage string, want map[string]float64) {
		t.Helper()
		got := map[string]float64{
			"pool_size":    testutil.ToFloat64(em.PoolSize),
			"pool_waiters": testutil.ToFloat64(em.PoolWaiters),
			"connects":     testutil.ToFloat64(em.Connects),
			"closechan":    testutil.ToFloat64(em.Closechan),
			"connections":  testutil.ToFloat64(em.Connections),
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s got %v, want %v", stage, k, got[k], v)
			}
		}
	}
	check("two in use, one waiting", map[string]float64{"pool_size": 2, "pool_waiters": 1, "connects": 2, "connections": 2})
	p.Put(a, true)
	r := <-w
	if r.err != nil {
		t.Fatalf("waiter: %v", r.err)
	}
	check("one replaced", map[string]float64{"pool_size": 2, "pool_waiters": 0, "connects": 3, "closechan": 1, "connections": 2})
	p.Put(b, false)
	p.Put(r.c, false)
	p.Close()
	check("closed", map[string]float64{"pool_size": 0, "pool_waiters": 0, "connects": 3, "closechan": 3, "connections": 0})
	if n := testutil.CollectAndCount(m.connDuration); n != 1 {
		t.Errorf("connection duration series got %d, want 1", n)
	}
}

func TestPooledService(t *testing.T) {
	errBad := errors.New("bad reply")
	errSoft := errors.New("not found")
	p, f := newPoolConns(t, ConnPoolConfig[*poolConn]{High: 1})
	s := PooledService(p, func(_ context.Context, c *poolConn, req string) (int64, error) {
		switch req {
		case "bad":
			return 0, errBad
		case "soft":
			return 0, errSoft
		}
		return c.id, nil
	}, func(err error) bool { return errors.Is(err, errBad) })
	tests := []struct {
		req       string
		wantErr   error
		wantDials int64
	}{
		{"ok", nil, 1},
		{"ok", nil, 1},
		{"soft", errSoft, 1},
		{"ok", nil, 1},
		{"bad", errBad, 1},
		{"ok", nil, 2},
	}
	for i, tt := range tests {
		_, err := s.Serve(context.Background(), tt.req)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("request %d (%s) got %v, want %v", i, tt.req, err, tt.wantErr)
		}
		if got := f.dials.Load(); got != tt.wantDials {
			t.Errorf("after request %d (%s) dials got %d, want %d", i, tt.req, got, tt.wantDials)
		}
	}
	p.Close()
	if _, err := s.Serve(context.Background(), "ok"); !errors.Is(err, ErrClosed) {
		t.Errorf("Serve after Close got %v, want ErrClosed", err)
	}
}
