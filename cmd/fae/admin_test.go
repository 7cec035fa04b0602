package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/admin"
)

const inf = 1e308 // how faed writes the +Inf bucket bound

// snapshot returns a /stats document at t0+at with the given cumulative
// counters: s1 and s2 in pool alpha, s3 in pool beta.
func snapshot(at time.Duration, s1, s2, s3 admin.ServerStats) admin.Stats {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	return admin.Stats{
		Service: "faed", Version: "1.2.3", Time: t0.Add(at), UptimeSeconds: 3725 + at.Seconds(),
		ClientConns: 12, TotalClientConns: 340, InFlight: 3, Reloads: 2, ReloadErrors: 1,
		Switches: []admin.Switch{{Pool: "alpha", Server: "127.0.0.1:6380", Kind: admin.SwitchServerDown, On: true}},
		Pools: []admin.PoolStats{
			{Name: "alpha", Listen: "127.0.0.1:22121", Protocol: "redis", Failover: "beta", ClientConns: 10,
				Requests: s1.Requests + s2.Requests, Errors: 7, Servers: []admin.ServerStats{s1, s2}},
			{Name: "beta", Listen: "127.0.0.1:22122", Protocol: "memcache", ClientConns: 2,
				Requests: s3.Requests, Servers: []admin.ServerStats{s3}},
		},
	}
}

// snapshots are three /stats documents 2 s then 1 s apart. Over the first
// interval s1 makes 100 requests (50/s) with latencies 20 <= 1 ms, 60 in
// (1, 2], 20 in (2, 5]: p50 1.5 ms, p99 4.85 ms; s2 makes 300 (150/s), all
// slower than the last bound 5 ms; s3 makes none.
func snapshots() []admin.Stats {
	s1 := func(req, fail, le1, le2, le5, all int64) admin.ServerStats {
		return admin.ServerStats{Name: "127.0.0.1:6379", Role: "primary", Alive: true, Requests: req, Success: req - fail,
			Failures: fail, Timeouts: 1, Pending: 2, Connections: 1,
			LatencyBuckets: []admin.Bucket{{LE: 1, Count: le1}, {LE: 2, Count: le2}, {LE: 5, Count: le5}, {LE: inf, Count: all}}}
	}
	s2 := func(req int64) admin.ServerStats {
		return admin.ServerStats{Name: "127.0.0.1:6380", Role: "primary", Alive: false, ForcedDown: true, FailedOver: true,
			Requests: req, Ejects: 3, EjectedAt: 1735787045,
			LatencyBuckets: []admin.Bucket{{LE: 1, Count: 0}, {LE: 2, Count: 0}, {LE: 5, Count: 0}, {LE: inf, Count: req}}}
	}
	s3 := admin.ServerStats{Name: "127.0.0.1:11211", Role: "primary", Alive: true, Requests: 5000, Connections: 4,
		LatencyBuckets: []admin.Bucket{{LE: 1, Count: 5000}, {LE: inf, Count: 5000}}}
	return []admin.Stats{
		snapshot(0, s1(1000, 10, 900, 980, 1000, 1000), s2(0), s3),
		snapshot(2*time.Second, s1(1100, 14, 920, 1060, 1100, 1100), s2(300), s3),
		snapshot(3*time.Second, s1(1110, 14, 930, 1070, 1110, 1110), s2(300), s3),
	}
}

func TestStats(t *testing.T) {
	f := newFakeAdmin(t, "sekrit", snapshots()...)
	stdout, stderr, code := fae(t, "stats", "-a", f.addr(), "-token", "sekrit")
	wantCode(t, code, exitOK, stdout, stderr)
	want := `faed 1.2.3  up 1h2m5s  clients 12 (340 since start)  in flight 3  shed 0  reloads 2 (1 failed)

POOL   LISTEN           PROTOCOL  CLIENTS  REQUESTS  ERRORS  FAILOVER
alpha  127.0.0.1:22121  redis     10       1000      7       beta
beta   127.0.0.1:22122  memcache  2        5000      0       -

POOL   SERVER           ROLE     STATE                         REQUESTS  FAILURES  TIMEOUTS  PENDING  CONNS  EJECTS
alpha  127.0.0.1:6379   primary  alive                         1000      10        1         2        1      0
alpha  127.0.0.1:6380   primary  DEAD,forced down,failed over  0         0         0         0        0      3
beta   127.0.0.1:11211  primary  alive                         5000      0         0         0        4      0

switches on:
  pool alpha: server 127.0.0.1:6380 down
`
	if stdout != want {
		t.Errorf("got:\n%s\nwant:\n%s", stdout, want)
	}
	if f.auths[0] != "Bearer sekrit" {
		t.Errorf("Authorization %q, want the bearer token", f.auths[0])
	}
}

func TestStatsJSON(t *testing.T) {
	f := newFakeAdmin(t, "", snapshots()...)
	stdout, stderr, code := fae(t, "stats", "-json", "-a", "http://"+f.addr()+"/")
	wantCode(t, code, exitOK, stdout, stderr)
	var got admin.Stats
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if got.Version != "1.2.3" || len(got.Pools) != 2 || got.Pools[0].Servers[0].Requests != 1000 {
		t.Errorf("got %+v", got)
	}
	if !strings.Contains(stdout, "\n  \"service\": \"faed\"") {
		t.Errorf("not indented:\n%s", stdout)
	}
	if f.auths[0] != "" {
		t.Errorf("Authorization %q sent without a token", f.auths[0])
	}
}

// TestAdminEnvironment checks that FAE_ADMIN and FAE_TOKEN stand in for -a
// and -token, and that -c reads them from the config's [server] table.
func TestAdminEnvironment(t *testing.T) {
	f := newFakeAdmin(t, "from-env", snapshots()...)
	t.Setenv(envAdmin, f.addr())
	t.Setenv(envToken, "from-env")
	stdout, stderr, code := fae(t, "stats")
	wantCode(t, code, exitOK, stdout, stderr)

	g := newFakeAdmin(t, "from-config", snapshots()...)
	conf := writeFile(t, "faed.toml", "[server]\nadmin_listen = \""+g.addr()+"\"\nadmin_token = \"from-config\"\n"+goodTOML)
	stdout, stderr, code = fae(t, "stats", "-c", conf)
	wantCode(t, code, exitOK, stdout, stderr)
	if g.served != 1 || f.served != 1 {
		t.Errorf("-c: config's server served %d, environment's %d; want 1 and 1", g.served, f.served)
	}

	stdout, stderr, code = fae(t, "stats", "-c", conf, "-token", "wrong")
	wantCode(t, code, exitFailure, stdout, stderr)
	wantContains(t, "stderr", stderr, "fae stats: GET /stats: 401 Unauthorized: missing or wrong bearer token (check -token, -c or $FAE_TOKEN)\n")
}

func TestUnreachable(t *testing.T) {
	addr := deadAddr(t)
	for _, cmd := range [][]string{{"stats"}, {"top", "-n", "1"}, {"reload"}} {
		t.Run(cmd[0], func(t *testing.T) {
			stdout, stderr, code := fae(t, append(cmd, "-a", addr)...)
			wantCode(t, code, exitFailure, stdout, stderr)
			wantContains(t, "stderr", stderr, "fae "+cmd[0]+": cannot reach faed's admin server at "+addr, "connection refused")
			if stdout != "" {
				t.Errorf("stdout got %q, want nothing", stdout)
			}
		})
	}
}

func TestReload(t *testing.T) {
	f := newFakeAdmin(t, "tok", snapshots()...)
	stdout, stderr, code := fae(t, "reload", "-a", f.addr(), "-token", "tok")
	wantCode(t, code, exitOK, stdout, stderr)
	if stdout != "reloaded\n" || f.reloads != 1 || f.auths[0] != "Bearer tok" {
		t.Errorf("stdout %q, %d reloads, Authorization %q", stdout, f.reloads, f.auths[0])
	}
}

func TestReloadRefused(t *testing.T) {
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"faed's reasons", `{"ok":false,"error":"two\nlines","errors":["faed.toml:4: pools.alpha.hash: unknown hash \"sha1\"","faed.toml:6: pools.alpha.colour: unknown key"]}`,
			http.StatusUnprocessableEntity,
			"fae reload: POST /reload: 422 Unprocessable Entity:\n  faed.toml:4: pools.alpha.hash: unknown hash \"sha1\"\n  faed.toml:6: pools.alpha.colour: unknown key\n"},
		{"one error", `{"ok":false,"error":"no config file to reload"}`, http.StatusUnprocessableEntity,
			"fae reload: POST /reload: 422 Unprocessable Entity: no config file to reload\n"},
		{"plain text", "reload is off\n", http.StatusServiceUnavailable,
			"fae reload: POST /reload: 503 Service Unavailable: reload is off\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeAdmin(t, "", snapshots()...)
			f.reloadStatus, f.reloadBody = c.status, c.body
			stdout, stderr, code := fae(t, "reload", "-a", f.addr())
			wantCode(t, code, exitFailure, stdout, stderr)
			if stderr != c.want || stdout != "" {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, c.want)
			}
		})
	}
}

func TestTop(t *testing.T) {
	f := newFakeAdmin(t, "tok", snapshots()...)
	stdout, stderr, code := fae(t, "top", "-a", f.addr(), "-token", "tok", "-interval", "1ms", "-n", "2")
	wantCode(t, code, exitOK, stdout, stderr)
	if strings.Contains(stdout, "\x1b") {
		t.Errorf("escape codes in output that is not a terminal: %q", stdout)
	}
	frames := strings.Split(stdout, "\n\nfaed ")
	if len(frames) != 2 || f.served != 3 {
		t.Fatalf("got %d frames from %d fetches, want 2 from 3:\n%s", len(frames), f.served, stdout)
	}
	wantContains(t, "first frame", frames[0]+"\n",
		"faed 1.2.3 at "+f.addr()+"  ",
		"  interval 2s  clients 12  in flight 3\n\n",
		"POOL   SERVER           ROLE     STATE                         REQ/S  ERR/S  TMO/S  P50      P99      PENDING  CONNS\n"+
			"alpha  127.0.0.1:6380   primary  DEAD,forced down,failed over  150    0.0    0.0    >5.00ms  >5.00ms  0        0\n"+
			"alpha  127.0.0.1:6379   primary  alive                         50.0   2.0    0.0    1.50ms   4.85ms   2        1\n"+
			"beta   127.0.0.1:11211  primary  alive                         0.0    0.0    0.0    -        -        0        4\n")
	// Over the second interval (1 s), s1 makes 10 requests, all within
	// 1 ms: p50 0.5 ms, p99 0.99 ms; s2 none, so it sorts below s1.
	wantContains(t, "second frame", frames[1],
		"  interval 1s  ",
		"alpha  127.0.0.1:6379   primary  alive                         10.0   0.0    0.0    0.500ms  0.990ms  2        1\n"+
			"alpha  127.0.0.1:6380   primary  DEAD,forced down,failed over  0.0    0.0    0.0    -        -        0        0\n",
	)
}
