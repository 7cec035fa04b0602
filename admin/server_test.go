package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fae-dev/fae/admin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  admin.Config
		bad  string // part of the error; "" for valid
	}{
		{"zero value", admin.Config{}, ""},
		{"port zero", admin.Config{Addr: "127.0.0.1:0"}, ""},
		{"all set", admin.Config{Addr: "[::1]:9000", Token: "t0k-en_.~+/=", ReadHeaderTimeout: time.Second,
			ReadTimeout: time.Second, WriteTimeout: time.Second, IdleTimeout: time.Second}, ""},
		{"no port", admin.Config{Addr: "127.0.0.1"}, "Addr"},
		{"empty port", admin.Config{Addr: "127.0.0.1:"}, "no port"},
		{"space in token", admin.Config{Token: "a b"}, "Token"},
		{"newline in token", admin.Config{Token: "ab\n"}, "Token"},
		{"negative read header", admin.Config{ReadHeaderTimeout: -1}, "ReadHeaderTimeout"},
		{"negative read", admin.Config{ReadTimeout: -1}, "ReadTimeout"},
		{"negative write", admin.Config{WriteTimeout: -1}, "WriteTimeout"},
		{"negative idle", admin.Config{IdleTimeout: -time.Second}, "IdleTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.bad == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.bad != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error about %s", tt.bad)
			case tt.bad != "" && (!errors.Is(err, admin.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.bad)):
				t.Fatalf("Validate() = %v, want ErrInvalidConfig about %s", err, tt.bad)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := admin.New(admin.Config{}, nil, nil); !errors.Is(err, admin.ErrNilTarget) {
		t.Errorf("New(nil target) = %v, want ErrNilTarget", err)
	}
	if _, err := admin.New(admin.Config{ReadTimeout: -1}, newFakeTarget(), nil); !errors.Is(err, admin.ErrInvalidConfig) {
		t.Errorf("New(bad config) = %v, want ErrInvalidConfig", err)
	}
}

func TestEndpointStatus(t *testing.T) {
	h := newServer(t, admin.Config{}, newFakeTarget()).Handler()
	tests := []struct {
		method, path string
		want         int
		contentType  string
	}{
		{"GET", "/", 200, "text/html"},
		{"GET", "/metrics", 200, "text/plain"},
		{"GET", "/stats", 200, "application/json"},
		{"GET", "/stats?pretty=1", 200, "application/json"},
		{"GET", "/healthz", 200, "text/plain"},
		{"HEAD", "/healthz", 200, "text/plain"},
		{"GET", "/readyz", 200, "text/plain"},
		{"GET", "/config", 200, "application/json"},
		{"GET", "/degrade", 200, "application/json"},
		{"POST", "/reload", 200, "application/json"},
		{"GET", "/reload", 405, ""},
		{"PUT", "/degrade", 405, ""},
		{"POST", "/stats", 405, ""},
		{"GET", "/debug/pprof/", 200, "text/html"},
		{"GET", "/debug/pprof/cmdline", 200, "text/plain"},
		{"GET", "/debug/pprof/goroutine?debug=1", 200, "text/plain"},
		{"GET", "/nope", 404, ""},
		{"GET", "/stats/", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := do(h, tt.method, tt.path, "", "")
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %q", w.Code, tt.want, w.Body.String())
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type %q, want %q…", ct, tt.contentType)
			}
		})
	}
}

func TestStats(t *testing.T) {
	f := newFakeTarget()
	f.setRate("A", 1000)
	f.edit(func(s *admin.Stats) {
		s.ClientConns, s.InFlight, s.Reloads = 7, 3, 2
		s.Switches = []admin.Switch{{Pool: "alpha", Kind: admin.SwitchReadOnly, On: true}}
	})
	h := newServer(t, admin.Config{}, f).Handler()
	for _, path := range []string{"/stats", "/stats?pretty=1"} {
		w := do(h, "GET", path, "", "")
		var got admin.Stats
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("GET %s: %v in %q", path, err, w.Body.String())
		}
		if got.Service != "faed" || got.Version != "v9.9.9-test" || got.ClientConns != 7 || got.InFlight != 3 || got.Reloads != 2 {
			t.Errorf("GET %s: header fields %+v", path, got)
		}
		if len(got.Pools) != 1 || len(got.Pools[0].Servers) != 2 || got.Pools[0].Servers[1].Alive {
			t.Fatalf("GET %s: pools %+v, want alpha with A alive and B dead", path, got.Pools)
		}
		if n := len(got.Pools[0].Servers[0].LatencyBuckets); n != len(latencySplit) {
			t.Errorf("GET %s: %d latency buckets, want %d", path, n, len(latencySplit))
		}
		if len(got.Switches) != 1 || got.Switches[0].Kind != admin.SwitchReadOnly {
			t.Errorf("GET %s: switches %+v", path, got.Switches)
		}
		pretty := strings.Contains(w.Body.String(), "\n  \"service\"")
		if want := strings.Contains(path, "pretty"); pretty != want {
			t.Errorf("GET %s: indented %v, want %v", path, pretty, want)
		}
	}
}

func TestConfigEndpoint(t *testing.T) {
	h := newServer(t, admin.Config{}, newFakeTarget()).Handler()
	w := do(h, "GET", "/config", "", "")
	var got struct {
		Server map[string]string `json:"server"`
		Pools  []string          `json:"pools"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("GET /config: %v in %q", err, w.Body.String())
	}
	if got.Server["admin_token"] != "<redacted>" || !slices.Equal(got.Pools, []string{"alpha"}) {
		t.Errorf("GET /config = %+v", got)
	}
}

// parseMetrics returns the value of the counter name in a /metrics answer.
func parseMetrics(t *testing.T, body io.Reader, name string) float64 {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	mf, ok := families[name]
	if !ok || len(mf.GetMetric()) != 1 {
		t.Fatalf("/metrics has no single %s: %v", name, families)
	}
	return mf.GetMetric()[0].GetCounter().GetValue()
}

func TestMetrics(t *testing.T) {
	f := newFakeTarget()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "fae_test_requests_total", Help: "Requests."})
	f.reg.MustRegister(c)
	h := newServer(t, admin.Config{}, f).Handler()
	for want := range 4 {
		if got := parseMetrics(t, do(h, "GET", "/metrics", "", "").Body, "fae_test_requests_total"); got != float64(want) {
			t.Fatalf("fae_test_requests_total = %v, want %v", got, want)
		}
		c.Inc()
	}
}

func TestHealthAndReady(t *testing.T) {
	f := newFakeTarget()
	h := newServer(t, admin.Config{}, f).Handler()
	if w := do(h, "GET", "/healthz", "", ""); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", w.Code, w.Body.String())
	}
	for _, ready := range []bool{true, false, true} {
		f.setReady(ready)
		want := map[bool]int{true: 200, false: 503}[ready]
		if w := do(h, "GET", "/readyz", "", ""); w.Code != want {
			t.Errorf("ready %v: GET /readyz = %d, want %d", ready, w.Code, want)
		}
		if w := do(h, "GET", "/healthz", "", ""); w.Code != 200 {
			t.Errorf("ready %v: GET /healthz = %d, want 200", ready, w.Code)
		}
	}
}

func TestToken(t *testing.T) {
	const token = "s3cret"
	h := newServer(t, admin.Config{Token: token}, newFakeTarget()).Handler()
	paths := []string{"/", "/metrics", "/stats", "/readyz", "/config", "/degrade", "/debug/pprof/"}
	for _, path := range paths {
		for _, tt := range []struct {
			name, token string
			want        int
		}{{"none", "", 401}, {"wrong", "s3cre", 401}, {"right", token, 200}} {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				w := do(h, "GET", path, tt.token, "")
				if w.Code != tt.want {
					t.Fatalf("status %d, want %d", w.Code, tt.want)
				}
				if tt.want != 401 {
					return
				}
				var body struct {
					OK    bool   `json:"ok"`
					Error string `json:"error"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.OK || body.Error == "" {
					t.Errorf("401 body %q (%v), want a JSON error", w.Body.String(), err)
				}
				if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q, want Bearer", w.Header().Get("WWW-Authenticate"))
				}
			})
		}
	}
	if w := do(h, "POST", "/reload", "", ""); w.Code != 401 {
		t.Errorf("POST /reload without token = %d, want 401", w.Code)
	}
	if w := do(h, "GET", "/healthz", "", ""); w.Code != 200 {
		t.Errorf("GET /healthz without token = %d, want 200", w.Code)
	}
	// The page takes the token in its URL; the API only in the header.
	for _, tt := range []struct {
		target string
		want   int
	}{{"/?token=" + token, 200}, {"/?token=nope", 401}, {"/stats?token=" + token, 401}} {
		if w := do(h, "GET", tt.target, "", ""); w.Code != tt.want {
			t.Errorf("GET %s = %d, want %d", tt.target, w.Code, tt.want)
		}
	}
}

// reloadResult is the JSON of POST /reload.
type reloadResult struct {
	OK     bool     `json:"ok"`
	Error  string   `json:"error"`
	Errors []string `json:"errors"`
}

func TestReload(t *testing.T) {
	f := newFakeTarget()
	h := newServer(t, admin.Config{}, f).Handler()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		want       reloadResult
	}{
		{"ok", nil, 200, reloadResult{OK: true}},
		{"one reason", errors.New(`pools.yml:3: key "hash": unknown fnv2`), 422,
			reloadResult{Error: `pools.yml:3: key "hash": unknown fnv2`}},
		{"reasons", errors.Join(errors.New("pools.yml:3: a"), errors.New("pools.yml:9: b")), 422,
			reloadResult{Error: "pools.yml:3: a\npools.yml:9: b", Errors: []string{"pools.yml:3: a", "pools.yml:9: b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mu.Lock()
			f.reloadErr, f.reloads = tt.err, 0
			f.mu.Unlock()
			w := do(h, "POST", "/reload", "", "")
			var got reloadResult
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("%v in %q", err, w.Body.String())
			}
			if w.Code != tt.wantStatus || got.OK != tt.want.OK || got.Error != tt.want.Error || !slices.Equal(got.Errors, tt.want.Errors) {
				t.Errorf("POST /reload = %d %+v, want %d %+v", w.Code, got, tt.wantStatus, tt.want)
			}
			if f.reloads != 1 {
				t.Errorf("Reload called %d times, want 1", f.reloads)
			}
		})
	}
	if w := do(h, "GET", "/reload", "", ""); w.Code != 405 || f.reloads != 1 {
		t.Errorf("GET /reload = %d (reloads %d), want 405 without a reload", w.Code, f.reloads)
	}
}

func TestDegrade(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		targetErr  error
		wantStatus int
		wantErr    string // part of the error message
		wantCalled bool   // whether Degrade is called
	}{
		{"read only", `{"pool":"alpha","kind":"read_only","on":true}`, nil, 200, "", true},
		{"server down", `{"pool":"alpha","server":"A","kind":"server_down","on":true}`, nil, 200, "", true},
		{"reject", `{"pool":"alpha","kind":"reject","class":"keys","on":true}`, nil, 200, "", true},
		{"clear", `{"pool":"alpha","kind":"read_only","on":false}`, nil, 200, "", true},
		{"empty body", ``, nil, 400, "empty body", false},
		{"not JSON", `pool=alpha`, nil, 400, "invalid character", false},
		{"unknown field", `{"pool":"alpha","kind":"read_only","off":true}`, nil, 400, "unknown field", false},
		{"two values", `{"pool":"alpha","kind":"read_only"} {}`, nil, 400, "more than one", false},
		{"wrong type", `{"pool":"alpha","kind":"read_only","on":"yes"}`, nil, 400, "bool", false},
		{"no pool", `{"kind":"read_only","on":true}`, nil, 400, "no pool", false},
		{"unknown kind", `{"pool":"alpha","kind":"slow_down","on":true}`, nil, 400, `unknown kind "slow_down"`, false},
		{"server down without server", `{"pool":"alpha","kind":"server_down","on":true}`, nil, 400, "needs a server", false},
		{"reject without class", `{"pool":"alpha","kind":"reject","on":true}`, nil, 400, "needs a class", false},
		{"too large", `{"pool":"` + strings.Repeat("a", admin.MaxBodyBytes) + `"}`, nil, 413, "body over", false},
		{"unknown pool", `{"pool":"beta","kind":"read_only","on":true}`, nil, 404, "unknown pool", true},
		{"unknown server", `{"pool":"alpha","server":"Z","kind":"server_down","on":true}`,
			fmt.Errorf("%w: pool alpha has no server Z", admin.ErrNotFound), 404, "no server Z", true},
		{"refused", `{"pool":"alpha","kind":"reject","class":"bogus","on":true}`,
			errors.New("unknown class bogus"), 400, "unknown class bogus", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeTarget()
			f.degradeErr = tt.targetErr
			h := newServer(t, admin.Config{}, f).Handler()
			w := do(h, "POST", "/degrade", "", tt.body)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %q", w.Code, tt.wantStatus, w.Body.String())
			}
			if called := len(f.degraded) == 1; called != tt.wantCalled {
				t.Errorf("Degrade called %v, want %v", called, tt.wantCalled)
			}
			if tt.wantStatus != 200 {
				var got reloadResult
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.OK || !strings.Contains(got.Error, tt.wantErr) {
					t.Errorf("body %q (%v), want an error about %q", w.Body.String(), err, tt.wantErr)
				}
				return
			}
			var sw admin.Switch
			if err := json.Unmarshal([]byte(tt.body), &sw); err != nil || f.degraded[0] != sw {
				t.Errorf("Degrade got %+v, want %+v", f.degraded[0], sw)
			}
			var list []admin.Switch
			if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
				t.Fatalf("body %q: %v", w.Body.String(), err)
			}
			if want := map[bool]int{true: 1, false: 0}[sw.On]; len(list) != want {
				t.Errorf("switches %+v, want %d", list, want)
			}
		})
	}
}

func TestDegradeList(t *testing.T) {
	f := newFakeTarget()
	h := newServer(t, admin.Config{}, f).Handler()
	if w := do(h, "GET", "/degrade", "", ""); strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("GET /degrade with no switch = %q, want []", w.Body.String())
	}
	on := admin.Switch{Pool: "alpha", Kind: admin.SwitchReject, Class: "write", On: true}
	f.edit(func(s *admin.Stats) { s.Switches = []admin.Switch{on} })
	var list []admin.Switch
	if err := json.Unmarshal(do(h, "GET", "/degrade", "", "").Body.Bytes(), &list); err != nil || len(list) != 1 || list[0] != on {
		t.Errorf("GET /degrade = %+v (%v), want [%+v]", list, err, on)
	}
}

func TestPprof(t *testing.T) {
	h := newServer(t, admin.Config{}, newFakeTarget()).Handler()
	w := do(h, "GET", "/debug/pprof/", "", "")
	for _, profile := range []string{"goroutine", "heap", "profile"} {
		if !strings.Contains(w.Body.String(), profile) {
			t.Errorf("pprof index lists no %s", profile)
		}
	}
	if w := do(h, "GET", "/debug/pprof/goroutine?debug=2", "", ""); w.Code != 200 || !strings.Contains(w.Body.String(), "goroutine ") {
		t.Errorf("goroutine profile = %d, want 200 with stacks", w.Code)
	}
}

func TestStartClose(t *testing.T) {
	f := newFakeTarget()
	s := newServer(t, admin.Config{Addr: "127.0.0.1:0"}, f)
	if s.Addr() != nil {
		t.Errorf("Addr before Start = %v, want nil", s.Addr())
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := s.Start(); !errors.Is(err, admin.ErrStarted) {
		t.Errorf("second Start = %v, want ErrStarted", err)
	}
	base := "http://" + s.Addr().String()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /healthz = %d, want 200", resp.StatusCode)
	}

	// Another server on the same address cannot listen.
	other := newServer(t, admin.Config{Addr: s.Addr().String()}, f)
	if err := other.Start(); err == nil {
		t.Errorf("Start on a used address succeeded")
		_ = other.Close(context.Background())
	}

	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Errorf("still accepting after Close")
	}
	if err := s.Start(); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("Start after Close = %v, want ErrClosed", err)
	}
}

func TestCloseNeverStarted(t *testing.T) {
	s := newServer(t, admin.Config{}, newFakeTarget())
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
	if err := s.Start(); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("Start after Close = %v, want ErrClosed", err)
	}
}

// blockReload makes f's Reload wait for release; entered is closed when a
// Reload has started.
func blockReload(f *fakeTarget) (entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.mu.Lock()
	f.reloadHook = func() {
		once.Do(func() { close(entered) })
		<-release
	}
	f.mu.Unlock()
	return entered, release
}

// waitRefused polls until addr refuses connections or the deadline passes.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections", addr)
		}
		<-tick.C
	}
}

func TestCloseIsGraceful(t *testing.T) {
	f := newFakeTarget()
	entered, release := blockReload(f)
	s := newServer(t, admin.Config{Addr: "127.0.0.1:0"}, f)
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	addr := s.Addr().String()
	status := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/reload", "", nil)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	<-entered
	closed := make(chan error, 1)
	go func() { closed <- s.Close(context.Background()) }()
	waitRefused(t, addr)
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v with a request in flight", err)
	default:
	}
	close(release)
	if err := <-closed; err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
	if got := <-status; got != 200 {
		t.Errorf("request in flight during Close got %d, want 200", got)
	}
}

func TestCloseDeadline(t *testing.T) {
	f := newFakeTarget()
	entered, release := blockReload(f)
	defer close(release)
	s := newServer(t, admin.Config{Addr: "127.0.0.1:0"}, f)
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Post("http://"+s.Addr().String()+"/reload", "", nil)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close(canceled) = %v, want context.Canceled", err)
	}
	if err := <-errc; err == nil {
		t.Errorf("request in flight was answered, want its connection closed")
	}
}
