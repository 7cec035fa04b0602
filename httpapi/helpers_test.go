package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServer serves a new Server over stores on a free loopback port and
// returns it with its base URL. Cleanup shuts it down and waits for Serve.
func startServer(t *testing.T, cfg Config, stores map[string]Store) (*Server, string) {
	t.Helper()
	s := New(cfg, stores, slog.New(slog.NewTextHandler(t.Output(), nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, "http://" + ln.Addr().String()
}

// client sends requests to one test server and reads whole responses. It
// neither asks for nor decodes compression on its own.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

// newClient returns a client of the server at base, closed when t ends.
func newClient(t *testing.T, base string) *client {
	tr := &http.Transport{DisableCompression: true, Proxy: nil}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: base, hc: &http.Client{Transport: tr}}
}

// do sends method path with body (nil for none) and header name/value pairs
// and returns the response with its whole body.
func (c *client) do(method, path string, body io.Reader, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return res, b
}

// expect sends a request and checks its status; it returns the body.
func (c *client) expect(want int, method, path string, body io.Reader, header ...string) []byte {
	c.t.Helper()
	res, b := c.do(method, path, body, header...)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: status %d, want %d (body %q)", method, path, res.StatusCode, want, b)
	}
	return b
}

// text is a request body of s.
func text(s string) io.Reader { return strings.NewReader(s) }

// alpha starts a server with one lcache pool, "alpha", and returns a client
// of it and the store.
func alpha(t *testing.T, cfg Config) (*client, *lcacheStore) {
	t.Helper()
	st := newLcacheStore(t)
	_, base := startServer(t, cfg, map[string]Store{"alpha": st})
	return newClient(t, base), st
}
