package admin

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Defaults of the Config fields, used when a field is zero.
const (
	// DefaultAddr is Config.Addr's default: loopback only, so that an
	// operator has to ask for the admin server to be reachable from other
	// hosts. It is the same as config.DefaultAdminListen (22222 is
	// nutcracker's stats port, which may run beside faed).
	DefaultAddr = "127.0.0.1:22223"
	// DefaultReadHeaderTimeout is Config.ReadHeaderTimeout's default.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultReadTimeout is Config.ReadTimeout's default.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout is Config.WriteTimeout's default. It is longer
	// than the 30 s CPU profile /debug/pprof/profile takes by default.
	DefaultWriteTimeout = 2 * time.Minute
	// DefaultIdleTimeout is Config.IdleTimeout's default.
	DefaultIdleTimeout = 2 * time.Minute
	// MaxBodyBytes bounds the body of a POST (a degrade switch); a larger
	// body is answered 413.
	MaxBodyBytes = 64 << 10
)

// Config configures a Server. The zero value is ready to use: every zero
// field takes its default.
type Config struct {
	// Addr is the TCP address to listen on, host:port; port 0 picks a free
	// port (see Server.Addr). Empty means DefaultAddr (127.0.0.1:22223).
	Addr string
	// Token, when not empty, is a bearer token that every request except
	// GET /healthz must carry as "Authorization: Bearer TOKEN"; others are
	// answered 401. The dashboard page (GET /) also takes it as ?token=,
	// since a browser cannot set the header when opening a page, and the
	// page then sends it as the header to /stats. Empty means no
	// authentication: keep Addr on loopback then.
	Token string
	// ReadHeaderTimeout bounds reading a request's headers (see
	// http.Server). Zero means DefaultReadHeaderTimeout (5 s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included. Zero means
	// DefaultReadTimeout (30 s).
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of a request's headers to
	// the end of its response, and so the longest pprof profile or trace
	// that can be taken. Zero means DefaultWriteTimeout (2 min).
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its next
	// request. Zero means DefaultIdleTimeout (2 min).
	IdleTimeout time.Duration
}

// Validate reports a configuration that cannot work, wrapping
// ErrInvalidConfig: an Addr that is not host:port, a Token with spaces or
// control characters (it could not be sent in a header), or a negative
// timeout. New calls it.
func (cfg Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	if cfg.Addr != "" {
		if _, port, err := net.SplitHostPort(cfg.Addr); err != nil {
			bad("Addr %q: %v", cfg.Addr, err)
		} else if port == "" {
			bad("Addr %q: no port", cfg.Addr)
		}
	}
	if strings.ContainsFunc(cfg.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		bad("Token contains a space or a control character")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"ReadHeaderTimeout", cfg.ReadHeaderTimeout},
		{"ReadTimeout", cfg.ReadTimeout},
		{"WriteTimeout", cfg.WriteTimeout},
		{"IdleTimeout", cfg.IdleTimeout},
	} {
		if d.v < 0 {
			bad("%s %v is negative", d.name, d.v)
		}
	}
	return errors.Join(errs...)
}

// withDefaults returns cfg with every zero field replaced by its default.
func (cfg Config) withDefaults() Config {
	orDefault := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	orDefault(&cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	orDefault(&cfg.ReadTimeout, DefaultReadTimeout)
	orDefault(&cfg.WriteTimeout, DefaultWriteTimeout)
	orDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	return cfg
}

// isLoopback reports whether addr's host is a loopback address or name.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
