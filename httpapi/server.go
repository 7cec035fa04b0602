package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of the Config fields, used when a field is zero.
const (
	// DefaultMaxBody is Config.MaxBody's default: 1 MiB.
	DefaultMaxBody = 1 << 20
	// DefaultMaxKeys is Config.MaxKeys's default.
	DefaultMaxKeys = 10000
	// DefaultCompressMin is Config.CompressMin's default: 1 KiB.
	DefaultCompressMin = 1 << 10
	// DefaultReadHeaderTimeout is Config.ReadHeaderTimeout's default.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout is Config.ReadTimeout's default.
	DefaultReadTimeout = time.Minute
	// DefaultWriteTimeout is Config.WriteTimeout's default.
	DefaultWriteTimeout = time.Minute
	// DefaultIdleTimeout is Config.IdleTimeout's default.
	DefaultIdleTimeout = 2 * time.Minute
)

// Config configures a Server. The zero value is ready to use: every zero
// field takes its default.
type Config struct {
	// MaxBody bounds a request body in bytes, both as sent and after
	// decoding gzip or deflate; a larger body is answered 413. It also
	// bounds the value of a PUT. Zero means DefaultMaxBody (1 MiB).
	MaxBody int64
	// MaxKeys bounds the keys of one mget or the items of one mset; more are
	// answered 413. Zero means DefaultMaxKeys (10000).
	MaxKeys int
	// CompressMin is the smallest response body, in bytes, that is
	// compressed when the client accepts gzip or deflate; smaller bodies
	// are sent as they are. Zero means DefaultCompressMin (1 KiB).
	CompressMin int
	// Timeout bounds the Store calls of one request through their context;
	// when it passes the client gets 504. Zero means no deadline of the
	// server's own: the pools' timeouts apply.
	Timeout time.Duration
	// ReadHeaderTimeout bounds reading a request's headers (see
	// http.Server). Zero means DefaultReadHeaderTimeout (10 s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included. Zero means
	// DefaultReadTimeout (1 min).
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of a request's headers to
	// the end of its response. Zero means DefaultWriteTimeout (1 min).
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its next
	// request. Zero means DefaultIdleTimeout (2 min).
	IdleTimeout time.Duration
}

// Validate reports a configuration that cannot work (a negative field),
// wrapping ErrInvalidConfig. New does not call it: it takes the default for
// any field that is not positive.
func (cfg Config) Validate() error {
	var errs []error
	check := func(name string, negative bool, v any) {
		if negative {
			errs = append(errs, fmt.Errorf("%w: %s %v is negative", ErrInvalidConfig, name, v))
		}
	}
	check("MaxBody", cfg.MaxBody < 0, cfg.MaxBody)
	check("MaxKeys", cfg.MaxKeys < 0, cfg.MaxKeys)
	check("CompressMin", cfg.CompressMin < 0, cfg.CompressMin)
	check("Timeout", cfg.Timeout < 0, cfg.Timeout)
	check("ReadHeaderTimeout", cfg.ReadHeaderTimeout < 0, cfg.ReadHeaderTimeout)
	check("ReadTimeout", cfg.ReadTimeout < 0, cfg.ReadTimeout)
	check("WriteTimeout", cfg.WriteTimeout < 0, cfg.WriteTimeout)
	check("IdleTimeout", cfg.IdleTimeout < 0, cfg.IdleTimeout)
	return errors.Join(errs...)
}

// withDefaults returns cfg with every field that is not positive replaced by
// its default (Timeout: by zero, no deadline).
func (cfg Config) withDefaults() Config {
	orDefault := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.CompressMin <= 0 {
		cfg.CompressMin = DefaultCompressMin
	}
	cfg.Timeout = max(cfg.Timeout, 0)
	orDefault(&cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	orDefault(&cfg.ReadTimeout, DefaultReadTimeout)
	orDefault(&cfg.WriteTimeout, DefaultWriteTimeout)
	orDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	return cfg
}

// Server serves the HTTP API over a fixed set of pools. Create one with New;
// the zero value is not usable. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	stores  map[string]Store // never modified after New
	health  []byte           // the body of GET /v1/health
	log     *slog.Logger
	ids     *idGen
	handler http.Handler
	srv     *http.Server

	gzipWriters sync.Pool // *gzip.Writer
	zlibWriters sync.Pool // *zlib.Writer
}

// New returns a Server for the pools in stores, keyed by pool name (names
// must not contain '/'). New copies the map: later changes to it are not
// seen. A nil log means slog.Default(). cfg's fields that are not positive
// take their defaults; check cfg with Validate first to refuse them instead.
func New(cfg Config, stores map[string]Store, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg.withDefaults(), stores: make(map[string]Store, len(stores)),
		log: log, ids: newIDGen()}
	names := make([]string, 0, len(stores))
	for name, st := range stores {
		s.stores[name] = st
		names = append(names, name)
	}
	slices.Sort(names)
	s.health, _ = json.Marshal(struct {
		Status string   `json:"status"`
		Pools  []string `json:"pools"`
	}{"ok", names}) // cannot fail: strings only
	s.health = append(s.health, '\n')
	s.handler = http.HandlerFunc(s.serve)
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler returns the API's handler, for serving it from another
// http.Server or a test; it expects paths starting with /v1/ as they come
// (mount it at the root, not under a prefix).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on ln and serves the API on them until Shutdown,
// then returns nil; it returns any other error of http.Server.Serve. Serve
// may be called for several listeners; Shutdown closes them all.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops the server gracefully: it closes the listeners and idle
// connections, lets the requests in flight finish (their Store calls are not
// canceled), and returns once they have, or ctx's error if ctx ends first
// (the remaining connections then stay open; call Shutdown again or let the
// process exit). Idempotent; safe from any goroutine.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// serve is the handler: it stamps the request id, routes, and answers any
// error a route returns.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if !saneRequestID(id) {
		id = s.ids.next()
	}
	w.Header()["X-Request-Id"] = []string{id}
	if err := s.route(w, r); err != nil {
		s.writeError(w, r, id, err)
	}
}

// route dispatches r by path and returns an error instead of writing one.
// The path is r.URL.Path, already percent-decoded: a key is the rest of the
// path after /keys/, so a '/' in it may be sent literally or as %2F.
func (s *Server) route(w http.ResponseWriter, r *http.Request) error {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		return noRoute(r)
	}
	if rest == "health" {
		return s.serveHealth(w, r)
	}
	pool, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return noRoute(r)
	}
	key, isKey := strings.CutPrefix(rest, "keys/")
	if !isKey && rest != "mget" && rest != "mset" {
		return noRoute(r)
	}
	st, ok := s.stores[pool]
	if !ok {
		return errorf(http.StatusNotFound, "unknown pool %q", pool)
	}
	switch {
	case isKey:
		return s.serveKey(w, r, st, key)
	case rest == "mget":
		return s.serveMGet(w, r, st)
	default:
		return s.serveMSet(w, r, st)
	}
}

// noRoute is the 404 of a path the API does not have.
func noRoute(r *http.Request) error {
	return errorf(http.StatusNotFound, "no such endpoint %q", r.URL.Path)
}

// serveHealth answers GET /v1/health with the pools' names.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return methodNotAllowed(r.Method, "GET, HEAD")
	}
	s.writeBody(w, r, http.StatusOK, "application/json", s.health)
	return nil
}

// storeContext returns the context of r's Store calls: r's own, bounded by
// Config.Timeout when it is set.
func (s *Server) storeContext(r *http.Request) (context.Context, context.CancelFunc) {
	if s.cfg.Timeout == 0 {
		return r.Context(), func() {}
	}
	return context.WithTimeout(r.Context(), s.cfg.Timeout)
}
