package nutstats

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fae-dev/fae/admin"
)

func listen(t *testing.T, snapshot func() admin.Stats, source string) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", snapshot, source)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestServerWritesOneDocumentAndCloses(t *testing.T) {
	s := listen(t, sample, "host1")
	got := fetch(t, s.Addr().String()) // returns only once the server closed
	if want := Render(sample(), "host1"); string(got) != string(want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !json.Valid(got) {
		t.Errorf("not valid JSON: %s", got)
	}
}

// TestServerClientSendsData: a client that writes first (a probe sending
// "stats\r\n") still gets the whole document, not a reset.
func TestServerClientSendsData(t *testing.T) {
	s := listen(t, sample, "host1")
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("stats\r\n")); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, got)
	}
	if want := Render(sample(), "host1"); string(got) != string(want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestServerSnapshotPerConnection(t *testing.T) {
	var n atomic.Int64
	s := listen(t, func() admin.Stats { return admin.Stats{ClientConns: n.Add(1)} }, "h")
	for i := int64(1); i <= 3; i++ {
		var doc struct {
			Curr int64 `json:"curr_connections"`
		}
		if err := json.Unmarshal(fetch(t, s.Addr().String()), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Curr != i {
			t.Errorf("connection %d: got curr_connections %d, want %d", i, doc.Curr, i)
		}
	}
}

func TestServerConcurrentClients(t *testing.T) {
	s := listen(t, sample, "host1")
	want := string(Render(sample(), "host1"))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if got, err := io.ReadAll(c); err != nil || string(got) != want {
				t.Errorf("got %q, %v; want the document", got, err)
			}
		})
	}
	wg.Wait()
}

func TestListenDefaultSource(t *testing.T) {
	want, err := os.Hostname()
	if err != nil || want == "" {
		want = "unknown"
	}
	s := listen(t, func() admin.Stats { return admin.Stats{} }, "")
	var doc struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(fetch(t, s.Addr().String()), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Source != want {
		t.Errorf("got source %q, want %q", doc.Source, want)
	}
}

func TestListenErrors(t *testing.T) {
	s := listen(t, sample, "h")
	_, err := Listen(s.Addr().String(), sample, "h")
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Errorf("Listen on a busy port: got %v, want a *net.OpError", err)
	}
	if _, err := Listen("127.0.0.1:0", nil, "h"); err == nil {
		t.Error("Listen with a nil snapshot: got no error")
	}
}

// TestCloseLeavesNoGoroutine closes a server while a client holds a
// connection open without closing it (so serve is waiting for it).
func TestCloseLeavesNoGoroutine(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	s, err := Listen("127.0.0.1:0", sample, "h")
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Read the document, not the EOF: the server is now lingering.
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	want := Render(sample(), "h")
	if _, err := io.ReadFull(c, make([]byte, len(want))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	goleak.VerifyNone(t, ignore)
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Error("dial after Close succeeded")
	}
}

func TestCloseConcurrent(t *testing.T) {
	s, err := Listen("127.0.0.1:0", sample, "h")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
}
