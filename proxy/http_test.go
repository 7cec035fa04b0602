package proxy

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// An http pool serves the keys of the other pools by name, on the same
// servers their own clients use.
func TestHTTPPool(t *testing.T) {
	rs := startRedises(t, 2)
	mc := []string{}
	for i := 0; i < 2; i++ {
		mc = append(mc, fmt.Sprintf("%q", startMemcachedAddr(t)+":1"))
	}
	cfg := fmt.Sprintf(`[pools.r]
listen = "127.0.0.1:0"
servers = %s
[pools.m]
listen = "127.0.0.1:0"
protocol = "memcache"
servers = [%s]
[pools.api]
listen = "127.0.0.1:0"
protocol = "http"
`, serverList(rs), strings.Join(mc, ","))
	srv, raddr := startProxy(t, cfg)
	base := "http://" + srv.Addr("api").String()
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id", method, path)
		}
		return res.StatusCode, string(b)
	}
	for _, pool := range []string{"r", "m"} {
		if code, _ := do("PUT", "/v1/"+pool+"/keys/greeting", "hello"); code/100 != 2 {
			t.Errorf("%s PUT: status %d", pool, code)
		}
		if code, body := do("GET", "/v1/"+pool+"/keys/greeting", ""); code != 200 || body != "hello" {
			t.Errorf("%s GET: %d %q", pool, code, body)
		}
		if code, _ := do("GET", "/v1/"+pool+"/keys/nope", ""); code != 404 {
			t.Errorf("%s GET miss: status %d, want 404", pool, code)
		}
		if code, body := do("POST", "/v1/"+pool+"/mget", `{"keys":["greeting","nope"]}`); code != 200 || !strings.Contains(body, "hello") {
			t.Errorf("%s mget: %d %s", pool, code, body)
		}
		if code, _ := do("DELETE", "/v1/"+pool+"/keys/greeting", ""); code/100 != 2 {
			t.Errorf("%s DELETE: status %d", pool, code)
		}
	}
	// a Redis client of pool r sees what HTTP wrote
	do("PUT", "/v1/r/keys/shared", "x")
	dial(t, raddr).expect(bulk("x"), "GET", "shared")
	if code, _ := do("GET", "/v1/nosuch/keys/a", ""); code != 404 {
		t.Errorf("unknown pool: status %d, want 404", code)
	}
	if code, body := do("GET", "/v1/health", ""); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("health: %d %s", code, body)
	}
}

// The HTTP API serves idgen and tier chain pools too: GET of any key of an
// idgen pool is a new ID.
func TestHTTPIDGen(t *testing.T) {
	srv, _ := startProxy(t, "[pools.ids]\nlisten = \"127.0.0.1:0\"\nservant = \"idgen\"\n\n[pools.api]\nlisten = \"127.0.0.1:0\"\nprotocol = \"http\"\n")
	base := "http://" + srv.Addr("api").String()
	var last uint64
	for range 3 {
		res, err := http.Get(base + "/v1/ids/keys/order")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var id uint64
		if _, err := fmt.Sscan(string(b), &id); err != nil || res.StatusCode != 200 || id <= last {
			t.Fatalf("GET an id: %d %q (after %d)", res.StatusCode, b, last)
		}
		last = id
	}
}
