package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchWriter is a ResponseWriter that keeps nothing, so a benchmark of the
// handler measures the handler.
type benchWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }
func (w *benchWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// benchValue is the 100-byte value the GET benchmarks read.
var benchValue = bytes.Repeat([]byte("v"), 100)

// benchStore returns an lcache store holding benchValue under "key".
func benchStore(b *testing.B) *lcacheStore {
	st := newLcacheStore(b)
	if err := st.Set(context.Background(), []byte("key"), benchValue, 0); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkGetHandler measures GET of a 100-byte value through the handler,
// without a network.
func BenchmarkGetHandler(b *testing.B) {
	s := New(Config{}, map[string]Store{"alpha": benchStore(b)}, slog.New(slog.DiscardHandler))
	h := s.Handler()
	r := httptest.NewRequest("GET", "/v1/alpha/keys/key", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.n = 0
		h.ServeHTTP(w, r)
	}
	if w.status != 200 || w.n != len(benchValue) {
		b.Fatalf("status %d, %d bytes; want 200, %d", w.status, w.n, len(benchValue))
	}
}

// BenchmarkGetHTTP measures GET of a 100-byte value over loopback HTTP/1.1
// with keep-alive, from parallel clients. Compare with BenchmarkConstHTTP.
func BenchmarkGetHTTP(b *testing.B) {
	s := New(Config{}, map[string]Store{"alpha": benchStore(b)}, slog.New(slog.DiscardHandler))
	benchHTTP(b, s.Handler(), "/v1/alpha/keys/key")
}

// BenchmarkConstHTTP is the baseline of BenchmarkGetHTTP: a minimal net/http
// handler that answers a constant 100 bytes.
func BenchmarkConstHTTP(b *testing.B) {
	benchHTTP(b, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(benchValue)
	}), "/")
}

// benchHTTP serves h on loopback and GETs path from parallel clients.
func benchHTTP(b *testing.B, h http.Handler, path string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true, Proxy: nil}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	url := "http://" + ln.Addr().String() + path
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := hc.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || n != int64(len(benchValue)) {
				b.Errorf("status %d, %d bytes", res.StatusCode, n)
				return
			}
		}
	})
}
