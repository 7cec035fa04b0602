package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fae-dev/fae/config"
)

// Server runs every pool of a config: one listener per pool and a session per
// client connection. Safe for concurrent use.
type Server struct {
	log     *slog.Logger
	pools   []*Pool
	lns     []net.Listener
	started time.Time
	nextID  atomic.Uint32

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	clients map[*Pool]int
	closed  bool
	wg      sync.WaitGroup // accept loops and sessions
}

// ErrProtocol is returned by New for a pool whose protocol faed cannot serve.
var ErrProtocol = errors.New("protocol not supported")

// New builds the pools of cfg; nothing listens until Listen.
func New(cfg *config.Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{log: log, conns: map[net.Conn]struct{}{}, clients: map[*Pool]int{}, started: time.Now()}
	for _, pc := range cfg.Pools {
		if pc.Protocol != "redis" {
			s.closePools()
			return nil, fmt.Errorf("pool %s: %w: %q (this build serves redis pools)", pc.Name, ErrProtocol, pc.Protocol)
		}
		p, err := NewPool(pc, log)
		if err != nil {
			s.closePools()
			return nil, fmt.Errorf("pool %s: %w", pc.Name, err)
		}
		s.pools = append(s.pools, p)
	}
	return s, nil
}

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
	return nil
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
		if !s.track(nc, p) {
			continue
		}
		s.wg.Add(1)
		go s.serve(nc, p)
	}
}

// track registers a client connection; it refuses one over the pool's
// client_connections limit (with an error reply) or after Close.
func (s *Server) track(nc net.Conn, p *Pool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		nc.Close()
		return false
	}
	if max := p.cfg.ClientConnections; max > 0 && s.clients[p] >= max {
		_ = nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
		nc.Close()
		return false
	}
	s.conns[nc] = struct{}{}
	s.clients[p]++
	return true
}

func (s *Server) serve(nc net.Conn, p *Pool) {
	defer s.wg.Done()
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	newSession(s, p, nc, s.nextID.Add(1)).run()
	nc.Close()
	s.mu.Lock()
	delete(s.conns, nc)
	s.clients[p]--
	s.mu.Unlock()
}

// Close stops accepting, closes every client connection, waits for the
// sessions to end and closes the pools. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	for _, ln := range s.lns {
		ln.Close()
	}
	for nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.closePools()
	return nil
}

func (s *Server) closePools() {
	for _, p := range s.pools {
		p.Close()
	}
}

// info renders the INFO reply for a client of pool p.
func (s *Server) info(p *Pool) string {
	s.mu.Lock()
	clients := len(s.conns)
	s.mu.Unlock()
	r := p.ring.Load()
	var b strings.Builder
	fmt.Fprintf(&b, "# Server\r\nredis_version:%s\r\nfae_version:%s\r\nredis_mode:proxy\r\nprocess_id:%d\r\nuptime_in_seconds:%d\r\n",
		redisVersion, Version, os.Getpid(), int(time.Since(s.started).Seconds()))
	fmt.Fprintf(&b, "\r\n# Clients\r\nconnected_clients:%d\r\n", clients)
	fmt.Fprintf(&b, "\r\n# Proxy\r\npool:%s\r\nlisten:%s\r\nhash:%s\r\nhash_tag:%s\r\ndistribution:%s\r\nservers:%d\r\nlive_servers:%d\r\n",
		p.cfg.Name, p.cfg.Listen, p.cfg.Hash, p.cfg.HashTag, p.cfg.Distribution, len(p.servers), len(r.live))
	for i, sv := range p.servers {
		fmt.Fprintf(&b, "server%d:name=%s,ring=%s,weight=%d,ejected=%t\r\n", i, sv.name, sv.node.Name, sv.node.Weight, sv.ejectedUntil.Load() != 0)
	}
	return b.String()
}
