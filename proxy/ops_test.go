package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/testkit"
)

// A reload adds a server and a pool and removes the pool again; the client
// connection of the kept pool stays open and working throughout.
func TestReloadKeepsClients(t *testing.T) {
	rs := startRedises(t, 2)
	qPort := testkit.FreePort(t)
	one := fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nservers = [%q]\n", rs[0].Addr+":1")
	srv, addr := startProxy(t, one)
	c := dial(t, addr)
	c.expect("+OK\r\n", "SET", "k", "1")

	two := fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nservers = %s\n\n[pools.q]\nlisten = \"127.0.0.1:%d\"\nservers = [%q]\n",
		serverList(rs), qPort, rs[1].Addr+":1")
	if err := srv.Apply(parse(t, two)); err != nil {
		t.Fatal(err)
	}
	c.expect("+PONG\r\n", "PING") // same connection
	for i := range 50 {
		c.expect("+OK\r\n", "SET", fmt.Sprintf("k%d", i), "v")
	}
	if n := dial(t, rs[1].Addr).do("DBSIZE"); n == ":0\r\n" {
		t.Errorf("no key reached the server added by the reload")
	}
	q := dial(t, fmt.Sprintf("127.0.0.1:%d", qPort))
	q.expect("+OK\r\n", "SET", "q", "1")
	dial(t, rs[1].Addr).expect(bulk("1"), "GET", "q")

	if err := srv.Apply(parse(t, one)); err != nil {
		t.Fatal(err)
	}
	c.expect("+PONG\r\n", "PING")
	eventually(t, 5*time.Second, "pool q's listener closed", func() bool {
		_, err := dialErr(fmt.Sprintf("127.0.0.1:%d", qPort))
		return err != nil
	})
	if got := srv.Stats().Reloads; got != 2 {
		t.Errorf("reloads = %d, want 2", got)
	}
}

// An invalid config file is refused with its reasons and the running config
// stays.
func TestReloadInvalid(t *testing.T) {
	rs := startRedises(t, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "fae.toml")
	good := poolTOML(rs, "")
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	srv, addr := startConfig(t, cfg)
	c := dial(t, addr)
	if err := os.WriteFile(path, []byte(good+"hash = \"nope\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = srv.Reload()
	if err == nil || !strings.Contains(err.Error(), "fae.toml:") || !strings.Contains(err.Error(), "hash") {
		t.Fatalf("Reload of a bad file: %v, want the file, line and key", err)
	}
	c.expect("+OK\r\n", "SET", "k", "1")
	if st := srv.Stats(); st.ReloadErrors != 1 || st.Reloads != 0 {
		t.Errorf("reloads = %d, errors = %d; want 0 and 1", st.Reloads, st.ReloadErrors)
	}
	// a protocol change is refused too
	bad := strings.Replace(good, "[pools.p]", "[pools.p]\nprotocol = \"memcache\"", 1)
	if err := srv.Apply(parse(t, bad)); err == nil || !strings.Contains(err.Error(), "protocol") {
		t.Errorf("protocol change: %v, want refused", err)
	}
}

// Twenty reloads that change the servers, under pipelined Redis and
// memcache load, fail no request.
func TestReloadUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	rs := startRedises(t, 3)
	ms := []*testkit.Process{testkit.StartMemcached(t), testkit.StartMemcached(t), testkit.StartMemcached(t)}
	cfgFor := func(i int) string {
		r := []*testkit.Process{rs[i%3], rs[(i+1)%3]}
		m := []string{fmt.Sprintf("%q", ms[i%3].Addr+":1"), fmt.Sprintf("%q", ms[(i+2)%3].Addr+":2")}
		return fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nservers = %s\n\n[pools.m]\nlisten = \"127.0.0.1:0\"\nprotocol = \"memcache\"\nservers = [%s]\n",
			serverList(r), strings.Join(m, ", "))
	}
	srv, addr := startProxy(t, cfgFor(0))
	maddr := srv.Addr("m").String()
	var ok, bad atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() { defer wg.Done(); redisLoad(t, addr, w, stop, &ok, &bad) }()
		go func() { defer wg.Done(); memcacheLoad(t, maddr, w, stop, &ok, &bad) }()
	}
	for i := 1; i <= 20; i++ {
		before := ok.Load()
		eventually(t, 5*time.Second, "load running", func() bool { return ok.Load() > before+100 })
		if err := srv.Apply(parse(t, cfgFor(i))); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if bad.Load() != 0 || ok.Load() < 2000 {
		t.Errorf("%d requests ok, %d failed across 20 reloads; want 0 failed", ok.Load(), bad.Load())
	}
}

// redisLoad sends batches of 16 pipelined SET/GET until stop, counting
// replies that are not errors (a GET may miss: keys move between servers).
func redisLoad(t *testing.T, addr string, w int, stop chan struct{}, ok, bad *atomic.Int64) {
	c := dial(t, addr)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		for j := range 16 {
			k := fmt.Sprintf("load:%d:%d", w, (i*16+j)%500)
			if j%2 == 0 {
				c.send("SET", k, "v")
			} else {
				c.send("GET", k)
			}
		}
		for range 16 {
			if r := c.read(); strings.HasPrefix(r, "-") {
				if bad.Add(1) <= 3 {
					t.Errorf("redis reply during reloads: %q", r)
				}
			} else {
				ok.Add(1)
			}
		}
	}
}

// memcacheLoad is redisLoad over the memcache pool.
func memcacheLoad(t *testing.T, addr string, w int, stop chan struct{}, ok, bad *atomic.Int64) {
	c := dial(t, addr)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		k := fmt.Sprintf("mload:%d:%d", w, i%500)
		c.raw("set " + k + " 0 0 1\r\nv\r\nget " + k + "\r\n")
		lines := []string{line(t, c), line(t, c)}
		if lines[1] != "END\r\n" {
			lines = append(lines, line(t, c), line(t, c))
		}
		if lines[0] != "STORED\r\n" || !strings.HasPrefix(lines[len(lines)-1], "END") {
			if bad.Add(1) <= 3 {
				t.Errorf("memcache replies during reloads: %q", lines)
			}
			continue
		}
		ok.Add(2)
	}
}

// Degrade switches: read-only, reject a class, force a server down; they
// show in Stats and survive a reload until cleared.
func TestDegradeSwitches(t *testing.T) {
	rs := startRedises(t, 2)
	cfgText := poolTOML(rs, `timeout = "300ms"`)
	srv, addr := startProxy(t, cfgText)
	c := dial(t, addr)
	down := keyOn(t, c, rs[0], "sw")
	must := func(sw admin.Switch) {
		t.Helper()
		if err := srv.Degrade(sw); err != nil {
			t.Fatal(err)
		}
	}
	must(admin.Switch{Pool: "p", Kind: admin.SwitchReadOnly, On: true})
	if got := c.do("SET", "a", "1"); !strings.Contains(got, "read-only") {
		t.Errorf("SET on a read-only pool: %q", got)
	}
	c.expect("$1\r\nx\r\n", "GET", down)
	must(admin.Switch{Pool: "p", Kind: admin.SwitchReject, Class: "multi", On: true})
	if got := c.do("MGET", "a", "b"); !strings.Contains(got, "degrade switch (multi)") {
		t.Errorf("MGET with multi rejected: %q", got)
	}
	must(admin.Switch{Pool: "p", Kind: admin.SwitchServerDown, Server: rs[0].Addr, On: true})
	if got := c.do("GET", down); !strings.Contains(got, "marked dead") {
		t.Errorf("GET of a forced-down server's key: %q", got)
	}
	if err := srv.Apply(parse(t, cfgText)); err != nil {
		t.Fatal(err)
	}
	if got := c.do("GET", down); !strings.Contains(got, "marked dead") {
		t.Errorf("after a reload: %q, want the switch kept", got)
	}
	if got := len(srv.Stats().Switches); got != 3 {
		t.Errorf("Stats lists %d switches, want 3: %+v", got, srv.Stats().Switches)
	}
	must(admin.Switch{Pool: "p", Kind: admin.SwitchServerDown, Server: rs[0].Addr})
	must(admin.Switch{Pool: "p", Kind: admin.SwitchReadOnly})
	c.expect("$1\r\nx\r\n", "GET", down)
	c.expect("+OK\r\n", "SET", "a", "1")
	if err := srv.Degrade(admin.Switch{Pool: "p", Kind: admin.SwitchServerDown, Server: "nope:1", On: true}); err == nil {
		t.Error("a switch for an unknown server was accepted")
	}
}

// With max_in_flight reached, new requests get BUSY at once.
func TestLoadShedding(t *testing.T) {
	rs := startRedises(t, 1)
	srv, addr := startProxy(t, poolTOML(rs, "timeout = \"5s\"\n\n[server]\nmax_in_flight = 2\n"))
	c := dial(t, addr)
	c.expect("+OK\r\n", "SET", "k", "v")
	rs[0].Pause()
	defer rs[0].Resume()
	c.send("GET", "k")
	c.send("GET", "k")
	eventually(t, 5*time.Second, "two requests in flight", func() bool { return srv.Stats().InFlight == 2 })
	d := dial(t, addr)
	if got := d.do("GET", "k"); !strings.HasPrefix(got, "-BUSY") {
		t.Errorf("GET over the limit: %q, want -BUSY", got)
	}
	d.expect("+PONG\r\n", "PING") // answered locally even when busy
	if srv.Stats().Shed != 1 {
		t.Errorf("shed = %d, want 1", srv.Stats().Shed)
	}
	rs[0].Resume()
	c.expect(bulk("v"), "")
}

// Shutdown lets a request in flight finish, then closes the connection;
// new connections are refused.
func TestShutdownDrains(t *testing.T) {
	rs := startRedises(t, 1)
	srv, addr := startProxy(t, poolTOML(rs, `timeout = "5s"`))
	c := dial(t, addr)
	c.expect("+OK\r\n", "SET", "k", "v")
	rs[0].Pause()
	c.send("GET", "k")
	eventually(t, 5*time.Second, "request in flight", func() bool { return srv.Stats().InFlight == 1 })
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	eventually(t, 5*time.Second, "not ready", func() bool { return !srv.Ready() })
	if _, err := dialErr(addr); err == nil {
		t.Error("a new connection was accepted while draining")
	}
	rs[0].Resume()
	if got := c.read(); got != bulk("v") {
		t.Errorf("reply of the request in flight: %q", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return after the last reply")
	}
}

// Stats and the registry count commands per pool.
func TestCommandCounters(t *testing.T) {
	rs := startRedises(t, 1)
	srv, addr := startProxy(t, poolTOML(rs, ""))
	c := dial(t, addr)
	for range 5 {
		c.expect("$-1\r\n", "GET", "nokey")
	}
	c.do("NOSUCH")
	var get *admin.CommandStats
	st := srv.Stats()
	for i, cs := range st.Pools[0].Commands {
		if cs.Name == "get" {
			get = &st.Pools[0].Commands[i]
		}
	}
	if get == nil || get.Requests != 5 || get.LatencyBuckets[len(get.LatencyBuckets)-1].Count != 5 {
		t.Fatalf("get counters: %+v", get)
	}
	if st.Pools[0].Errors != 1 || st.Pools[0].ClientConns != 1 {
		t.Errorf("pool errors = %d, clients = %d; want 1 and 1", st.Pools[0].Errors, st.Pools[0].ClientConns)
	}
	if got := metric(t, srv.Registry(), "fae_proxy_commands_total", map[string]string{"pool": "p", "command": "get"}); got != 5 {
		t.Errorf("fae_proxy_commands_total{get} = %v, want 5", got)
	}
	if got := metric(t, srv.Registry(), "fae_client_request_bytes_total", map[string]string{"pool": "p"}); got <= 0 {
		t.Errorf("request bytes = %v", got)
	}
	if len(st.Pools[0].Servers) != 1 || st.Pools[0].Servers[0].Requests != 5 {
		t.Errorf("server stats: %+v", st.Pools[0].Servers)
	}
	bad := dial(t, addr)
	bad.raw("*x\r\n") // a protocol error: faed replies and closes
	if got := bad.read(); !strings.HasPrefix(got, "-ERR Protocol error") {
		t.Fatalf("protocol error reply: %q", got)
	}
	eventually(t, 5*time.Second, "client_err counted", func() bool { return srv.Stats().Pools[0].ClientErr == 1 })
}

// dialErr dials addr once, closing the connection if it succeeds.
func dialErr(addr string) (bool, error) {
	nc, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false, err
	}
	nc.Close()
	return true, nil
}

// A parked (idle) client whose request arrives during a shutdown gets a
// clean end of file, never a reset: the request was not read and can be
// sent again elsewhere.
func TestShutdownParkedClean(t *testing.T) {
	rs := startRedises(t, 1)
	srv, addr := startProxyWith(t, poolTOML(rs, ""), func(s *Server) { s.ParkAfter = 50 * time.Millisecond })
	var cs []*client
	for range 20 {
		c := dial(t, addr)
		c.expect("$-1\r\n", "GET", "k")
		cs = append(cs, c)
	}
	eventually(t, 5*time.Second, "clients parked", func() bool { return srv.Parked() == 20 })
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	for _, c := range cs {
		c.send("GET", "k") // races the shutdown on purpose
	}
	for i, c := range cs {
		_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := c.r.ReadString('\n')
		switch {
		case err == nil && line == "$-1\r\n": // served before the drain
		case errors.Is(err, io.EOF): // not read: closed cleanly
		default:
			t.Errorf("client %d: %q %v; want a reply or a clean end of file", i, line, err)
		}
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
