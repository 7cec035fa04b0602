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

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/httpapi"
	"github.com/fae-dev/fae/servant/lcache"
	"github.com/fae-dev/fae/service"
	"github.com/prometheus/client_golang/prometheus"
)

// Server runs every pool of a config: one listener per pool and a session per
// client connection. Safe for concurrent use.
type Server struct {
	// ParkAfter is how long a client connection may be idle before its
	// session is parked (see park.go); 0 means DefaultParkAfter and a
	// negative value disables parking. Set it before Listen.
	ParkAfter time.Duration

	log     *slog.Logger
	pools   []*Pool
	lns     []net.Listener
	started time.Time
	nextID  atomic.Uint32
	tick    atomic.Int64 // advanced by the sweeper every ParkAfter/2
	parker  *parker
	quit    chan struct{}
	// servants are shared by the pools that name them (the first pool's
	// servant_max_memory sizes each), closed after the pools
	servants map[string]*lcache.Cache
	// httpPools listen with the HTTP API over every other pool
	httpPools []config.Pool
	https     []*httpapi.Server
	httpLns   []net.Listener
	registry  *prometheus.Registry
	metrics   *service.Metrics

	mu       sync.Mutex
	sessions map[net.Conn]*session // running sessions
	clients  map[*Pool]int         // running and parked
	closed   bool
	wg       sync.WaitGroup // accept loops, sweeper and sessions
}

// ErrProtocol is returned by New for a pool whose protocol faed cannot serve.
var ErrProtocol = errors.New("protocol not supported")

// New builds the pools of cfg; nothing listens until Listen.
func New(cfg *config.Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{log: log, sessions: map[net.Conn]*session{}, clients: map[*Pool]int{},
		started: time.Now(), quit: make(chan struct{}), servants: map[string]*lcache.Cache{},
		registry: prometheus.NewRegistry()}
	m, err := service.NewMetrics(s.registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	for _, pc := range cfg.Pools {
		if pc.Protocol == config.ProtocolHTTP {
			s.httpPools = append(s.httpPools, pc)
			continue
		}
		if pc.Protocol != config.ProtocolRedis && pc.Protocol != config.ProtocolMemcache {
			s.closePools()
			return nil, fmt.Errorf("pool %s: %w: %q (this build serves redis and memcache pools)", pc.Name, ErrProtocol, pc.Protocol)
		}
		p, err := newPool(pc, log, s.servants, m)
		if err != nil {
			s.closePools()
			return nil, fmt.Errorf("pool %s: %w", pc.Name, err)
		}
		s.pools = append(s.pools, p)
	}
	s.linkFailovers()
	for _, p := range s.pools {
		p.start()
	}
	return s, nil
}

// linkFailovers gives each pool that names a failover pool its targets. It
// runs before any client connects and before the health checkers start.
func (s *Server) linkFailovers() {
	for _, p := range s.pools {
		if name := p.cfg.Stack.Failover; name != "" && p.stack != nil {
			if f := s.Pool(name); f != nil {
				p.linkFailover(f)
			}
		}
	}
}

// Registry returns the registry of the server's metrics (the client stack's
// for now), for an admin endpoint to expose.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Listen opens every pool's listener and starts accepting clients.
func (s *Server) Listen() error {
	for _, p := range s.pools {
		ln, err := listen(p.cfg)
		if err != nil {
			s.Close()
			return fmt.Errorf("pool %s: listen %s: %w", p.cfg.Name, p.cfg.Listen, err)
		}
		s.lns = append(s.lns, ln)
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
	for i, ln := range s.lns {
		s.wg.Add(1)
		go s.accept(ln, s.pools[i])
	}
	return nil
}

// Addr returns the address pool listens on, or nil.
func (s *Server) Addr(pool string) net.Addr {
	for i, p := range s.pools {
		if p.cfg.Name == pool && i < len(s.lns) {
			return s.lns[i].Addr()
		}
	}
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
	for _, p := range s.pools {
		stores[p.cfg.Name] = p
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
func (s *Server) accept(ln net.Listener, p *Pool) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "pool", p.cfg.Name, "err", err, "in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		if sess := s.track(nc, p); sess != nil {
			go s.serve(sess)
		}
	}
}

// track registers a new client connection and returns its session; it
// refuses one over the pool's client_connections limit (with an error reply)
// or after Close.
func (s *Server) track(nc net.Conn, p *Pool) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		nc.Close()
		return nil
	}
	if max := p.cfg.ClientConnections; max > 0 && s.clients[p] >= max {
		_ = nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
		nc.Close()
		return nil
	}
	sess := newSession(s, p, nc, s.nextID.Add(1))
	sess.active.Store(s.tick.Load())
	s.sessions[nc] = sess
	s.clients[p]++
	s.wg.Add(1)
	return sess
}

// serve runs a session until it ends or is parked.
func (s *Server) serve(sess *session) {
	defer s.wg.Done()
	nc := sess.nc
	parked := sess.run()
	s.mu.Lock()
	delete(s.sessions, nc)
	s.mu.Unlock()
	if !parked {
		nc.Close()
		s.forget(sess.p)
	}
}

// resume restarts a parked session whose connection became readable.
func (s *Server) resume(sess *session) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sess.nc.Close()
		s.forget(sess.p)
		return
	}
	sess.active.Store(s.tick.Load())
	s.sessions[sess.nc] = sess
	s.wg.Add(1)
	s.mu.Unlock()
	go s.serve(sess)
}

// forget counts a client of p as gone.
func (s *Server) forget(p *Pool) {
	s.mu.Lock()
	s.clients[p]--
	s.mu.Unlock()
}

// Clients returns the number of client connections, running and parked.
func (s *Server) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.clients {
		n += c
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
	for _, ln := range s.lns {
		ln.Close()
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

func (s *Server) closePools() {
	for _, p := range s.pools {
		p.Close()
	}
	for _, c := range s.servants {
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
