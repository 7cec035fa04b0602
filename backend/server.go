package backend

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults used when Config fields are zero.
const (
	DefaultDialTimeout = time.Second
	DefaultBackoffMin  = time.Second
	DefaultBackoffMax  = 32 * time.Second
)

// Config describes one backend server.
type Config struct {
	// Name is the server's display name in errors; defaults to Addr.
	Name string
	// Network is "tcp" or "unix"; empty means "tcp".
	Network string
	// Addr is host:port, or the socket path for "unix".
	Addr string
	// Conns is how many connections to keep; 0 means 1.
	Conns int
	// DialTimeout bounds a connect plus the Init exchange; 0 means 1s.
	DialTimeout time.Duration
	// KeepAlive enables TCP keepalive probes on the connections.
	KeepAlive bool
	// Init are raw requests sent on every new connection before any call
	// (AUTH, SELECT). A reply that InitOK rejects fails the connect.
	Init [][]byte
	// InitOK checks one Init reply; nil accepts every reply.
	InitOK func(reply []byte) bool
	// InitHint is the scan hint of the Init replies.
	InitHint uint8
	// Scan finds the end of a reply. Required.
	Scan ScanFunc
	// Incomplete is the error Scan returns when it needs more bytes.
	Incomplete error
	// FailureLimit is how many consecutive failures (connect errors,
	// timeouts, resets) call OnFailures; 0 never calls it.
	FailureLimit int
	// OnFailures is called, from any goroutine, when FailureLimit
	// consecutive failures happened; the count then starts again. Nil is
	// allowed.
	OnFailures func(*Server)
	// BackoffMin and BackoffMax bound the jittered wait between failed
	// connects; 0 means 1s and 32s. Meanwhile calls fail fast with
	// ErrUnreachable, and the connection redials in the background.
	BackoffMin, BackoffMax time.Duration
	// OnConnect is called after a connection is established (and its Init
	// exchange passed); nil is allowed.
	OnConnect func()
	// OnDisconnect is called when an established connection closes, with
	// how long it was open; nil is allowed.
	OnDisconnect func(open time.Duration)
}

func (c *Config) fill() {
	if c.Name == "" {
		c.Name = c.Addr
	}
	if c.Network == "" {
		c.Network = "tcp"
	}
	if c.Conns <= 0 {
		c.Conns = 1
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = DefaultBackoffMin
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	if c.Incomplete == nil {
		c.Incomplete = errors.New("incomplete")
	}
}

// Server is one backend server: a fixed set of pipelined connections and the
// server's failure count. Safe for concurrent use.
type Server struct {
	cfg      Config
	conns    []*Conn
	failures atomic.Int32
	wg       sync.WaitGroup
	quit     chan struct{}
	once     sync.Once
}

// New returns a Server for cfg. It connects lazily, on the first Send (see
// Preconnect).
func New(cfg Config) *Server {
	cfg.fill()
	s := &Server{cfg: cfg, quit: make(chan struct{})}
	s.conns = make([]*Conn, cfg.Conns)
	for i := range s.conns {
		s.conns[i] = newConn(s)
		s.wg.Add(1)
		go s.conns[i].writer()
	}
	return s
}

// Name returns the server's display name.
func (s *Server) Name() string { return s.cfg.Name }

// Conn returns connection i modulo the number of connections. A client
// session should always use the same index so its requests to this server
// stay in order.
func (s *Server) Conn(i uint32) *Conn { return s.conns[i%uint32(len(s.conns))] }

// Preconnect starts connecting every connection now instead of on first use.
func (s *Server) Preconnect() {
	for _, c := range s.conns {
		c.mu.Lock()
		c.startDialLocked(time.Now())
		c.mu.Unlock()
	}
}

// Redial makes every connection that is down connect now, skipping the rest
// of its backoff: a health probe about to be sent wants a fresh attempt.
func (s *Server) Redial() {
	now := time.Now()
	for _, c := range s.conns {
		c.mu.Lock()
		c.nextDial = time.Time{}
		c.startDialLocked(now)
		c.mu.Unlock()
	}
}

// Failures returns the current count of consecutive failures.
func (s *Server) Failures() int { return int(s.failures.Load()) }

// Close fails every queued call with ErrClosed, closes the connections and
// waits for the server's goroutines. It is idempotent.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.quit)
		for _, c := range s.conns {
			c.close()
		}
	})
	s.wg.Wait()
}

func (s *Server) success() {
	if s.failures.Load() != 0 {
		s.failures.Store(0)
	}
}

func (s *Server) failure() {
	n := s.failures.Add(1)
	if s.cfg.FailureLimit > 0 && int(n) >= s.cfg.FailureLimit {
		s.failures.Store(0)
		if s.cfg.OnFailures != nil {
			s.cfg.OnFailures(s)
		}
	}
}

func (s *Server) errorf(err error) error { return &Error{Server: s.cfg.Name, Err: err} }
