package nutstats

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/admin"
)

// sample is a hand-made snapshot: pools and servers in config order, which
// is not the order nutcracker writes them in.
func sample() admin.Stats {
	return admin.Stats{
		Service:          "faed",
		Version:          "1.2.3",
		Time:             time.Unix(1700000000, 500),
		UptimeSeconds:    42.9,
		ClientConns:      7,
		TotalClientConns: 100,
		InFlight:         3,
		Pools: []admin.PoolStats{
			{
				Name: "alpha", ClientEOF: 3, ClientErr: 1, ClientConns: 4, Requests: 30, Errors: 5,
				Servers: []admin.ServerStats{
					{Name: "10.0.0.2:6379", Requests: 10, Success: 8, Failures: 2, Timeouts: 1,
						Pending: 1, Connections: 2, Ejects: 1, RequestBytes: 300, ResponseBytes: 80,
						EjectedAt: 1699999990},
					{Name: "cache-a", Requests: 20, Success: 20, Connections: 1,
						RequestBytes: 600, ResponseBytes: 200},
				},
			},
			{
				Name:    "beta",
				Servers: []admin.ServerStats{{Name: "10.0.0.3:11211", Ejects: 2}},
			},
		},
	}
}

const zeroServer = `{"server_eof":0, "server_err":0, "server_timedout":0, "server_connections":0, ` +
	`"server_ejected_at":0, "requests":0, "request_bytes":0, "responses":0, "response_bytes":0, ` +
	`"in_queue":0, "in_queue_bytes":0, "out_queue":0, "out_queue_bytes":0}`

// TestRenderGolden compares the whole document with one written by hand in
// nutcracker 0.5.0's layout (see nutcracker_test.go for the live check).
func TestRenderGolden(t *testing.T) {
	want := `{"service":"nutcracker", "source":"host1", "version":"1.2.3", "uptime":42, ` +
		`"timestamp":1700000000, "total_connections":100, "curr_connections":7, ` +
		`"beta": {"client_eof":0, "client_err":0, "client_connections":0, "server_ejects":2, ` +
		`"forward_error":0, "fragments":0, "10.0.0.3": ` + zeroServer + `},` +
		`"alpha": {"client_eof":3, "client_err":1, "client_connections":4, "server_ejects":1, ` +
		`"forward_error":5, "fragments":0, ` +
		`"cache-a": {"server_eof":0, "server_err":0, "server_timedout":0, "server_connections":1, ` +
		`"server_ejected_at":0, "requests":20, "request_bytes":600, "responses":20, ` +
		`"response_bytes":200, "in_queue":0, "in_queue_bytes":0, "out_queue":0, "out_queue_bytes":0},` +
		`"10.0.0.2:6379": {"server_eof":0, "server_err":1, "server_timedout":1, "server_connections":2, ` +
		`"server_ejected_at":1699999990000000, "requests":10, "request_bytes":300, "responses":8, ` +
		`"response_bytes":80, "in_queue":0, "in_queue_bytes":0, "out_queue":1, "out_queue_bytes":0}}}` + "\n"
	got := string(Render(sample(), "host1"))
	if got != want {
		t.Errorf("Render:\ngot  %s\nwant %s", got, want)
	}
}

// TestRenderValues decodes the document and checks each mapped field.
func TestRenderValues(t *testing.T) {
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(string(Render(sample(), "host1"))))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path []string
		want string
	}{
		{"service", []string{"service"}, "nutcracker"},
		{"source", []string{"source"}, "host1"},
		{"version is faed's", []string{"version"}, "1.2.3"},
		{"uptime truncated", []string{"uptime"}, "42"},
		{"timestamp in seconds", []string{"timestamp"}, "1700000000"},
		{"total_connections", []string{"total_connections"}, "100"},
		{"curr_connections", []string{"curr_connections"}, "7"},
		{"client_eof", []string{"alpha", "client_eof"}, "3"},
		{"client_err", []string{"alpha", "client_err"}, "1"},
		{"client_connections", []string{"alpha", "client_connections"}, "4"},
		{"server_ejects sums servers", []string{"beta", "server_ejects"}, "2"},
		{"forward_error", []string{"alpha", "forward_error"}, "5"},
		{"fragments", []string{"alpha", "fragments"}, "0"},
		{"server_err excludes timeouts", []string{"alpha", "10.0.0.2:6379", "server_err"}, "1"},
		{"server_timedout", []string{"alpha", "10.0.0.2:6379", "server_timedout"}, "1"},
		{"server_connections", []string{"alpha", "10.0.0.2:6379", "server_connections"}, "2"},
		{"server_ejected_at in usec", []string{"alpha", "10.0.0.2:6379", "server_ejected_at"}, "1699999990000000"},
		{"requests", []string{"alpha", "10.0.0.2:6379", "requests"}, "10"},
		{"request_bytes", []string{"alpha", "10.0.0.2:6379", "request_bytes"}, "300"},
		{"responses", []string{"alpha", "10.0.0.2:6379", "responses"}, "8"},
		{"response_bytes", []string{"alpha", "10.0.0.2:6379", "response_bytes"}, "80"},
		{"out_queue", []string{"alpha", "10.0.0.2:6379", "out_queue"}, "1"},
		{"in_queue", []string{"alpha", "10.0.0.2:6379", "in_queue"}, "0"},
		{"named server", []string{"alpha", "cache-a", "requests"}, "20"},
		{"port 11211 left out", []string{"beta", "10.0.0.3", "server_ejected_at"}, "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v any = doc
			for _, k := range tc.path {
				m, ok := v.(map[string]any)
				if !ok {
					t.Fatalf("%q: not an object at %q", tc.path, k)
				}
				if v, ok = m[k]; !ok {
					t.Fatalf("%q: no key %q", tc.path, k)
				}
			}
			if got := toString(v); got != tc.want {
				t.Errorf("%q: got %s, want %s", tc.path, got, tc.want)
			}
		})
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRenderOrder(t *testing.T) {
	st := admin.Stats{Pools: []admin.PoolStats{
		{Name: "ab", Servers: []admin.ServerStats{
			{Name: "127.0.0.1:10"}, {Name: "127.0.0.1:9"}, {Name: "zzzzzzzzzzzzzzzzzzzz"},
			{Name: "bb"}, {Name: "ba"},
		}},
		{Name: "aa"}, {Name: "B"},
	}}
	ms := tree(t, Render(st, "h"))
	var pools []string
	for _, m := range ms {
		if m.Kind == "object" {
			pools = append(pools, m.Key)
		}
	}
	if want := []string{"B", "aa", "ab"}; !slices.Equal(pools, want) {
		t.Errorf("pools: got %q, want %q", pools, want)
	}
	var servers []string
	for _, m := range ms[len(ms)-1].Members {
		if m.Kind == "object" {
			servers = append(servers, m.Key)
		}
	}
	// As nutcracker 0.5.0 orders "127.0.0.1:10:1", "127.0.0.1:9:1",
	// "... zzz", "... bb", "... ba" (observed).
	want := []string{"ba", "bb", "127.0.0.1:9", "127.0.0.1:10", "zzzzzzzzzzzzzzzzzzzz"}
	if !slices.Equal(servers, want) {
		t.Errorf("servers: got %q, want %q", servers, want)
	}
	if st.Pools[0].Servers[0].Name != "127.0.0.1:10" || st.Pools[0].Name != "ab" {
		t.Error("Render reordered its input")
	}
}

func TestRenderEmptyAndEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		st   admin.Stats
		want string
	}{
		{"no pools, zero time", admin.Stats{},
			`{"service":"nutcracker", "source":"h", "version":"", "uptime":0, "timestamp":0, ` +
				`"total_connections":0, "curr_connections":0}` + "\n"},
		{"pool without servers", admin.Stats{Pools: []admin.PoolStats{{Name: "p"}}},
			`{"service":"nutcracker", "source":"h", "version":"", "uptime":0, "timestamp":0, ` +
				`"total_connections":0, "curr_connections":0, "p": {"client_eof":0, "client_err":0, ` +
				`"client_connections":0, "server_ejects":0, "forward_error":0, "fragments":0}}` + "\n"},
		{"negative counters written as 0", admin.Stats{ClientConns: -1, Pools: []admin.PoolStats{{Name: "p",
			Servers: []admin.ServerStats{{Name: "s", Failures: 1, Timeouts: 2}}}}},
			`{"service":"nutcracker", "source":"h", "version":"", "uptime":0, "timestamp":0, ` +
				`"total_connections":0, "curr_connections":0, "p": {"client_eof":0, "client_err":0, ` +
				`"client_connections":0, "server_ejects":0, "forward_error":0, "fragments":0, ` +
				`"s": {"server_eof":0, "server_err":0, "server_timedout":2, "server_connections":0, ` +
				`"server_ejected_at":0, "requests":0, "request_bytes":0, "responses":0, "response_bytes":0, ` +
				`"in_queue":0, "in_queue_bytes":0, "out_queue":0, "out_queue_bytes":0}}}` + "\n"},
		{"names escaped", admin.Stats{Version: "a\"b\\c\n<&>\xff", Pools: []admin.PoolStats{{Name: `"`}}},
			`{"service":"nutcracker", "source":"h", "version":"a\"b\\c\u000a<&>` + "\uFFFD" + `", "uptime":0, ` +
				`"timestamp":0, "total_connections":0, "curr_connections":0, "\"": {"client_eof":0, ` +
				`"client_err":0, "client_connections":0, "server_ejects":0, "forward_error":0, "fragments":0}}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Render(tc.st, "h")
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}

func TestServerKey(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"host:port", "127.0.0.1:6379", "127.0.0.1:6379"},
		{"memcached port left out", "127.0.0.1:11211", "127.0.0.1"},
		{"hostname", "cache1.example.com:6380", "cache1.example.com:6380"},
		{"IPv6", "[::1]:6379", "::1:6379"},
		{"unix socket", "/run/redis.sock", "/run/redis.sock:"},
		{"configured name", "cache-a", "cache-a"},
		{"name with a colon but no port", "a:b", "a:b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ServerKey(admin.ServerStats{Name: tc.in}); got != tc.want {
				t.Errorf("ServerKey(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzRender checks that any names give one line of valid JSON.
func FuzzRender(f *testing.F) {
	f.Add("alpha", "127.0.0.1:6379", "host", "1.0")
	f.Add("\"", "\\", "\x00", "\xff\xfe")
	f.Fuzz(func(t *testing.T, pool, server, source, version string) {
		st := admin.Stats{Version: version, Pools: []admin.PoolStats{
			{Name: pool, Servers: []admin.ServerStats{{Name: server}, {Name: server + "x"}}},
			{Name: pool + "y"},
		}}
		b := Render(st, source)
		if !json.Valid(b) {
			t.Fatalf("not valid JSON: %q", b)
		}
		if i := strings.IndexByte(string(b), '\n'); i != len(b)-1 {
			t.Fatalf("newline at %d of %d: %q", i, len(b), b)
		}
	})
}
