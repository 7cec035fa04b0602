package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/backend"
)

func TestHealth(t *testing.T) {
	_, base := startServer(t, Config{}, map[string]Store{"beta": newLcacheStore(t), "alpha": newLcacheStore(t)})
	c := newClient(t, base)
	res, body := c.do("GET", "/v1/health", nil)
	if want := `{"status":"ok","pools":["alpha","beta"]}` + "\n"; res.StatusCode != 200 || string(body) != want {
		t.Fatalf("health: %d %s, want 200 %s", res.StatusCode, body, want)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q, want application/json", got)
	}
	c.expect(200, "HEAD", "/v1/health", nil)

	_, base = startServer(t, Config{}, nil)
	body = newClient(t, base).expect(200, "GET", "/v1/health", nil)
	if want := `{"status":"ok","pools":[]}` + "\n"; string(body) != want {
		t.Errorf("health with no pools: %s, want %s", body, want)
	}
}

func TestRoutes(t *testing.T) {
	c, _ := alpha(t, Config{})
	tests := []struct {
		method, path string
		status       int
		wantErr      string
		allow        string
	}{
		{"GET", "/", 404, `no such endpoint \"/\"`, ""},
		{"GET", "/v2/alpha/keys/a", 404, "no such endpoint", ""},
		{"GET", "/v1/", 404, "no such endpoint", ""},
		{"GET", "/v1/alpha", 404, "no such endpoint", ""},
		{"GET", "/v1/alpha/", 404, "no such endpoint", ""},
		{"GET", "/v1/alpha/keys", 404, "no such endpoint", ""},
		{"GET", "/v1/alpha/scan", 404, "no such endpoint", ""},
		{"GET", "/v1/health/", 404, "no such endpoint", ""},
		{"GET", "/v1/nosuch/keys/a", 404, `unknown pool \"nosuch\"`, ""},
		{"POST", "/v1/nosuch/mget", 404, `unknown pool \"nosuch\"`, ""},
		{"POST", "/v1/alpha/keys/a", 405, "method POST not allowed", "GET, HEAD, PUT, DELETE"},
		{"PATCH", "/v1/alpha/keys/a", 405, "method PATCH not allowed", "GET, HEAD, PUT, DELETE"},
		{"GET", "/v1/alpha/mget", 405, "method GET not allowed", "POST"},
		{"PUT", "/v1/alpha/mset", 405, "method PUT not allowed", "POST"},
		{"POST", "/v1/health", 405, "method POST not allowed", "GET, HEAD"},
		{"DELETE", "/v1/health", 405, "method DELETE not allowed", "GET, HEAD"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res, body := c.do(tc.method, tc.path, nil, "X-Request-Id", "route-test")
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %s)", res.StatusCode, tc.status, body)
			}
			if !strings.Contains(string(body), tc.wantErr) || !strings.HasSuffix(string(body), `,"request_id":"route-test"}`+"\n") {
				t.Errorf("body %s, want an error containing %q and the request id", body, tc.wantErr)
			}
			if got := res.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			if got := res.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q, want application/json", got)
			}
		})
	}
}

func TestStoreErrors(t *testing.T) {
	timeout := &backend.Error{Server: "10.0.0.1:6379", Err: backend.ErrTimeout}
	stores := map[string]Store{
		"timeout": errStore{fmt.Errorf("pool timeout: %w", timeout)},
		"bad":     errStore{fmt.Errorf("%w: key too long", ErrBadRequest)},
		"broken":  errStore{&backend.Error{Server: "10.0.0.2:6379", Err: backend.ErrUnreachable}},
		"boom":    errStore{errBoom},
		"short":   shortStore{newLcacheStore(t)},
	}
	_, base := startServer(t, Config{}, stores)
	c := newClient(t, base)
	requests := []struct{ method, path, body string }{
		{"GET", "/keys/k", ""},
		{"HEAD", "/keys/k", ""},
		{"PUT", "/keys/k", "v"},
		{"DELETE", "/keys/k", ""},
		{"POST", "/mget", `{"keys":["k"]}`},
		{"POST", "/mset", `{"items":[{"key":"k","value":"v"}]}`},
	}
	pools := []struct {
		name    string
		status  int
		wantErr string
	}{
		{"timeout", 504, "server 10.0.0.1:6379: timeout"},
		{"bad", 400, `"bad request: key too long"`},
		{"broken", 502, "server 10.0.0.2:6379: server unreachable"},
		{"boom", 502, ": boom"},
	}
	for _, p := range pools {
		for _, r := range requests {
			t.Run(p.name+" "+r.method+" "+r.path, func(t *testing.T) {
				res, body := c.do(r.method, "/v1/"+p.name+r.path, text(r.body))
				if res.StatusCode != p.status {
					t.Fatalf("status %d, want %d (body %s)", res.StatusCode, p.status, body)
				}
				if r.method != "HEAD" && !strings.Contains(string(body), p.wantErr) {
					t.Errorf("body %s, want it to contain %q", body, p.wantErr)
				}
			})
		}
	}
	body := c.expect(502, "POST", "/v1/short/mget", text(`{"keys":["a","b"]}`))
	if !strings.Contains(string(body), "store answered 1 values and 1 flags for 2 keys") {
		t.Errorf("short mget: %s", body)
	}
}

func TestTimeout(t *testing.T) {
	_, base := startServer(t, Config{Timeout: 20 * time.Millisecond}, map[string]Store{"slow": waitStore{}})
	c := newClient(t, base)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/v1/slow/keys/k", ""},
		{"PUT", "/v1/slow/keys/k", "v"},
		{"DELETE", "/v1/slow/keys/k", ""},
		{"POST", "/v1/slow/mget", `{"keys":["k"]}`},
		{"POST", "/v1/slow/mset", `{"items":[{"key":"k","value":"v"}]}`},
	} {
		body := c.expect(http.StatusGatewayTimeout, r.method, r.path, text(r.body))
		if !strings.Contains(string(body), "context deadline exceeded") {
			t.Errorf("%s %s: body %s, want the deadline named", r.method, r.path, body)
		}
	}
}

// unsized hides a reader's length, so the client sends it chunked.
type unsized struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	c, st := alpha(t, Config{MaxBody: 100})
	exact := bytes.Repeat([]byte("x"), 100)
	c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/k", bytes.NewReader(exact))
	c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/chunked", unsized{bytes.NewReader(exact)})
	if got, _ := st.raw(t, []byte("chunked")); !bytes.Equal(got, exact) {
		t.Errorf("chunked PUT stored %q", got)
	}
	over := append(bytes.Clone(exact), 'y')
	for name, body := range map[string]io.Reader{
		"sized":   bytes.NewReader(over),
		"chunked": unsized{bytes.NewReader(over)},
	} {
		res, b := c.do("PUT", "/v1/alpha/keys/k", body, "X-Request-Id", "big-1")
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("%s PUT of 101 bytes: %d %s, want 413", name, res.StatusCode, b)
		}
		if want := `{"error":"request body over 100 bytes","request_id":"big-1"}` + "\n"; string(b) != want {
			t.Errorf("%s: body %s, want %s", name, b, want)
		}
	}
	keys := `{"keys":["` + strings.Repeat("a", 100) + `"]}`
	c.expect(http.StatusRequestEntityTooLarge, "POST", "/v1/alpha/mget", text(keys))
	if got, _ := st.raw(t, []byte("k")); !bytes.Equal(got, exact) {
		t.Errorf("a refused PUT changed the value to %q", got)
	}
}

func TestShutdownWaitsForRequests(t *testing.T) {
	st := newLcacheStore(t)
	if err := st.Set(t.Context(), []byte("k"), []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	gate := &gateStore{Store: st, started: make(chan struct{}, 1), release: make(chan struct{})}
	s := New(Config{}, map[string]Store{"alpha": gate}, slog.New(slog.NewTextHandler(t.Output(), nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	c := newClient(t, "http://"+ln.Addr().String())

	type result struct {
		status int
		body   string
	}
	got := make(chan result, 1)
	go func() {
		res, body := c.do("GET", "/v1/alpha/keys/k", nil)
		got <- result{res.StatusCode, string(body)}
	}()
	<-gate.started // the GET is inside the Store

	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v after Shutdown, want nil", err)
	}
	// The listener closes: new connections are refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts 5s after Shutdown")
		}
		time.Sleep(time.Millisecond)
	}
	// A Shutdown bounded by a context that ends gives up with its error.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with the request in flight and a 10ms context: %v, want DeadlineExceeded", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a request was in flight", err)
	default:
	}

	close(gate.release)
	if r := <-got; r.status != 200 || r.body != "v" {
		t.Fatalf("in-flight GET: %d %q, want 200 \"v\"", r.status, r.body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v, want nil", err)
	}
}

func TestConfig(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v, want valid", err)
	}
	err := Config{MaxBody: -1, Timeout: -time.Second}.Validate()
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "MaxBody -1") ||
		!strings.Contains(err.Error(), "Timeout -1s") {
		t.Errorf("negative fields: %v, want ErrInvalidConfig naming MaxBody and Timeout", err)
	}
	got := Config{MaxBody: -1, Timeout: -1}.withDefaults()
	want := Config{MaxBody: DefaultMaxBody, MaxKeys: DefaultMaxKeys, CompressMin: DefaultCompressMin,
		ReadHeaderTimeout: DefaultReadHeaderTimeout, ReadTimeout: DefaultReadTimeout,
		WriteTimeout: DefaultWriteTimeout, IdleTimeout: DefaultIdleTimeout}
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
	kept := Config{MaxBody: 5, MaxKeys: 6, CompressMin: 7, Timeout: 8, ReadHeaderTimeout: 9,
		ReadTimeout: 10, WriteTimeout: 11, IdleTimeout: 12}
	if got := kept.withDefaults(); got != kept {
		t.Errorf("withDefaults changed set fields: %+v, want %+v", got, kept)
	}
}

func TestNewCopiesStores(t *testing.T) {
	stores := map[string]Store{"alpha": newLcacheStore(t)}
	_, base := startServer(t, Config{}, stores)
	stores["late"] = newLcacheStore(t)
	delete(stores, "alpha")
	c := newClient(t, base)
	c.expect(http.StatusNotFound, "GET", "/v1/alpha/keys/k", nil)
	c.expect(http.StatusNotFound, "GET", "/v1/late/keys/k", nil)
	body := c.expect(200, "GET", "/v1/health", nil)
	if want := `{"status":"ok","pools":["alpha"]}` + "\n"; string(body) != want {
		t.Errorf("health %s, want %s", body, want)
	}
}

func TestHandlerInAnotherServer(t *testing.T) {
	st := newLcacheStore(t)
	s := New(Config{}, map[string]Store{"alpha": st}, nil)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	c := newClient(t, ts.URL)
	c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/k", text("v"))
	if got := c.expect(200, "GET", "/v1/alpha/keys/k", nil); string(got) != "v" {
		t.Errorf("GET through Handler: %q, want \"v\"", got)
	}
}
