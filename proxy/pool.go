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
	"github.com/fae-dev/fae/servant/lcache"
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
	servers []*server
	ring    atomic.Pointer[ring]
	log     *slog.Logger

	ownsServant bool // close the servant with the pool (not shared)

	mu     sync.Mutex // serialises rebuilds and the revival timer
	timer  *time.Timer
	closed bool
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

// server is one member of a pool: a backend server or the lcache servant.
type server struct {
	name         string
	node         hashkit.Node
	be           *backend.Server
	cache        *lcache.Cache
	ejectedUntil atomic.Int64 // unix nanoseconds; 0 when not ejected
}

// ring is the distribution over the live servers; live maps a distribution
// index to a server index.
type ring struct {
	dist hashkit.Distribution
	live []int
}

// NewPool builds a pool from its config. Backend connections are made lazily
// unless the pool asks for preconnect.
func NewPool(cfg config.Pool, log *slog.Logger) (*Pool, error) {
	return newPool(cfg, log, nil)
}

// newPool builds a pool; servants, when not nil, holds the servants shared by
// the pools of one Server (the pool then does not own its servant).
func newPool(cfg config.Pool, log *slog.Logger, servants map[string]*lcache.Cache) (*Pool, error) {
	if log == nil {
		log = slog.Default()
	}
	h, err := hashkit.Lookup(cfg.Hash)
	if err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, hash: h, front: redisFront{}, log: log.With("pool", cfg.Name)}
	if cfg.Protocol == config.ProtocolMemcache {
		p.front = memcacheFront{}
	}
	if cfg.Servant != "" {
		cache := servants[cfg.Servant]
		if cache == nil {
			c, err := lcache.New(lcache.Config{MaxMemory: cfg.ServantMaxMemory})
			if err != nil {
				return nil, err
			}
			cache, p.ownsServant = c, true
			if servants != nil {
				servants[cfg.Servant], p.ownsServant = c, false
			}
		}
		p.servers = []*server{{name: cfg.Servant, node: hashkit.Node{Name: cfg.Servant, Weight: 1}, cache: cache}}
	}
	for _, sc := range cfg.Servers {
		p.servers = append(p.servers, p.newServer(sc))
	}
	if err := p.rebuild(); err != nil {
		p.Close()
		return nil, err
	}
	if cfg.Preconnect {
		for _, s := range p.servers {
			if s.be != nil {
				s.be.Preconnect()
			}
		}
	}
	return p, nil
}

func (p *Pool) newServer(sc config.Server) *server {
	s := &server{name: sc.Addr, node: hashkit.Node{Name: sc.RingName(), Weight: sc.Weight}}
	bc := backend.Config{
		Name:        sc.Addr,
		Addr:        sc.Addr,
		Conns:       p.cfg.ServerConnections,
		DialTimeout: p.cfg.Timeout,
		KeepAlive:   p.cfg.TCPKeepalive,
		Scan:        scanRESP,
		Incomplete:  resp.ErrIncomplete,
		InitOK:      func(r []byte) bool { return len(r) > 0 && r[0] != '-' },
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
	if p.cfg.AutoEjectHosts {
		bc.FailureLimit = p.cfg.ServerFailureLimit
		bc.OnFailures = func(*backend.Server) { p.eject(s) }
	}
	s.be = backend.New(bc)
	return s
}

// Name returns the pool's name.
func (p *Pool) Name() string { return p.cfg.Name }

// errNoServers is returned by pick when every server is ejected.
type errNoServers string

func (e errNoServers) Error() string { return "no live servers in pool " + string(e) }

// pick returns the index of the server that owns key, as twemproxy places it.
func (p *Pool) pick(key []byte) (int, error) {
	r := p.ring.Load()
	if len(r.live) == 1 {
		return r.live[0], nil
	}
	if len(r.live) == 0 {
		return -1, errNoServers(p.cfg.Name)
	}
	return r.live[hashkit.Locate(r.dist, p.hash, p.cfg.HashTag, key)], nil
}

// eject takes s out of the distribution for server_retry_timeout.
func (p *Pool) eject(s *server) {
	until := time.Now().Add(p.cfg.ServerRetryTimeout)
	s.ejectedUntil.Store(until.UnixNano())
	p.log.Warn("server ejected", "server", s.name, "until", until.Format(time.RFC3339Nano))
	if err := p.rebuild(); err != nil {
		p.log.Error("rebuild after ejection", "err", err)
	}
}

// rebuild recomputes the distribution over the servers not ejected now and
// arms a timer for the next revival.
func (p *Pool) rebuild() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	now := time.Now().UnixNano()
	var next int64
	r := &ring{}
	var nodes []hashkit.Node
	for i, s := range p.servers {
		until := s.ejectedUntil.Load()
		if until > now {
			if next == 0 || until < next {
				next = until
			}
			continue
		}
		if until != 0 {
			s.ejectedUntil.Store(0)
			p.log.Info("server back in the pool", "server", s.name)
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
	if next != 0 {
		wait := time.Duration(next - now)
		if p.timer == nil {
			p.timer = time.AfterFunc(wait, func() { _ = p.rebuild() })
		} else {
			p.timer.Reset(wait)
		}
	}
	return nil
}

// Close closes every server; calls in flight fail with backend.ErrClosed.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
	}
	p.mu.Unlock()
	for _, s := range p.servers {
		if s.be != nil {
			s.be.Close()
		}
		if s.cache != nil && p.ownsServant {
			s.cache.Close()
		}
	}
}

// scanRESP finds the end of a Redis reply (the hint is not needed).
func scanRESP(buf []byte, _ uint8) (int, error) { return resp.ReplyLen(buf) }
