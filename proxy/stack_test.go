package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"
	"github.com/prometheus/client_golang/prometheus"
)

// metric returns the value of the series name{labels} in reg, or -1.
func metric(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return -1
}

// keyOn returns a key that pool addr places on server r (checked directly).
func keyOn(t *testing.T, c *client, r *testkit.Process, prefix string) string {
	t.Helper()
	d := dial(t, r.Addr)
	for i := 0; i < 1000; i++ {
		k := fmt.Sprintf("%s%d", prefix, i)
		c.expect("+OK\r\n", "SET", k, "x")
		if d.do("EXISTS", k) == ":1\r\n" {
			return k
		}
	}
	t.Fatalf("no key of %s among 1000", r.Addr)
	return ""
}

// A killed server is marked dead after accrual_consecutive failures: from
// then on its keys fail at once with an error naming it, the other keys never
// fail, and a probe brings it back once it returns.
func TestAccrualDeadAndRevive(t *testing.T) {
	rs := startRedises(t, 2)
	srv, addr := startProxy(t, poolTOML(rs, `
timeout = "300ms"
accrual_consecutive = 3
accrual_dead_min = "200ms"
accrual_dead_max = "400ms"
health_check_interval = "50ms"
retries = 0`))
	c := dial(t, addr)
	dead, live := keyOn(t, c, rs[0], "a"), keyOn(t, c, rs[1], "b")
	rs[0].Kill()
	labels := map[string]string{"pool": "p", "server": rs[0].Addr}
	for i := 0; i < 3; i++ {
		if got := c.do("GET", dead); !strings.HasPrefix(got, "-ERR fae: server "+rs[0].Addr) {
			t.Fatalf("GET of the dead server's key: got %q, want an error naming it", got)
		}
		c.expect("$1\r\nx\r\n", "GET", live)
	}
	if got := metric(t, srv.Registry(), "fae_client_failure_accrual_removals_total", labels); got != 1 {
		t.Fatalf("removals = %v after 3 failures, want 1", got)
	}
	start := time.Now()
	got := c.do("GET", dead)
	if !strings.Contains(got, "marked dead by failure accrual") || time.Since(start) > 100*time.Millisecond {
		t.Errorf("GET while dead: got %q in %v, want a fast 'marked dead' error", got, time.Since(start))
	}
	c.expect("$1\r\nx\r\n", "GET", live)
	rs[0].Restart()
	eventually(t, 5*time.Second, "dead server back", func() bool { return c.do("GET", dead) == "$-1\r\n" })
	if got := metric(t, srv.Registry(), "fae_client_failure_accrual_revivals_total", labels); got != 1 {
		t.Errorf("revivals = %v, want 1", got)
	}
	for _, m := range []string{"fae_client_requests_total", "fae_client_success_total", "fae_client_request_latency_ms", "fae_client_connects_total"} {
		if got := metric(t, srv.Registry(), m, labels); got < 1 {
			t.Errorf("%s = %v, want at least 1", m, got)
		}
	}
	if got := metric(t, srv.Registry(), "fae_client_failures_total", map[string]string{"server": rs[0].Addr, "cause": "reset"}) +
		metric(t, srv.Registry(), "fae_client_failures_total", map[string]string{"server": rs[0].Addr, "cause": "unavailable"}); got < 1 {
		t.Errorf("failures of the killed server by cause reset/unavailable = %v, want some", got)
	}
}

// mget_partial = "nil" answers nil for the keys of a dead server and the
// values of the others; the default fails the MGET naming the server.
func TestMGetPartial(t *testing.T) {
	rs := startRedises(t, 2)
	for _, tc := range []struct{ policy, want string }{
		{"nil", "*2\r\n$-1\r\n$1\r\nx\r\n"},
		{"error", "-ERR fae: mget failed: server " + rs[0].Addr},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			rs[0].Restart()
			_, addr := startProxy(t, poolTOML(rs, `timeout = "300ms"
retries = 0
mget_partial = "`+tc.policy+`"`))
			c := dial(t, addr)
			a, b := keyOn(t, c, rs[0], "m"+tc.policy), keyOn(t, c, rs[1], "n"+tc.policy)
			rs[0].Kill()
			if got := c.do("MGET", a, b); !strings.HasPrefix(got, tc.want) {
				t.Errorf("MGET with one server down: got %q, want prefix %q", got, tc.want)
			}
		})
	}
}

// Reads go to a replica (read_policy = "replica"), writes to the primary;
// when the replica dies reads fall back to the primary.
func TestReplicaReads(t *testing.T) {
	rs := startRedises(t, 2)
	primary, replica := rs[0], rs[1]
	srv, addr := startProxy(t, fmt.Sprintf(`[pools.p]
listen = "127.0.0.1:0"
servers = ["%s:1"]
replicas = { "%s" = ["%s:1"] }
read_policy = "replica"
timeout = "300ms"
health_check_interval = "50ms"
retries = 0
`, primary.Addr, primary.Addr, replica.Addr))
	c := dial(t, addr)
	dial(t, replica.Addr).expect("+OK\r\n", "SET", "k", "from-replica")
	c.expect("+OK\r\n", "SET", "k", "from-primary")
	dial(t, primary.Addr).expect(bulk("from-primary"), "GET", "k")
	c.expect(bulk("from-replica"), "GET", "k")
	replica.Kill()
	eventually(t, 5*time.Second, "reads back on the primary", func() bool { return c.do("GET", "k") == bulk("from-primary") })
	if got := metric(t, srv.Registry(), "fae_client_failure_accrual_removals_total", map[string]string{"server": replica.Addr}); got != 1 {
		t.Errorf("replica removals = %v, want 1", got)
	}
}

// A local shard that stops answering sends its keys to the failover pool;
// after failback_probes good probes they come back by themselves.
func TestDatacenterFailover(t *testing.T) {
	local, remote := startRedises(t, 2), testkit.StartRedis(t)
	srv, addr := startProxy(t, fmt.Sprintf(`[pools.p]
listen = "127.0.0.1:0"
servers = %s
failover = "remote"
timeout = "200ms"
health_check_interval = "50ms"
failback_probes = 3
retries = 0

[pools.remote]
listen = "127.0.0.1:0"
servers = ["%s:1"]
timeout = "200ms"
`, serverList(local), remote.Addr))
	c := dial(t, addr)
	k := keyOn(t, c, local[0], "dc")
	other := keyOn(t, c, local[1], "dd")
	dial(t, remote.Addr).expect("+OK\r\n", "SET", k, "remote")
	labels := map[string]string{"pool": "p", "server": local[0].Addr}
	local[0].Pause()
	eventually(t, 5*time.Second, "key served by the failover pool", func() bool { return c.do("GET", k) == bulk("remote") })
	c.expect("$1\r\nx\r\n", "GET", other) // the healthy shard stays local
	if got := metric(t, srv.Registry(), "fae_client_failover_active", labels); got != 1 {
		t.Errorf("failover_active = %v, want 1", got)
	}
	local[0].Resume()
	eventually(t, 5*time.Second, "key back on the local shard", func() bool { return c.do("GET", k) == "$1\r\nx\r\n" })
	if got := metric(t, srv.Registry(), "fae_client_failbacks_total", labels); got != 1 {
		t.Errorf("failbacks = %v, want 1", got)
	}
}

// failover_mode = "force" sends every key to the failover pool.
func TestFailoverForce(t *testing.T) {
	local, remote := testkit.StartRedis(t), testkit.StartRedis(t)
	_, addr := startProxy(t, fmt.Sprintf(`[pools.p]
listen = "127.0.0.1:0"
servers = ["%s:1"]
failover = "remote"
failover_mode = "force"

[pools.remote]
listen = "127.0.0.1:0"
servers = ["%s:1"]
`, local.Addr, remote.Addr))
	dial(t, addr).expect("+OK\r\n", "SET", "f", "1")
	dial(t, remote.Addr).expect(bulk("1"), "GET", "f")
	dial(t, local.Addr).expect("$-1\r\n", "GET", "f")
}

// A memcache get over a dead server returns the hits of the others.
func TestMemcacheGetPartial(t *testing.T) {
	ms := []*testkit.Process{testkit.StartMemcached(t), testkit.StartMemcached(t)}
	_, addr := startProxy(t, fmt.Sprintf(`[pools.p]
listen = "127.0.0.1:0"
protocol = "memcache"
servers = [%q, %q]
timeout = "300ms"
retries = 0
`, ms[0].Addr+":1", ms[1].Addr+":1"))
	c := dial(t, addr)
	var keys []string
	for i := 0; i < 20; i++ {
		k := fmt.Sprintf("%d:mk", i*7919) // fnv1a differs little in the last byte
		c.raw("set " + k + " 0 0 1\r\nx\r\n")
		if got := line(t, c); got != "STORED\r\n" {
			t.Fatalf("set: %q", got)
		}
		keys = append(keys, k)
	}
	ms[0].Kill()
	c.raw("get " + strings.Join(keys, " ") + "\r\n")
	var hits int
	for {
		l := line(t, c)
		if l == "END\r\n" {
			break
		}
		if !strings.HasPrefix(l, "VALUE ") {
			t.Fatalf("get with one server down: got %q", l)
		}
		hits++
		line(t, c) // the data line
	}
	if hits == 0 || hits == len(keys) {
		t.Errorf("%d hits of %d keys, want those of the live server only", hits, len(keys))
	}
}

// line reads one text line from c.
func line(t *testing.T, c *client) string {
	t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return l
}

// breaker = true opens a server's circuit after accrual_consecutive failures
// in a row; requests then fail at once naming the breaker.
func TestBreakerOpens(t *testing.T) {
	rs := startRedises(t, 1)
	_, addr := startProxy(t, poolTOML(rs, `timeout = "300ms"
breaker = true
failure_accrual = false
accrual_consecutive = 2
accrual_dead_min = "10s"
retries = 0`))
	c := dial(t, addr)
	c.expect("+OK\r\n", "SET", "b", "1")
	rs[0].Kill()
	for i := 0; i < 2; i++ {
		if got := c.do("GET", "b"); !strings.HasPrefix(got, "-ERR fae: server "+rs[0].Addr) {
			t.Fatalf("GET %d on a killed server: %q", i, got)
		}
	}
	if got := c.do("GET", "b"); !strings.Contains(got, "circuit breaker open") {
		t.Errorf("GET after 2 failures: got %q, want the breaker open", got)
	}
}

// A request that never reached its server is retried, routed afresh: once
// accrual marks the local shard dead the retry goes to the failover pool, so
// the client sees a reply, not an error.
func TestRetryRoutesAfresh(t *testing.T) {
	local, remote := testkit.StartRedis(t), testkit.StartRedis(t)
	srv, addr := startProxy(t, fmt.Sprintf(`[pools.p]
listen = "127.0.0.1:0"
servers = ["%s:1"]
failover = "remote"
accrual_consecutive = 1
timeout = "500ms"
retries = 2

[pools.remote]
listen = "127.0.0.1:0"
servers = ["%s:1"]
`, local.Addr, remote.Addr))
	dial(t, remote.Addr).expect("+OK\r\n", "SET", "r", "remote")
	local.Kill()
	c := dial(t, addr)
	c.expect(bulk("remote"), "GET", "r")
	if got := metric(t, srv.Registry(), "fae_client_retries_total", map[string]string{"pool": "p"}); got < 1 {
		t.Errorf("retries = %v, want at least 1", got)
	}
}

// retries is bounded: a request to a server that refuses connections is
// sent 1 + retries times, then fails naming the server.
func TestRetriesBounded(t *testing.T) {
	dead := testkit.StartRedis(t)
	dead.Kill()
	srv, addr := startProxy(t, fmt.Sprintf(`[pools.p]
listen = "127.0.0.1:0"
servers = ["%s:1"]
failure_accrual = false
timeout = "500ms"
retries = 2
`, dead.Addr))
	c := dial(t, addr)
	if got := c.do("GET", "x"); !strings.HasPrefix(got, "-ERR fae: server "+dead.Addr+": server unreachable") {
		t.Fatalf("GET on a refused server: %q", got)
	}
	reg := srv.Registry()
	if r, n := metric(t, reg, "fae_client_retries_total", map[string]string{"pool": "p"}),
		metric(t, reg, "fae_client_requests_total", map[string]string{"server": dead.Addr}); r != 2 || n != 3 {
		t.Errorf("retries = %v, requests = %v; want 2 and 3", r, n)
	}
}

// A memcached that stops answering costs each request at most its timeout:
// a get becomes a miss, a set a SERVER_ERROR naming the server.
func TestMemcacheStoppedServer(t *testing.T) {
	m := testkit.StartMemcached(t)
	_, addr := startProxy(t, fmt.Sprintf(`[pools.p]
listen = "127.0.0.1:0"
protocol = "memcache"
servers = ["%s:1"]
timeout = "200ms"
failure_accrual = false
`, m.Addr))
	c := dial(t, addr)
	m.Pause()
	defer m.Resume()
	start := time.Now()
	c.raw("get k\r\n")
	if got := line(t, c); got != "END\r\n" {
		t.Errorf("get on a stopped server: %q, want a miss", got)
	}
	c.raw("set k 0 0 1\r\nv\r\n")
	if got := line(t, c); !strings.HasPrefix(got, "SERVER_ERROR fae: server "+m.Addr) {
		t.Errorf("set on a stopped server: %q, want SERVER_ERROR naming it", got)
	}
	if took := time.Since(start); took > 2*200*time.Millisecond+300*time.Millisecond {
		t.Errorf("two requests took %v, want about 2 x 200ms", took)
	}
}
