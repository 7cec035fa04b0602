package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestKeyLifecycle(t *testing.T) {
	c, st := alpha(t, Config{})
	c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/greeting", text("hello"))
	if v, ok := st.raw(t, []byte("greeting")); !ok || string(v) != "hello" {
		t.Fatalf("lcache holds %q (found %v), want \"hello\"", v, ok)
	}

	res, body := c.do("GET", "/v1/alpha/keys/greeting", nil)
	if res.StatusCode != 200 || string(body) != "hello" {
		t.Fatalf("GET: %d %q, want 200 \"hello\"", res.StatusCode, body)
	}
	if got := res.Header.Get("Content-Type"); got != "application/octet-stream" {
		t.Errorf("Content-Type %q, want application/octet-stream", got)
	}
	if got := res.Header.Get("Content-Length"); got != "5" {
		t.Errorf("Content-Length %q, want 5", got)
	}
	if got := res.Header.Get("Vary"); got != "" {
		t.Errorf("Vary %q on a body too small to compress, want none", got)
	}

	res, body = c.do("HEAD", "/v1/alpha/keys/greeting", nil)
	if res.StatusCode != 200 || len(body) != 0 || res.Header.Get("Content-Length") != "5" {
		t.Fatalf("HEAD: %d, body %q, Content-Length %q; want 200, none, 5",
			res.StatusCode, body, res.Header.Get("Content-Length"))
	}

	c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/greeting", text("again")) // overwrite
	if got := c.expect(200, "GET", "/v1/alpha/keys/greeting", nil); string(got) != "again" {
		t.Fatalf("GET after overwrite: %q, want \"again\"", got)
	}

	c.expect(http.StatusNoContent, "DELETE", "/v1/alpha/keys/greeting", nil)
	if _, ok := st.raw(t, []byte("greeting")); ok {
		t.Fatal("lcache still holds greeting after DELETE")
	}
	body = c.expect(http.StatusNotFound, "GET", "/v1/alpha/keys/greeting", nil, "X-Request-Id", "r1")
	if want := `{"error":"key not found","request_id":"r1"}` + "\n"; string(body) != want {
		t.Errorf("GET miss body %q, want %q", body, want)
	}
	c.expect(http.StatusNotFound, "HEAD", "/v1/alpha/keys/greeting", nil)
	c.expect(http.StatusNotFound, "DELETE", "/v1/alpha/keys/greeting", nil)
}

func TestEmptyValue(t *testing.T) {
	c, _ := alpha(t, Config{})
	c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/empty", nil)
	res, body := c.do("GET", "/v1/alpha/keys/empty", nil)
	if res.StatusCode != 200 || len(body) != 0 || res.Header.Get("Content-Length") != "0" {
		t.Fatalf("GET empty value: %d %q Content-Length %q, want 200, empty, 0",
			res.StatusCode, body, res.Header.Get("Content-Length"))
	}
}

// escapeAll percent-encodes every byte of key.
func escapeAll(key []byte) string {
	var b strings.Builder
	for _, c := range key {
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func TestBinaryKeys(t *testing.T) {
	c, st := alpha(t, Config{})
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	tests := []struct {
		name string
		key  []byte // the key stored
		path string // as sent after /keys/; "" means escapeAll(key)
	}{
		{"every byte", all, ""},
		{"NUL", []byte{0}, ""},
		{"slash escaped", []byte("a/b"), "a%2Fb"},
		{"slash literal", []byte("c/d"), "c/d"},
		{"dots", []byte(".."), "%2E%2E"},
		{"dots literal", []byte("x/../y"), "x/../y"},
		{"percent", []byte("100%"), "100%25"},
		{"query chars", []byte("a?b#c"), "a%3Fb%23c"},
		{"space and plus", []byte("a b+c"), "a%20b+c"},
		{"utf-8", []byte("clé"), "cl%C3%A9"},
		{"hash tag", []byte("{user:1}:name"), "%7Buser:1%7D:name"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = escapeAll(tc.key)
			}
			value := []byte{byte(i), 0, 0xff, '\r', '\n'}
			c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/"+path, text(string(value)))
			if got, ok := st.raw(t, tc.key); !ok || string(got) != string(value) {
				t.Fatalf("lcache holds %q (found %v) under %q, want %q", got, ok, tc.key, value)
			}
			if got := c.expect(200, "GET", "/v1/alpha/keys/"+path, nil); string(got) != string(value) {
				t.Fatalf("GET: %q, want %q", got, value)
			}
			c.expect(http.StatusNoContent, "DELETE", "/v1/alpha/keys/"+path, nil)
		})
	}
}

func TestKeyTTL(t *testing.T) {
	c, st := alpha(t, Config{})
	tests := []struct {
		query   string
		wantMax int64 // ms
	}{
		{"ttl=30s", 30000},
		{"ttl=30", 30000},
		{"ttl=1m30s", 90000},
		{"ttl=250ms", 250},
	}
	for _, tc := range tests {
		c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/k?"+tc.query, text("v"))
		if got := st.pttl(t, "k"); got <= 0 || got > tc.wantMax {
			t.Errorf("PUT ?%s: PTTL %d, want in (0, %d]", tc.query, got, tc.wantMax)
		}
	}
	c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/k", text("v"))
	if got := st.pttl(t, "k"); got != -1 {
		t.Errorf("PUT without ttl: PTTL %d, want -1 (no expiry)", got)
	}

	c.expect(http.StatusNoContent, "PUT", "/v1/alpha/keys/short?ttl=20ms", text("v"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, _ := c.do("GET", "/v1/alpha/keys/short", nil)
		if res.StatusCode == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key with ttl=20ms still there after 5s (status %d)", res.StatusCode)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPutBadQuery(t *testing.T) {
	c, _ := alpha(t, Config{})
	tests := []struct{ query, wantErr string }{
		{"ttl=0", `ttl \"0\" is below 1ms`},
		{"ttl=-1s", `ttl \"-1s\" is below 1ms`},
		{"ttl=500us", `ttl \"500us\" is below 1ms`},
		{"ttl=soon", `ttl \"soon\" is neither a duration`},
		{"ttl=1.5", `ttl \"1.5\" is neither a duration`},
		{"ttl=99999999999999999", `ttl \"99999999999999999\" is too long`},
		{"ttl=30s&nx=1", `unknown query parameter \"nx\"`},
		{"tll=30s", `unknown query parameter \"tll\"`},
	}
	for _, tc := range tests {
		body := c.expect(http.StatusBadRequest, "PUT", "/v1/alpha/keys/k?"+tc.query, text("v"))
		if !strings.Contains(string(body), tc.wantErr) {
			t.Errorf("PUT ?%s: body %s, want it to contain %q", tc.query, body, tc.wantErr)
		}
	}
	c.expect(http.StatusNotFound, "GET", "/v1/alpha/keys/k", nil) // nothing was written
}

func TestEmptyKey(t *testing.T) {
	c, _ := alpha(t, Config{})
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		body := c.expect(http.StatusBadRequest, m, "/v1/alpha/keys/", nil)
		if !strings.Contains(string(body), `"empty key"`) {
			t.Errorf("%s empty key: body %s, want error \"empty key\"", m, body)
		}
	}
}

func TestParseTTL(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"", 0, false},
		{"1", time.Second, false},
		{"30s", 30 * time.Second, false},
		{"1h", time.Hour, false},
		{"1ms", time.Millisecond, false},
		{"1.5s", 1500 * time.Millisecond, false},
		{"0", 0, true},
		{"0s", 0, true},
		{"999us", 0, true},
		{"-5", 0, true},
		{"5 s", 0, true},
		{"9223372037", 0, true},
	}
	for _, tc := range tests {
		got, err := parseTTL(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseTTL(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
