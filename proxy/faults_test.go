package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A paused server makes only its request time out; the connection is reset,
// so the late reply is never handed to a later request.
func TestTimeoutNoStaleReply(t *testing.T) {
	rs := startRedises(t, 1)
	_, addr := startProxy(t, poolTOML(rs, `timeout = "200ms"`))
	c := dial(t, addr)
	c.expect("+OK\r\n", "SET", "a", "A")
	c.expect("+OK\r\n", "SET", "b", "B")

	rs[0].Pause()
	start := time.Now()
	got := c.do("GET", "a")
	took := time.Since(start)
	rs[0].Resume()
	if !strings.HasPrefix(got, "-ERR fae: server ") || !strings.Contains(got, "timeout") {
		t.Fatalf("got %q, want a timeout error naming the server", got)
	}
	if took < 150*time.Millisecond || took > time.Second {
		t.Errorf("timed out after %v, want about 200ms", took)
	}
	// the reply to GET a arrives at the old socket once resumed; it must
	// never reach these requests
	for i := 0; i < 20; i++ {
		c.expect(bulk("B"), "GET", "b")
	}
}

// Many pipelined requests on a paused server all fail within the timeout and
// the session stays usable.
func TestTimeoutPipelined(t *testing.T) {
	rs := startRedises(t, 2)
	_, addr := startProxy(t, poolTOML(rs, "timeout = \"150ms\"\nhash = \"md5\""))
	c := dial(t, addr)
	rs[0].Pause()
	var b strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "*2\r\n$3\r\nGET\r\n$4\r\nk%03d\r\n", i)
	}
	start := time.Now()
	c.raw(b.String())
	errs := 0
	for i := 0; i < 100; i++ {
		got := c.read()
		if strings.HasPrefix(got, "-ERR fae: server "+rs[0].Addr) {
			errs++
		} else if got != "$-1\r\n" {
			t.Fatalf("reply %d: got %q", i, got)
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("100 replies took %v", took)
	}
	rs[0].Resume()
	if errs == 0 || errs == 100 {
		t.Errorf("%d of 100 failed; want only the paused server's keys", errs)
	}
	c.expect("+PONG\r\n", "PING")
}

// With auto_eject_hosts a dead server leaves the ring after
// server_failure_limit failures and comes back after server_retry_timeout.
func TestEjectAndRevive(t *testing.T) {
	rs := startRedises(t, 2)
	_, addr := startProxy(t, poolTOML(rs, `
timeout = "300ms"
auto_eject_hosts = true
server_failure_limit = 2
server_retry_timeout = "500ms"`))
	c := dial(t, addr)
	// a key owned by server 0
	var key string
	for i := 0; key == ""; i++ {
		k := fmt.Sprintf("ej%d", i)
		c.expect("+OK\r\n", "SET", k, "x")
		d := dial(t, rs[0].Addr)
		if d.do("EXISTS", k) == ":1\r\n" {
			key = k
		}
	}
	rs[0].Kill()
	// failures until ejected, then the key maps to server 1 and works
	eventually(t, 5*time.Second, "key served by the other server", func() bool {
		return c.do("SET", key, "y") == "+OK\r\n"
	})
	d := dial(t, rs[1].Addr)
	d.expect(bulk("y"), "GET", key)
	rs[0].Restart()
	// after the retry timeout server 0 is back in the ring and owns the key
	eventually(t, 5*time.Second, "server revived", func() bool {
		return c.do("GET", key) == "$-1\r\n" // restarted server is empty
	})
}

// Without auto_eject_hosts a down server gives clear errors for its keys
// only, and requests succeed again once it is back (reconnect with backoff).
func TestReconnect(t *testing.T) {
	rs := startRedises(t, 2)
	_, addr := startProxy(t, poolTOML(rs, `timeout = "300ms"`))
	c := dial(t, addr)
	c.expect("+OK\r\n", "SET", "rc", "1")
	owner := rs[0]
	if dial(t, rs[1].Addr).do("EXISTS", "rc") == ":1\r\n" {
		owner = rs[1]
	}
	owner.Kill()
	got := c.do("GET", "rc")
	if !strings.HasPrefix(got, "-ERR fae: server "+owner.Addr) {
		t.Errorf("got %q, want an error naming %s", got, owner.Addr)
	}
	owner.Restart()
	eventually(t, 10*time.Second, "reconnected", func() bool { return c.do("GET", "rc") == "$-1\r\n" })
}

// Close returns promptly even when a request waits on a server that never
// answers (no timeout configured).
func TestCloseWithStuckBackend(t *testing.T) {
	rs := startRedises(t, 1)
	srv, addr := startProxy(t, poolTOML(rs, `timeout = 0`))
	c := dial(t, addr)
	c.expect("+OK\r\n", "SET", "k", "v")
	rs[0].Pause()
	defer rs[0].Resume()
	c.send("GET", "k")
	eventually(t, 5*time.Second, "request in flight", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		for _, sess := range srv.sessions {
			if sess.inflight.Load() > 0 {
				return true
			}
		}
		return false
	})
	done := make(chan struct{})
	go func() {
		srv.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with a request stuck on a paused server")
	}
}
