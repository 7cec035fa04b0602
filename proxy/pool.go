package proxy

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fae-dev/fae/backend"
	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/hashkit"
	"github.com/fae-dev/fae/memcache"
	"github.com/fae-dev/fae/resp"
	"github.com/fae-dev/fae/service"
	"github.com/fae-dev/fae/tier"
	"github.com/sony/gobreaker/v2"
)

// Pool is one configured pool: its servers, its hash and the distribution
// over the servers that are live now. The distribution is an immutable
// snapshot swapped atomically when a server is ejected or comes back, so
// routing takes no lock. Safe for concurrent use.
type Pool struct {
	cfg     config.Pool
	front   frontend
	mcLim   memcache.Limits
	stats   poolStats
	hash    hashkit.Func
	servers []*server // the shards, in config order (the servant alone for a servant pool)
	// targets are every server a request may go to: the shards, then their
	// replicas, then the failover pool's targets (from foOff on). A call
	// names its server by index here.
	targets []*server
	ring    atomic.Pointer[ring]
	log     *slog.Logger
	stack   *stack // nil when the client stack is off

	failover *Pool // the failover pool, linked by the Server; nil if none
	foOff    int   // index of the failover pool's first target in targets

	env   *env
	idgen bool        // the servant is idgen: it answers every command
	chain *tier.Chain // a tier chain: no servers of its own (tiered.go)

	// a reload retires a version: it closes once its calls are done
	inflight  atomic.Int64 // client calls routed by this version, not yet written
	retired   atomic.Bool
	closeOnce sync.Once

	mu     sync.Mutex // serialises rebuilds
	closed bool
	quit   chan struct{}
	wg     sync.WaitGroup // the health checker
}

// poolStats are a pool's counters, reported by INFO and memcache stats.
type poolStats struct {
	cmdGet     atomic.Int64 // keys asked for by memcache get-style commands
	cmdSet     atomic.Int64 // memcache storage commands
	failedKeys atomic.Int64 // keys of failed parts of split fetches, answered as misses
}

func (s *poolStats) reset() {
	s.cmdGet.Store(0)
	s.cmdSet.Store(0)
	s.failedKeys.Store(0)
}

// server is one member of a pool: a backend server or the lcache servant,
// with its client-stack state.
type server struct {
	name     string
	node     hashkit.Node
	be       *backend.Server
	cache    servant   // an in-process servant instead of a backend
	idx      int       // index in the owning pool's targets
	owner    *Pool     // the pool whose stack accounts for it
	replicas []*server // of a shard; empty for replicas themselves
	primary  *server   // of a replica; nil for shards
	acc      *service.Accrual
	m        *service.Endpoint
	load     service.Load // tracked only when balanced
	balanced bool         // a member of a replica set read by load
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}]
	goodRun  int // consecutive good health probes while dead (health loop only)
	key      beKey
	forced   atomic.Bool  // an operator's server_down switch
	deadAt   atomic.Int64 // unix seconds it was last marked dead
}

// alive reports whether s is in service: no switch holds it down and
// failure accrual keeps it.
func (s *server) alive() bool { return !s.forced.Load() && (s.acc == nil || s.acc.Alive()) }

// ring is the distribution over the live servers; live maps a distribution
// index to a server index.
type ring struct {
	dist hashkit.Distribution
	live []int
}

// newPool builds a pool version in e: servants and backends are shared with
// the other pools and versions of one Server. Backend connections are made
// lazily unless the pool asks for preconnect.
func newPool(cfg config.Pool, log *slog.Logger, e *env) (*Pool, error) {
	servants, m := e.servants, e.metrics
	if log == nil {
		log = slog.Default()
	}
	h, err := hashkit.Lookup(cfg.Hash)
	if err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, hash: h, front: redisFront{}, log: log.With("pool", cfg.Name), quit: make(chan struct{}), env: e}
	if cfg.Protocol == config.ProtocolMemcache {
		p.front = memcacheFront{}
	}
	if cfg.Servant != "" {
		sv, err := openServant(cfg, servants)
		if err != nil {
			return nil, err
		}
		p.servers = []*server{{name: cfg.Servant, node: hashkit.Node{Name: cfg.Servant, Weight: 1}, cache: sv}}
		p.idgen = cfg.Servant == config.ServantIDGen
	}
	if cfg.Stack.Enabled && cfg.Servant == "" {
		p.stack = newStack(cfg, m)
	}
	for _, sc := range cfg.Servers {
		p.servers = append(p.servers, p.newServer(sc, m))
	}
	p.targets = append(p.targets, p.servers...)
	for _, sv := range p.servers {
		for _, rc := range p.serverReplicas(sv) {
			r := p.newServer(rc, m)
			r.primary = sv
			sv.balanced, r.balanced = true, true
			sv.replicas = append(sv.replicas, r)
			p.targets = append(p.targets, r)
		}
	}
	for i, t := range p.targets {
		t.idx = i
	}
	if p.stack != nil {
		p.stack.metrics.BalancerSize.Set(float64(len(p.targets)))
	}
	if err := p.rebuild(); err != nil {
		p.Close()
		return nil, err
	}
	if cfg.Preconnect {
		for _, s := range p.targets {
			if s.be != nil {
				s.be.Preconnect()
			}
		}
	}
	return p, nil
}

// start starts the pool's health checker, once its failover pool is linked.
func (p *Pool) start() {
	if p.stack != nil && p.stack.accrual {
		p.wg.Add(1)
		go p.healthLoop()
	}
}

// serverReplicas returns the replica configs of shard sv.
func (p *Pool) serverReplicas(sv *server) []config.Server {
	for _, sc := range p.cfg.Servers {
		if sc.Addr == sv.name {
			return sc.Replicas
		}
	}
	return nil
}

func (p *Pool) newServer(sc config.Server, m *service.Metrics) *server {
	s := &server{name: sc.Addr, node: hashkit.Node{Name: sc.RingName(), Weight: sc.Weight}, owner: p}
	bc := backend.Config{
		Name:        sc.Addr,
		Addr:        sc.Addr,
		Conns:       p.cfg.ServerConnections,
		DialTimeout: p.cfg.Timeout,
		KeepAlive:   p.cfg.TCPKeepalive,
		Scan:        scanRESP,
		Incomplete:  resp.ErrIncomplete,
		InitOK:      func(r []byte) bool { return len(r) > 0 && r[0] != '-' },
		BackoffMin:  p.cfg.Stack.ReconnectMin,
		BackoffMax:  p.cfg.Stack.ReconnectMax,
	}
	if sc.Unix() {
		bc.Network = "unix"
	}
	if p.cfg.Protocol == config.ProtocolMemcache {
		bc.Scan, bc.Incomplete, bc.InitOK = scanMemcache, memcache.ErrIncomplete, nil
	}
	if p.cfg.RedisAuth != "" {
		bc.Init = append(bc.Init, resp.AppendCommand(nil, []byte("AUTH"), []byte(p.cfg.RedisAuth)))
	}
	if p.cfg.RedisDB != 0 {
		bc.Init = append(bc.Init, resp.AppendCommand(nil, []byte("SELECT"), fmt.Appendf(nil, "%d", p.cfg.RedisDB)))
	}
	if p.stack != nil {
		p.stack.equip(s, &bc, p.cfg.Name, m)
	}
	s.key = keyOf(p.cfg, sc.Addr)
	s.be = p.env.backends.get(s.key, func() *backend.Server { return backend.New(bc) })
	if p.stack != nil && p.stack.accrual {
		s.acc = p.env.backends.accrual(s.key, p.stack.accrualCfg)
	}
	s.forced.Store(p.env.forced(p.cfg.Name, sc.Addr) || sc.Name != "" && p.env.forced(p.cfg.Name, sc.Name))
	return s
}

// Name returns the pool's name.
func (p *Pool) Name() string { return p.cfg.Name }

// errNoServers is returned by pick when every server is ejected.
type errNoServers string

func (e errNoServers) Error() string { return "no live servers in pool " + string(e) }

// shard returns the index of the shard that owns key, as twemproxy places it
// over the servers in the ring now.
func (p *Pool) shard(key []byte) (int, error) {
	r := p.ring.Load()
	if len(r.live) == 1 {
		return r.live[0], nil
	}
	if len(r.live) == 0 {
		return -1, errNoServers(p.cfg.Name)
	}
	return r.live[hashkit.Locate(r.dist, p.hash, p.cfg.HashTag, key)], nil
}

// pick returns the index in p.targets of the server a request for key goes
// to: the key's shard, or for a read one of its replicas (read policy), or
// when the shard is dead a live replica or the failover pool. A dead shard
// with neither is still returned: its calls then fail fast (see begin), so a
// split request fails only that shard's keys.
func (p *Pool) pick(key []byte, read bool) (int, error) {
	if p.stack == nil {
		return p.shard(key)
	}
	if p.stack.forceFailover && p.failover != nil {
		return p.viaFailover(key, read)
	}
	si, err := p.shard(key)
	if err != nil {
		return -1, err
	}
	sv := p.servers[si]
	if read && len(sv.replicas) > 0 {
		if t := p.stack.pickMember(sv); t != nil {
			return t.idx, nil
		}
	} else if sv.alive() {
		return si, nil
	}
	if p.failover != nil && p.stack.failoverAuto {
		return p.viaFailover(key, read)
	}
	return si, nil // dead: begin fails the call fast, naming the server
}

// viaFailover routes key through the failover pool.
func (p *Pool) viaFailover(key []byte, read bool) (int, error) {
	ti, err := p.failover.pick(key, read)
	if err != nil {
		return -1, err
	}
	return p.foOff + ti, nil
}

// linkFailover makes f serve the keys of p's dead shards.
func (p *Pool) linkFailover(f *Pool) {
	p.failover, p.foOff = f, len(p.targets)
	p.targets = append(p.targets, f.targets...)
}

// rebuild recomputes the distribution over the servers in service: all of
// them, or with auto_eject_hosts the ones failure accrual keeps alive.
func (p *Pool) rebuild() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	r := &ring{}
	var nodes []hashkit.Node
	for i, s := range p.servers {
		if p.cfg.AutoEjectHosts && !s.alive() {
			continue
		}
		r.live = append(r.live, i)
		nodes = append(nodes, s.node)
	}
	if len(nodes) > 0 {
		d, err := hashkit.NewDistribution(p.cfg.Distribution, nodes)
		if err != nil {
			return err
		}
		r.dist = d
	}
	p.ring.Store(r)
	return nil
}

// Close stops the health checker and releases the pool's servers: a
// backend no other pool version uses is closed, failing its calls in flight
// with backend.ErrClosed. The failover pool is closed by its owner. Close is
// idempotent.
func (p *Pool) Close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.stopHealth()
		p.mu.Unlock()
		p.wg.Wait()
		if p.chain != nil {
			p.chain.Close() // waits for its write-backs
		}
		for _, s := range p.targets[:len(p.targets)-p.foLen()] {
			if s.be != nil {
				p.env.backends.release(s.key)
			}
		}
	})
}

// retireGrace is how long a retired pool version waits, once its last call
// is done, before it closes: a session that loaded it just before the
// reload may still route one more batch through it.
const retireGrace = time.Second

// retire takes p out of service after a reload: its health checker stops at
// once; it closes retireGrace after its last client call is written.
func (p *Pool) retire() {
	p.retired.Store(true)
	p.mu.Lock()
	p.stopHealth()
	p.mu.Unlock()
	p.retireIfIdle()
}

// stopHealth closes quit once. Called with p.mu held.
func (p *Pool) stopHealth() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
}

// retireIfIdle closes a retired version once it has had no call in flight
// for retireGrace.
func (p *Pool) retireIfIdle() {
	if p.inflight.Load() != 0 {
		return
	}
	time.AfterFunc(retireGrace, func() {
		if p.inflight.Load() == 0 {
			p.Close()
		}
	})
}

// callDone counts a client call routed by p as written.
func (p *Pool) callDone() {
	if p.inflight.Add(-1) == 0 && p.retired.Load() {
		p.retireIfIdle()
	}
}

// foLen is how many targets belong to the failover pool.
func (p *Pool) foLen() int {
	if p.failover == nil {
		return 0
	}
	return len(p.targets) - p.foOff
}

// scanRESP finds the end of a Redis reply (the hint is not needed).
func scanRESP(buf []byte, _ uint8) (int, error) { return resp.ReplyLen(buf) }
