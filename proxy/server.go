package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/httpapi"
	"github.com/fae-dev/fae/mysqlstore"
	"github.com/fae-dev/fae/service"
	"github.com/fae-dev/fae/tier"
	"github.com/prometheus/client_golang/prometheus"
)

// Server runs every pool of a config: one listener per pool and a session per
// client connection. Reload swaps in a new config without touching client
// connections. Safe for concurrent use.
type Server struct {
	// ParkAfter is how long a client connection may be idle before its
	// session is parked (see park.go); 0 means DefaultParkAfter and a
	// negative value disables parking. Set it before Listen.
	ParkAfter time.Duration

	log     *slog.Logger
	started time.Time
	nextID  atomic.Uint32
	tick    atomic.Int64 // advanced by the sweeper every ParkAfter/2
	parker  *parker
	quit    chan struct{}
	env     *env
	// httpPools listen with the HTTP API over every other pool
	httpPools []config.Pool
	https     []*httpapi.Server
	httpLns   []net.Listener
	registry  *prometheus.Registry
	metrics   *service.Metrics
	stores    atomic.Pointer[map[string]tier.Store] // every pool and MySQL store by name, for chains
	mysql     map[string]*mysqlstore.Store          // guarded by ops.reloadMu after New
	ops       ops                                   // reload, degrade, shedding, stats (ops.go)
	metricsOn bool
	// SlowLog, when set before Listen, receives requests slower than
	// SlowAfter (with metrics on).
	SlowLog   SlowLogger
	SlowAfter time.Duration

	mu        sync.Mutex
	cfg       *config.Config
	slots     []*poolSlot // in config order
	listening bool
	sessions  map[net.Conn]*session // running sessions
	closed    bool
	wg        sync.WaitGroup // accept loops, sweeper and sessions
}

// ErrProtocol is returned by New for a pool whose protocol faed cannot serve.
var ErrProtocol = errors.New("protocol not supported")

// errNotFound is wrapped by Degrade for an unknown pool or server.
var errNotFound = admin.ErrNotFound

// New builds the pools of cfg; nothing listens until Listen.
func New(cfg *config.Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{log: log, sessions: map[net.Conn]*session{}, started: time.Now(), quit: make(chan struct{}),
		registry: prometheus.NewRegistry(), cfg: cfg}
	m, err := service.NewMetrics(s.registry)
	if err != nil {
		return nil, err
	}
	s.metrics, s.env = m, newEnv(m)
	s.env.forced = s.forcedDown
	s.ops.init(cfg)
	s.metricsOn = cfg.Server.Metrics
	if s.metricsOn {
		s.registry.MustRegister(newCollector(s))
	}
	mysql, err := openMySQLPools(cfg)
	if err != nil {
		return nil, err
	}
	s.mysql = mysql
	for _, pc := range cfg.Pools {
		if pc.Protocol == config.ProtocolHTTP {
			s.httpPools = append(s.httpPools, pc)
			continue
		}
		if pc.Protocol == config.ProtocolMySQL {
			continue
		}
		if pc.Protocol != config.ProtocolRedis && pc.Protocol != config.ProtocolMemcache {
			s.closePools()
			return nil, fmt.Errorf("pool %s: %w: %q (this build serves redis and memcache pools)", pc.Name, ErrProtocol, pc.Protocol)
		}
		p, err := newPool(pc, log, s.env)
		if err != nil {
			s.closePools()
			return nil, fmt.Errorf("pool %s: %w", pc.Name, err)
		}
		sl := &poolSlot{name: pc.Name, counters: newCounters(pc.Name, pc.Protocol)}
		sl.cur.Store(p)
		s.slots = append(s.slots, sl)
	}
	linkFailovers(s.pools())
	if err := s.buildChains(s.pools(), cfg); err != nil {
		s.closePools()
		return nil, err
	}
	s.publishStores(mysqlStores(s.mysql))
	for _, p := range s.pools() {
		p.start()
	}
	return s, nil
}

// buildChains gives the tier pools among pools their chains.
func (s *Server) buildChains(pools []*Pool, cfg *config.Config) error {
	for _, p := range pools {
		if len(p.cfg.Tier.Tiers) == 0 {
			continue
		}
		c, err := s.newChain(p.cfg, cfg)
		if err != nil {
			return fmt.Errorf("pool %s: %w", p.cfg.Name, err)
		}
		p.chain = c
	}
	return nil
}

// pools returns the pool versions serving now, in config order.
func (s *Server) pools() []*Pool {
	var out []*Pool
	for _, sl := range s.slotList() {
		out = append(out, sl.pool())
	}
	return out
}

// slotList returns a copy of the slots.
func (s *Server) slotList() []*poolSlot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*poolSlot(nil), s.slots...)
}

// linkFailovers gives each pool that names a failover pool its targets. It
// runs before the pools serve and before their health checkers start.
func linkFailovers(pools []*Pool) {
	byName := map[string]*Pool{}
	for _, p := range pools {
		byName[p.cfg.Name] = p
	}
	for _, p := range pools {
		if name := p.cfg.Stack.Failover; name != "" && p.stack != nil && byName[name] != nil {
			p.linkFailover(byName[name])
		}
	}
}

// Registry returns the registry of the server's metrics (client stack,
// commands, connections), for the admin endpoint to expose.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Listen opens every pool's listener and starts accepting clients.
func (s *Server) Listen() error {
	for _, sl := range s.slotList() {
		p := sl.pool()
		if p.cfg.Listen == "" {
			continue // a tier of a chain only
		}
		ln, err := listen(p.cfg)
		if err != nil {
			s.Close()
			return fmt.Errorf("pool %s: listen %s: %w", p.cfg.Name, p.cfg.Listen, err)
		}
		s.mu.Lock()
		sl.ln = ln
		s.mu.Unlock()
		s.log.Info("listening", "pool", p.cfg.Name, "addr", ln.Addr().String(), "servers", len(p.servers))
	}
	if err := s.listenHTTP(); err != nil {
		s.Close()
		return err
	}
	if s.ParkAfter == 0 {
		s.ParkAfter = DefaultParkAfter
	}
	if s.ParkAfter > 0 {
		p, err := newParker(s)
		if err != nil {
			s.log.Warn("idle parking disabled", "err", err)
		} else {
			s.parker = p
			s.wg.Add(1)
			go s.sweep(s.quit)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listening = true
	for _, sl := range s.slots {
		if sl.ln != nil {
			s.startAccept(sl, sl.ln)
		}
	}
	return nil
}

// startAccept runs the accept loop of ln for sl. Called with s.mu held.
func (s *Server) startAccept(sl *poolSlot, ln net.Listener) {
	s.wg.Add(1)
	sl.accepts.Add(1)
	go s.accept(ln, sl)
}

// Addr returns the address pool listens on, or nil.
func (s *Server) Addr(pool string) net.Addr {
	s.mu.Lock()
	for _, sl := range s.slots {
		if sl.name == pool && sl.ln != nil {
			s.mu.Unlock()
			return sl.ln.Addr()
		}
	}
	s.mu.Unlock()
	for i, pc := range s.httpPools {
		if pc.Name == pool && i < len(s.httpLns) {
			return s.httpLns[i].Addr()
		}
	}
	return nil
}

// listenHTTP starts the HTTP API of every http pool over the other pools.
func (s *Server) listenHTTP() error {
	if len(s.httpPools) == 0 {
		return nil
	}
	stores := map[string]httpapi.Store{}
	for _, sl := range s.slotList() {
		stores[sl.name] = slotStore{sl}
	}
	for _, pc := range s.httpPools {
		ln, err := listen(pc)
		if err != nil {
			return fmt.Errorf("pool %s: listen %s: %w", pc.Name, pc.Listen, err)
		}
		h := httpapi.New(httpapi.Config{Timeout: pc.Timeout}, stores, s.log.With("pool", pc.Name))
		s.httpLns, s.https = append(s.httpLns, ln), append(s.https, h)
		s.log.Info("listening", "pool", pc.Name, "addr", ln.Addr().String(), "protocol", "http")
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := h.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("http api stopped", "pool", pc.Name, "err", err)
			}
		}()
	}
	return nil
}

// shutdownHTTP lets HTTP requests in flight finish (up to drain).
func (s *Server) shutdownHTTP(drain time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	for _, h := range s.https {
		_ = h.Shutdown(ctx)
	}
}

func listen(pc config.Pool) (net.Listener, error) {
	network := "tcp"
	if strings.HasPrefix(pc.Listen, "/") {
		network = "unix"
		_ = os.Remove(pc.Listen) // a stale socket from an earlier run
	}
	ln, err := net.Listen(network, pc.Listen)
	if err != nil {
		return nil, err
	}
	if network == "unix" && pc.ListenMode != 0 {
		if err := os.Chmod(pc.Listen, pc.ListenMode); err != nil {
			ln.Close()
			return nil, err
		}
	}
	if pc.Backlog > 0 {
		setBacklog(ln, pc.Backlog)
	}
	return ln, nil
}

// setBacklog calls listen(2) again with the configured backlog; Linux
// updates the queue length of a listening socket.
func setBacklog(ln net.Listener, backlog int) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return
	}
	if rc, err := sc.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = syscall.Listen(int(fd), backlog) })
	}
}

// accept runs one pool's accept loop, backing off on temporary errors (5 ms
// doubling to 1 s) and exiting when the listener closes.
func (s *Server) accept(ln net.Listener, sl *poolSlot) {
	defer s.wg.Done()
	defer sl.accepts.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "pool", sl.name, "err", err, "in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		if sess := s.track(nc, sl); sess != nil {
			go s.serve(sess)
		}
	}
}

// track registers a new client connection and returns its session; it
// refuses one over the pool's client_connections limit (with an error reply)
// or after Close.
func (s *Server) track(nc net.Conn, sl *poolSlot) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := sl.pool()
	if s.closed || sl.removed || s.ops.draining.Load() {
		nc.Close()
		return nil
	}
	if max := p.cfg.ClientConnections; max > 0 && sl.clients >= max {
		_ = nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
		nc.Close()
		return nil
	}
	sess := newSession(s, sl, nc, s.nextID.Add(1))
	sess.active.Store(s.tick.Load())
	s.sessions[nc] = sess
	sl.clients++
	sl.counters.conns.Add(1)
	sl.counters.connsTotal.Add(1)
	s.wg.Add(1)
	return sess
}

// serve runs a session until it ends or is parked.
func (s *Server) serve(sess *session) {
	defer s.wg.Done()
	nc := sess.nc
	parked := sess.run()
	if !parked && s.ops.draining.Load() {
		linger(nc)
	}
	s.mu.Lock()
	delete(s.sessions, nc)
	if len(s.sessions) == 0 && s.ops.draining.Load() {
		s.ops.sessionsOnce.Do(func() { close(s.ops.sessionsGone) })
	}
	s.mu.Unlock()
	if !parked {
		nc.Close()
		s.forget(sess.slot)
	}
}

// lingerTime bounds how long a draining session waits for its client to
// close after faed closed its side.
const lingerTime = time.Second

// linger closes the write side of a client connection whose replies are all
// written, then reads (and drops) until the client closes or lingerTime
// passes: closing with unread requests in the socket would reset the
// connection, and the client could lose replies it has not read yet. The
// client sees end of file after its last reply, and knows that the requests
// it wrote after that were not read (never executed: safe to send again).
func linger(nc net.Conn) {
	cw, ok := nc.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	_ = nc.SetReadDeadline(time.Now().Add(lingerTime))
	buf := make([]byte, 4096)
	for {
		if _, err := nc.Read(buf); err != nil {
			return
		}
	}
}

// resume restarts a parked session whose connection became readable.
func (s *Server) resume(sess *session) {
	s.mu.Lock()
	if s.closed || sess.slot.removed {
		s.mu.Unlock()
		sess.nc.Close()
		s.forget(sess.slot)
		return
	}
	sess.active.Store(s.tick.Load())
	s.sessions[sess.nc] = sess
	s.wg.Add(1)
	s.mu.Unlock()
	go s.serve(sess)
}

// forget counts a client of sl as gone.
func (s *Server) forget(sl *poolSlot) {
	s.mu.Lock()
	sl.clients--
	s.mu.Unlock()
	sl.counters.conns.Add(-1)
}

// Clients returns the number of client connections, running and parked.
func (s *Server) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sl := range s.slots {
		n += sl.clients
	}
	return n
}

// Parked returns the number of parked client connections.
func (s *Server) Parked() int {
	if s.parker == nil {
		return 0
	}
	return s.parker.count()
}

// Close stops accepting, closes every client connection (running or
// parked), closes the pools (failing calls in flight) and waits for the
// sessions to end. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	close(s.quit)
	for _, sl := range s.slots {
		if sl.ln != nil {
			sl.ln.Close()
		}
	}
	for nc := range s.sessions {
		nc.Close()
	}
	s.mu.Unlock()
	if s.parker != nil {
		s.parker.close()
	}
	s.shutdownHTTP(5 * time.Second)
	// the clients are gone, so no reply can be delivered any more: fail
	// what is in flight (a server may never answer) and let sessions end
	s.closePools()
	s.wg.Wait()
	return nil
}

// closePools closes every pool version, current and retired, then the
// servants.
func (s *Server) closePools() {
	for _, p := range s.pools() {
		p.Close()
	}
	s.ops.closeRetired()
	closeMySQL(s.mysql)
	for _, c := range s.env.servants {
		c.Close()
	}
}

// info renders the INFO reply for a client of pool p.
func (s *Server) info(p *Pool) string {
	clients := s.Clients()
	r := p.ring.Load()
	var b strings.Builder
	fmt.Fprintf(&b, "# Server\r\nredis_version:%s\r\nfae_version:%s\r\nredis_mode:proxy\r\nprocess_id:%d\r\nuptime_in_seconds:%d\r\n",
		redisVersion, Version, os.Getpid(), int(time.Since(s.started).Seconds()))
	fmt.Fprintf(&b, "\r\n# Clients\r\nconnected_clients:%d\r\nparked_clients:%d\r\n", clients, s.Parked())
	fmt.Fprintf(&b, "\r\n# Proxy\r\npool:%s\r\nlisten:%s\r\nhash:%s\r\nhash_tag:%s\r\ndistribution:%s\r\nservers:%d\r\nlive_servers:%d\r\n",
		p.cfg.Name, p.cfg.Listen, p.cfg.Hash, p.cfg.HashTag, p.cfg.Distribution, len(p.servers), len(r.live))
	for i, sv := range p.servers {
		fmt.Fprintf(&b, "server%d:name=%s,ring=%s,weight=%d,dead=%t\r\n", i, sv.name, sv.node.Name, sv.node.Weight, !sv.alive())
	}
	return b.String()
}
