package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	c, _ := alpha(t, Config{MaxBody: 10})
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	long := strings.Repeat("x", MaxRequestIDLen)
	tests := []struct {
		name, sent string
		echoed     bool
	}{
		{"none", "", false},
		{"sane", "abc-123", true},
		{"printable", `a b!"#~{}`, true},
		{"longest", long, true},
		{"too long", long + "x", false},
		{"tab", "a\tb", false},
		{"non-ASCII", "caf\xc3\xa9", false},
	}
	requests := []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/v1/health", "", 200},
		{"PUT", "/v1/alpha/keys/k", "v", 204},
		{"GET", "/v1/alpha/keys/k", "", 200},
		{"GET", "/v1/alpha/keys/missing", "", 404},
		{"POST", "/v1/alpha/keys/k", "", 405},
		{"PUT", "/v1/alpha/keys/k", "01234567890", 413},
		{"GET", "/nowhere", "", 404},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		for _, r := range requests {
			var header []string
			if tc.sent != "" {
				header = []string{"X-Request-Id", tc.sent}
			}
			res, body := c.do(r.method, r.path, text(r.body), header...)
			if res.StatusCode != r.status {
				t.Fatalf("%s: %s %s: status %d, want %d", tc.name, r.method, r.path, res.StatusCode, r.status)
			}
			id := res.Header.Get("X-Request-Id")
			switch {
			case tc.echoed && id != tc.sent:
				t.Errorf("%s: %s %s: X-Request-Id %q, want %q echoed", tc.name, r.method, r.path, id, tc.sent)
			case !tc.echoed && !generated.MatchString(id):
				t.Errorf("%s: %s %s: X-Request-Id %q, want 32 generated hex digits", tc.name, r.method, r.path, id)
			case !tc.echoed && seen[id]:
				t.Errorf("%s: %s %s: generated X-Request-Id %q twice", tc.name, r.method, r.path, id)
			}
			seen[id] = true
			if r.status >= 400 && !strings.Contains(string(body), `"request_id":`) {
				t.Errorf("%s: %s %s: error body %s has no request_id", tc.name, r.method, r.path, body)
			}
		}
	}
	// The error body carries the same id as the header.
	res, body := c.do("GET", "/v1/alpha/keys/missing", nil)
	if id := res.Header.Get("X-Request-Id"); !strings.Contains(string(body), `"request_id":"`+id+`"`) {
		t.Errorf("body %s does not carry the header's id %q", body, id)
	}
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", res.StatusCode)
	}
}

func TestIDGen(t *testing.T) {
	a, b := newIDGen(), newIDGen()
	if a.prefix == b.prefix {
		t.Errorf("two generators share the prefix %s", a.prefix)
	}
	first, second := a.next(), a.next()
	if first[:16] != second[:16] || first >= second {
		t.Errorf("ids %s then %s: want one prefix and increasing counters", first, second)
	}
	if first[16:] != "0000000000000001" {
		t.Errorf("first id %s, want counter 0000000000000001", first)
	}
}
