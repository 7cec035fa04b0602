package admin

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is faed's admin HTTP server. Create one with New, then Start it;
// Close stops it. The zero value is not usable. Its methods are safe for
// concurrent use.
type Server struct {
	cfg     Config
	target  Target
	log     *slog.Logger
	handler http.Handler
	srv     *http.Server

	mu      sync.Mutex
	ln      net.Listener  // set by Start
	done    chan struct{} // closed when the serving goroutine has returned
	started bool
	closed  bool
}

// New returns a Server for t, not yet listening. cfg is checked with
// Validate and its zero fields take their defaults. A nil log means
// slog.Default(). New calls t.Gatherer once: /metrics serves that gatherer
// (an empty registry if it is nil).
func New(cfg Config, t Target, log *slog.Logger) (*Server, error) {
	if t == nil {
		return nil, ErrNilTarget
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg.withDefaults(), target: t, log: log}
	s.handler = s.authorize(s.routes())
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler returns the server's handler (authentication included), for
// serving it from another http.Server or an httptest.Server. It expects the
// paths as they come: mount it at the root.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on Config.Addr and serves in a goroutine that Close stops.
// It returns the listen error, ErrStarted if called twice, or ErrClosed
// after Close. A listener on a non-loopback address without a Token is
// logged as a warning.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.started:
		return ErrStarted
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("admin: listen: %w", err)
	}
	s.started, s.ln, s.done = true, ln, make(chan struct{})
	if s.cfg.Token == "" && !isLoopback(ln.Addr().String()) {
		s.log.Warn("admin server listens beyond loopback without a token", "addr", ln.Addr().String())
	}
	s.log.Info("admin server listening", "addr", ln.Addr().String())
	go s.serve(ln, s.done)
	return nil
}

// serve runs http.Server.Serve until Close; it closes done when it returns.
func (s *Server) serve(ln net.Listener, done chan struct{}) {
	defer close(done)
	if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("admin server stopped", "err", err)
	}
}

// Addr returns the address the server listens on (with the port chosen when
// Config.Addr's port is 0), or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops the server gracefully: it closes the listener and idle
// connections, waits for the requests in flight and for the serving
// goroutine, and returns nil; or ctx's error if ctx ends first, after
// closing the remaining connections at once. Idempotent; safe from any
// goroutine; a Server that was never started is just marked closed.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	done := s.done
	s.mu.Unlock()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close() // ctx ended: drop what is left
	}
	if done != nil {
		<-done
	}
	return err
}

// routes returns the mux of every endpoint. It is the server's own mux:
// importing net/http/pprof also registers its handlers on
// http.DefaultServeMux, which faed never serves.
func (s *Server) routes() *http.ServeMux {
	g := s.target.Gatherer()
	if g == nil {
		g = prometheus.NewRegistry()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}))
	mux.HandleFunc("GET /stats", s.getStats)
	mux.HandleFunc("GET /healthz", getHealthz)
	mux.HandleFunc("GET /readyz", s.getReadyz)
	mux.HandleFunc("GET /config", s.getConfig)
	mux.HandleFunc("POST /reload", s.postReload)
	mux.HandleFunc("GET /degrade", s.getDegrade)
	mux.HandleFunc("POST /degrade", s.postDegrade)
	mux.HandleFunc("GET /{$}", getDashboard)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// authorize wraps next with the bearer token check of Config.Token.
func (s *Server) authorize(next http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	want := []byte(s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok && r.URL.Path == "/" {
			got, ok = r.URL.Query().Get("token"), true
		}
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="faed"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}
