package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/fae-dev/fae/testkit"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// faed -h documents every nutcracker flag and faed's own.
func TestHelpListsFlags(t *testing.T) {
	_, errOut, code := runFaed(t, "-h")
	if code != 0 {
		t.Errorf("faed -h exited %d, want 0", code)
	}
	for _, f := range []string{"-c", "-t", "-s", "-a", "-i", "-o", "-p", "-v", "-V", "-D", "-d", "-m", "-admin", "-watch", "-drain", "SIGHUP"} {
		if !strings.Contains(errOut, f) {
			t.Errorf("faed -h does not mention %s", f)
		}
	}
	if _, _, code := runFaed(t, "-nosuchflag"); code != 2 {
		t.Errorf("an unknown flag exits %d, want 2", code)
	}
	out, _, _ := runFaed(t, "-D")
	if !strings.Contains(out, "server_ejected_at") {
		t.Errorf("faed -D: %q", out)
	}
}

// poll waits for cond with a deadline.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A TOML config in a temporary file, a redis pool over r.
func writeConf(t *testing.T, path string, pools ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(pools, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

func redisPool(name string, port int, r *testkit.Process) string {
	return fmt.Sprintf("[pools.%s]\nlisten = \"127.0.0.1:%d\"\nservers = [%q]\n", name, port, r.Addr+":1")
}

// SIGHUP and POST /reload add a pool; -s serves twemproxy's stats; -p
// writes the pid file; the admin server answers; SIGTERM exits 0.
func TestOperations(t *testing.T) {
	r := testkit.StartRedis(t)
	ports := testkit.FreePorts(t, 5)
	p, q, w, stats, adminPort := ports[0], ports[1], ports[2], ports[3], ports[4]
	dir := t.TempDir()
	conf, pid := filepath.Join(dir, "fae.toml"), filepath.Join(dir, "faed.pid")
	writeConf(t, conf, redisPool("p", p, r))
	adminAddr := fmt.Sprintf("127.0.0.1:%d", adminPort)
	cmd := start(t, fmt.Sprintf("127.0.0.1:%d", p), "-c", conf, "-p", pid, "-s", strconv.Itoa(stats), "-a", "127.0.0.1", "-admin", adminAddr)

	if b, err := os.ReadFile(pid); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("pid file: %q %v, want %d", b, err, cmd.Process.Pid)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", stats))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(c)
	c.Close()
	var nut map[string]any
	if err := json.Unmarshal(doc, &nut); err != nil || nut["p"] == nil || nut["total_connections"] == nil {
		t.Errorf("stats port: %v %s", err, doc)
	}

	writeConf(t, conf, redisPool("p", p, r), redisPool("q", q, r))
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	poll(t, "pool q after SIGHUP", func() bool { return dialOK(fmt.Sprintf("127.0.0.1:%d", q)) })

	writeConf(t, conf, redisPool("p", p, r), redisPool("q", q, r), redisPool("w", w, r))
	resp, err := http.Post("http://"+adminAddr+"/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !dialOK(fmt.Sprintf("127.0.0.1:%d", w)) {
		t.Errorf("POST /reload: %d; pool w listening: %v", resp.StatusCode, dialOK(fmt.Sprintf("127.0.0.1:%d", w)))
	}
	var st admin.Stats
	getJSON(t, "http://"+adminAddr+"/stats", &st)
	if len(st.Pools) != 3 || st.Reloads != 2 {
		t.Errorf("/stats: %d pools, %d reloads; want 3 and 2", len(st.Pools), st.Reloads)
	}
	stop(t, cmd)
	if _, err := os.Stat(pid); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
}

// -watch reloads when the config file changes.
func TestWatchConfig(t *testing.T) {
	r := testkit.StartRedis(t)
	ports := testkit.FreePorts(t, 2)
	conf := filepath.Join(t.TempDir(), "fae.toml")
	writeConf(t, conf, redisPool("p", ports[0], r))
	cmd := start(t, fmt.Sprintf("127.0.0.1:%d", ports[0]), "-c", conf, "-watch", "-admin", "off")
	writeConf(t, conf, redisPool("p", ports[0], r), redisPool("q", ports[1], r))
	poll(t, "pool q after the file changed", func() bool { return dialOK(fmt.Sprintf("127.0.0.1:%d", ports[1])) })
	stop(t, cmd)
}

// -d runs faed in the background; its pid file names the daemon.
func TestDaemonize(t *testing.T) {
	r := testkit.StartRedis(t)
	port := testkit.FreePort(t)
	dir := t.TempDir()
	conf, pid := filepath.Join(dir, "fae.toml"), filepath.Join(dir, "faed.pid")
	writeConf(t, conf, redisPool("p", port, r))
	out, errOut, code := runFaed(t, "-d", "-c", conf, "-p", pid, "-admin", "off")
	if code != 0 || !strings.Contains(out, "background") {
		t.Fatalf("faed -d: exit %d, %q %q", code, out, errOut)
	}
	var daemon int
	poll(t, "the daemon's pid file", func() bool {
		b, err := os.ReadFile(pid)
		daemon, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && daemon > 0
	})
	t.Cleanup(func() { _ = syscall.Kill(daemon, syscall.SIGKILL) })
	poll(t, "the daemon listening", func() bool { return dialOK(fmt.Sprintf("127.0.0.1:%d", port)) })
	if err := syscall.Kill(daemon, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	poll(t, "the daemon gone", func() bool { return syscall.Kill(daemon, 0) != nil })
}

func dialOK(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

// The admin endpoints of a real faed follow real traffic: /metrics (parsed
// with the Prometheus text parser), /stats, /healthz, /readyz, /config
// (redacted), /degrade.
func TestAdminEndpoints(t *testing.T) {
	r := testkit.StartRedis(t, "--requirepass", "sekret")
	ports := testkit.FreePorts(t, 2)
	conf := filepath.Join(t.TempDir(), "fae.toml")
	writeConf(t, conf, redisPool("p", ports[0], r)+"redis_auth = \"sekret\"\n")
	adminAddr := fmt.Sprintf("127.0.0.1:%d", ports[1])
	cmd := start(t, fmt.Sprintf("127.0.0.1:%d", ports[0]), "-c", conf, "-admin", adminAddr)
	base := "http://" + adminAddr
	req := "*2\r\n$4\r\nAUTH\r\n$6\r\nsekret\r\n"
	for range 7 {
		req += "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
	}
	if got := roundTrip(t, fmt.Sprintf("127.0.0.1:%d", ports[0]), req); !strings.HasPrefix(got, "+OK\r\n$-1\r\n") {
		t.Fatalf("traffic: %q", got)
	}

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	if got := sample(families["fae_proxy_commands_total"], "command", "get"); got != 7 {
		t.Errorf("fae_proxy_commands_total{command=get} = %v, want 7", got)
	}
	if got := sample(families["fae_client_requests_total"], "server", r.Addr); got != 7 {
		t.Errorf("fae_client_requests_total{server=%s} = %v, want 7", r.Addr, got)
	}

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/stats": 200, "/config": 200, "/debug/pprof/": 200} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
		if path == "/config" && (strings.Contains(string(body), "sekret") || !strings.Contains(string(body), "REDACTED")) {
			t.Errorf("/config does not redact the password: %s", body)
		}
	}
	sw := `{"pool":"p","kind":"read_only","on":true}`
	resp, err = http.Post(base+"/degrade", "application/json", strings.NewReader(sw))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /degrade: %d", resp.StatusCode)
	}
	set := "*2\r\n$4\r\nAUTH\r\n$6\r\nsekret\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
	if got := roundTrip(t, fmt.Sprintf("127.0.0.1:%d", ports[0]), set); !strings.Contains(got, "read-only") {
		t.Errorf("SET with the read_only switch on: %q", got)
	}
	var st admin.Stats
	getJSON(t, base+"/stats", &st)
	if len(st.Switches) != 1 || st.Pools[0].Requests < 7 {
		t.Errorf("/stats: switches %+v, requests %d", st.Switches, st.Pools[0].Requests)
	}
	stop(t, cmd)
}

// sample returns the value of the sample of f whose label name is value.
func sample(f *dto.MetricFamily, name, value string) float64 {
	if f == nil {
		return -1
	}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == name && l.GetValue() == value {
				if m.Counter != nil {
					return m.Counter.GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}
