package proxy

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fae-dev/fae/backend"
	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/service"
	"github.com/fae-dev/fae/tier"
)

// poolSlot is one configured pool's place in the Server: its listener and the
// pool version serving it now. A reload builds a new Pool and swaps it in;
// sessions load the current version at every batch of requests, so a reload
// never touches a client connection. What must outlive a pool version (its
// command counters, the operator's switches) lives here.
type poolSlot struct {
	name     string
	cur      atomic.Pointer[Pool]
	counters *counters
	switches atomic.Pointer[switchSet] // nil: no switch set

	// guarded by Server.mu
	ln      net.Listener
	clients int // client connections, running and parked
	removed bool
	accepts sync.WaitGroup // the accept loop of ln
}

// pool returns the pool version serving the slot now.
func (sl *poolSlot) pool() *Pool { return sl.cur.Load() }

// env is what the pools of one Server share across versions.
type env struct {
	servants map[string]servant    // by servantKey; closed with the Server
	stores   map[string]tier.Store // mysql pools by name (tiered.go)
	metrics  *service.Metrics
	backends *backends
	forced   func(pool, server string) bool // an operator's server_down switch
}

func newEnv(m *service.Metrics) *env {
	return &env{servants: map[string]servant{}, stores: map[string]tier.Store{}, metrics: m, backends: &backends{m: map[beKey]*sharedBE{}},
		forced: func(string, string) bool { return false }}
}

// beKey identifies a backend server with the settings of its connections:
// two pool versions with the same key share one backend.Server (and its
// failure accrual), so a reload that keeps a server keeps its connections.
type beKey struct {
	pool, addr, protocol, auth string
	conns, db                  int
	dial, rmin, rmax           time.Duration
	keepalive                  bool
}

func keyOf(pc config.Pool, addr string) beKey {
	return beKey{pool: pc.Name, addr: addr, protocol: pc.Protocol, auth: pc.RedisAuth, conns: pc.ServerConnections,
		db: pc.RedisDB, dial: pc.Timeout, rmin: pc.Stack.ReconnectMin, rmax: pc.Stack.ReconnectMax, keepalive: pc.TCPKeepalive}
}

// sharedBE is a backend and the pool versions using it.
type sharedBE struct {
	be     *backend.Server
	refs   int
	acc    *service.Accrual
	accCfg service.AccrualConfig
}

// backends holds the backend servers of every pool version. Safe for
// concurrent use.
type backends struct {
	mu sync.Mutex
	m  map[beKey]*sharedBE
}

// get returns the backend of k, made by mk when there is none, and counts a
// reference to it.
func (b *backends) get(k beKey, mk func() *backend.Server) *backend.Server {
	b.mu.Lock()
	defer b.mu.Unlock()
	sb := b.m[k]
	if sb == nil {
		sb = &sharedBE{be: mk()}
		b.m[k] = sb
	}
	sb.refs++
	return sb.be
}

// accrual returns the failure accrual of k's server: the one already in use
// when its policy is the same, so a reload keeps a dead server dead.
func (b *backends) accrual(k beKey, cfg service.AccrualConfig) *service.Accrual {
	b.mu.Lock()
	defer b.mu.Unlock()
	sb := b.m[k]
	if sb.acc == nil || sb.accCfg != cfg {
		sb.acc, sb.accCfg = service.NewAccrual(cfg), cfg
	}
	return sb.acc
}

// release drops a reference; the last one closes the backend.
func (b *backends) release(k beKey) {
	b.mu.Lock()
	sb := b.m[k]
	if sb == nil {
		b.mu.Unlock()
		return
	}
	sb.refs--
	if sb.refs > 0 {
		b.mu.Unlock()
		return
	}
	delete(b.m, k)
	b.mu.Unlock()
	sb.be.Close()
}

// slotStore is the httpapi.Store of a slot: every call goes to the pool
// version serving the slot at that moment.
type slotStore struct{ sl *poolSlot }

func (s slotStore) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	return s.sl.pool().Get(ctx, key)
}

func (s slotStore) Set(ctx context.Context, key, value []byte, ttl time.Duration) error {
	return s.sl.pool().Set(ctx, key, value, ttl)
}

func (s slotStore) Delete(ctx context.Context, key []byte) (bool, error) {
	return s.sl.pool().Delete(ctx, key)
}

func (s slotStore) MGet(ctx context.Context, keys [][]byte) ([][]byte, []bool, error) {
	return s.sl.pool().MGet(ctx, keys)
}

func (s slotStore) MSet(ctx context.Context, keys, values [][]byte, ttl time.Duration) error {
	return s.sl.pool().MSet(ctx, keys, values, ttl)
}
