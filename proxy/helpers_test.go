package proxy

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/resp"
	"github.com/fae-dev/fae/testkit"
)

// startRedises starts n redis-servers and returns them.
func startRedises(t *testing.T, n int, extra ...string) []*testkit.Process {
	t.Helper()
	out := make([]*testkit.Process, n)
	for i := range out {
		out[i] = testkit.StartRedis(t, extra...)
	}
	return out
}

// serverList renders "addr:1" entries for a TOML servers array.
func serverList(rs []*testkit.Process) string {
	var parts []string
	for i, r := range rs {
		parts = append(parts, fmt.Sprintf("%q", fmt.Sprintf("%s:1 s%d", r.Addr, i)))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// startProxy parses a TOML config, starts faed's proxy on it and returns the
// server and the address of pool "p" (listen 127.0.0.1:0 is allowed).
func startProxy(t *testing.T, toml string) (*Server, string) {
	t.Helper()
	return startConfig(t, parse(t, toml))
}

func startConfig(t *testing.T, cfg *config.Config) (*Server, string) {
	t.Helper()
	srv := serve(t, cfg, nil)
	return srv, srv.Addr(cfg.Pools[0].Name).String()
}

// parse reads a TOML config, ending the test when it is invalid.
func parse(tb testing.TB, toml string) *config.Config {
	tb.Helper()
	cfg, err := config.Parse([]byte(toml), "test.toml", "toml")
	if err != nil {
		tb.Fatalf("config: %v\n%s", err, toml)
	}
	return cfg
}

// serve builds a Server on cfg (logging nowhere), lets opt (when not nil)
// set its options, starts it and closes it when tb ends. It is the one
// place tests, fuzz targets and benchmarks start faed.
func serve(tb testing.TB, cfg *config.Config, opt func(*Server)) *Server {
	tb.Helper()
	srv, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	if opt != nil {
		opt(srv)
	}
	if err := srv.Listen(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv
}

// poolTOML is a pool "p" listening on a free port over rs.
func poolTOML(rs []*testkit.Process, extra string) string {
	return fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nservers = %s\n%s\n", serverList(rs), extra)
}

// client is a minimal RESP client over one connection.
type client struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// send writes args as one request without reading the reply.
func (c *client) send(args ...string) {
	c.t.Helper()
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	c.raw(string(resp.AppendCommand(nil, b...)))
}

// raw writes bytes as they are.
func (c *client) raw(s string) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write([]byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next reply's raw bytes.
func (c *client) read() string {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := resp.ReadReply(c.r)
	if err != nil {
		c.t.Fatalf("read reply: %v", err)
	}
	return string(b)
}

// do sends one request and returns its raw reply.
func (c *client) do(args ...string) string {
	c.t.Helper()
	c.send(args...)
	return c.read()
}

// expect sends a request and checks the exact reply bytes.
func (c *client) expect(want string, args ...string) {
	c.t.Helper()
	if got := c.do(args...); got != want {
		c.t.Errorf("%q: got %q, want %q", args, got, want)
	}
}

func bulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

// eventually polls cond until it is true or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func dialUnix(t *testing.T, path string) *client {
	t.Helper()
	nc, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// startRedisB starts a redis-server for a benchmark and returns its address.
func startRedisB(b *testing.B) string { return testkit.StartRedis(b).Addr }

// startProxyB starts faed on a TOML config for a benchmark.
func startProxyB(b *testing.B, toml string) string {
	b.Helper()
	cfg := parse(b, toml)
	return serve(b, cfg, nil).Addr(cfg.Pools[0].Name).String()
}

// startProxyWith is startProxy with a hook to set Server options before
// Listen.
func startProxyWith(t *testing.T, toml string, opt func(*Server)) (*Server, string) {
	t.Helper()
	cfg := parse(t, toml)
	srv := serve(t, cfg, opt)
	return srv, srv.Addr(cfg.Pools[0].Name).String()
}
