package proxy

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Idle sessions are parked (no goroutines) and resume transparently on the
// next request; a client that closes while parked is counted as gone, and
// shutdown closes parked connections.
func TestIdleParking(t *testing.T) {
	rs := startRedises(t, 2)
	cfg := poolTOML(rs, "")
	srv, addr := startProxyWith(t, cfg, func(s *Server) { s.ParkAfter = 40 * time.Millisecond })
	const n = 50
	base := runtime.NumGoroutine()
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = dial(t, addr)
		clients[i].expect("+OK\r\n", "SET", fmt.Sprintf("park:%d", i), fmt.Sprint(i))
	}
	clients[0].expect("+OK\r\n", "CLIENT", "SETNAME", "worker-0")
	eventually(t, 5*time.Second, "all sessions parked", func() bool { return srv.Parked() == n })
	// parked sessions run no goroutine: back to about the count before the
	// clients came (backend connections add a few)
	if after := runtime.NumGoroutine(); after > base+10 {
		t.Errorf("goroutines: %d before the %d clients, %d with all of them parked", base, n, after)
	}
	if got := srv.Clients(); got != n {
		t.Errorf("clients while parked: got %d, want %d", got, n)
	}
	// every parked client is served again, state (client name) kept
	for i, c := range clients {
		c.expect(bulk(fmt.Sprint(i)), "GET", fmt.Sprintf("park:%d", i))
	}
	clients[0].expect(bulk("worker-0"), "CLIENT", "GETNAME")
	// pipelined traffic right after resuming keeps its order
	eventually(t, 5*time.Second, "parked again", func() bool { return srv.Parked() == n })
	c := clients[1]
	c.raw("PING\r\nGET park:1\r\nECHO x\r\n")
	for _, want := range []string{"+PONG\r\n", bulk("1"), bulk("x")} {
		if got := c.read(); got != want {
			t.Errorf("after resume: got %q, want %q", got, want)
		}
	}
	// a client closing while parked is forgotten
	eventually(t, 5*time.Second, "parked again", func() bool { return srv.Parked() == n })
	clients[2].nc.Close()
	eventually(t, 5*time.Second, "closed client forgotten", func() bool { return srv.Clients() == n-1 })
	// shutdown closes parked connections
	eventually(t, 5*time.Second, "parked again", func() bool { return srv.Parked() == n-1 })
	srv.Close()
	_ = clients[3].nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := clients[3].r.ReadByte(); err == nil {
		t.Error("parked connection still open after Close")
	}
	if got := srv.Clients(); got != 0 {
		t.Errorf("clients after Close: got %d, want 0", got)
	}
}

// A memcache session in the middle of discarding a refused, too large value
// does not park: the rest of the value must not be read as commands.
func TestParkingWhileSkipping(t *testing.T) {
	m := startMemcachedAddr(t)
	cfg := fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nprotocol = \"memcache\"\nservers = [\"%s:1\"]\n", m)
	srv, addr := startProxyWith(t, cfg, func(s *Server) { s.ParkAfter = 30 * time.Millisecond })
	c := mcDial(t, addr)
	const size = 2 << 20
	c.expect(fmt.Sprintf("set big 0 0 %d\r\n%s", size, strings.Repeat("get x\r\n", 1000)), "SERVER_ERROR object too large for cache\r\n")
	// idle well past ParkAfter with most of the value still to come
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		if srv.Parked() != 0 {
			t.Fatal("session parked while discarding a value")
		}
		time.Sleep(10 * time.Millisecond)
	}
	rest := size - 7000
	c.expect(strings.Repeat("x", rest)+"\r\nversion\r\n", "VERSION "+memcachedVersion+"\r\n")
}
