package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sharedPools is the twemproxy config that produced the observed placement
// vectors (see DESIGN.md).
const sharedPools = "../../shared/twemproxy/pools.yml"

func TestLoadTwemproxyPools(t *testing.T) {
	path := sharedPools
	if _, err := os.Stat(path); err != nil {
		path = "/work/shared/twemproxy/pools.yml"
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	srv := func(port, weight int, name string, line int) Server {
		addr := "127.0.0.1:" + strconv.Itoa(port)
		return Server{Addr: addr, Host: "127.0.0.1", Port: port, Weight: weight, Name: name, Line: line}
	}
	want := []struct {
		name, listen, hash, tag, dist string
		line                          int
		servers                       []Server
	}{
		{"k3", "127.0.0.1:37901", "fnv1a_64", "", "ketama", 1,
			[]Server{srv(37211, 1, "", 6), srv(37212, 1, "", 7), srv(37213, 1, "", 8)}},
		{"kw", "127.0.0.1:37902", "fnv1a_64", "", "ketama", 9,
			[]Server{srv(37211, 1, "", 14), srv(37212, 2, "", 15), srv(37213, 3, "", 16)}},
		{"kn", "127.0.0.1:37903", "md5", "", "ketama", 17,
			[]Server{srv(37211, 1, "server1", 22), srv(37212, 1, "server2", 23), srv(37213, 1, "server3", 24), srv(37214, 1, "server4", 25)}},
		{"km", "127.0.0.1:37904", "fnv1a_64", "", "modula", 26,
			[]Server{srv(37211, 1, "", 31), srv(37212, 2, "", 32), srv(37213, 1, "", 33)}},
		{"kt", "127.0.0.1:37905", "crc32a", "{}", "ketama", 34,
			[]Server{srv(37211, 1, "", 40), srv(37212, 1, "", 41), srv(37213, 1, "", 42), srv(37214, 1, "", 43)}},
	}
	if len(c.Pools) != len(want) {
		t.Fatalf("got %d pools, want %d", len(c.Pools), len(want))
	}
	for i, w := range want {
		p := c.Pools[i]
		t.Run(w.name, func(t *testing.T) {
			got := [...]any{p.Name, p.Listen, p.Hash, p.HashTag, p.Distribution, p.Line, p.Protocol}
			exp := [...]any{w.name, w.listen, w.hash, w.tag, w.dist, w.line, ProtocolMemcache}
			if got != exp {
				t.Errorf("pool %d: got name, listen, hash, tag, dist, line, protocol = %v, want %v", i, got, exp)
			}
			if !reflect.DeepEqual(p.Servers, w.servers) {
				t.Errorf("servers:\n got %+v\nwant %+v", p.Servers, w.servers)
			}
		})
	}
	if c.File != path {
		t.Errorf("File = %q, want %q", c.File, path)
	}
}

func TestDefaults(t *testing.T) {
	base := Pool{
		Name: "p", Listen: "127.0.0.1:22121", Line: 1,
		Hash: "fnv1a_64", Distribution: "ketama", Backlog: 512, ServerConnections: 1,
		ServerRetryTimeout: 30 * time.Second, ServerFailureLimit: 2,
		Servers: []Server{{Addr: "127.0.0.1:6379", Host: "127.0.0.1", Port: 6379, Weight: 1}},
	}
	yamlWant := base
	yamlWant.Protocol = ProtocolMemcache // twemproxy: redis false
	yamlWant.Timeout = 0                 // twemproxy: no timeout
	yamlWant.Stack = defaultStack(formatYAML)
	yamlWant.Servers = []Server{{Addr: "127.0.0.1:6379", Host: "127.0.0.1", Port: 6379, Weight: 1, Line: 4}}
	tomlWant := base
	tomlWant.Protocol = ProtocolRedis
	tomlWant.Timeout = time.Second
	tomlWant.Stack = defaultStack(formatTOML)
	tomlWant.Servers = []Server{{Addr: "127.0.0.1:6379", Host: "127.0.0.1", Port: 6379, Weight: 1, Line: 3}}
	servantWant := base
	servantWant.Protocol = ProtocolRedis
	servantWant.Timeout = time.Second
	servantWant.Stack = defaultStack(formatTOML)
	servantWant.Servers = nil
	servantWant.Servant = ServantLCache
	servantWant.ServantMaxMemory = 64 << 20

	tests := []struct {
		name, format, text string
		want               Pool
	}{
		{"yaml", "yaml", "p:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:6379:1\n", yamlWant},
		{"toml", "toml", "[pools.p]\nlisten = \"127.0.0.1:22121\"\nservers = [\"127.0.0.1:6379:1\"]\n", tomlWant},
		{"toml servant", "toml", "[pools.p]\nlisten = \"127.0.0.1:22121\"\nservant = \"lcache\"\n", servantWant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.text), "t", tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Pools) != 1 {
				t.Fatalf("got %d pools, want 1", len(c.Pools))
			}
			got := c.Pools[0]
			got.lines = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if c.File != "" || len(c.Pools) != 4 {
		t.Fatalf("Default() = %+v, want four pools and no file", c)
	}
	for i, want := range [][6]any{
		{"default", "127.0.0.1:6380", ProtocolRedis, "", int64(0), 0},
		{"memcache", "127.0.0.1:11212", ProtocolMemcache, "", int64(0), 0},
		{"lcache", "", ProtocolRedis, ServantLCache, int64(64 << 20), 0},
		{"kvdb", "", ProtocolRedis, ServantKVDB, int64(64 << 20), 0},
	} {
		p := c.Pools[i]
		got := [...]any{p.Name, p.Listen, p.Protocol, p.Servant, p.ServantMaxMemory, len(p.Servers)}
		if got != want {
			t.Errorf("Default() pool %d = %v, want %v", i, got, want)
		}
	}
	if got := c.Pools[0].Tier.Tiers; len(got) != 2 || got[0] != "lcache" || got[1] != "kvdb" {
		t.Errorf("default chain %v, want lcache then kvdb", got)
	}
	if d := Default("/srv/fae").Pools[3].Tier.ServantDir; d != "/srv/fae" {
		t.Errorf("kvdb dir %q, want /srv/fae", d)
	}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		name, format, keys string
		timeout, retry     time.Duration
	}{
		{"yaml milliseconds", "yaml", "  timeout: 400\n  server_retry_timeout: 2000\n", 400 * time.Millisecond, 2 * time.Second},
		{"yaml zero waits forever", "yaml", "  timeout: 0\n", 0, 30 * time.Second},
		{"toml strings", "toml", "timeout = \"400ms\"\nserver_retry_timeout = \"1m30s\"\n", 400 * time.Millisecond, 90 * time.Second},
		{"toml integers are milliseconds", "toml", "timeout = 250\nserver_retry_timeout = 1_500\n", 250 * time.Millisecond, 1500 * time.Millisecond},
		{"toml zero waits forever", "toml", "timeout = 0\n", 0, 30 * time.Second},
		{"toml microseconds", "toml", "timeout = \"1500us\"\n", 1500 * time.Microsecond, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "p:\n  listen: 127.0.0.1:22121\n" + tt.keys + "  servers:\n   - 127.0.0.1:6379:1\n"
			if tt.format == "toml" {
				text = "[pools.p]\nlisten = \"127.0.0.1:22121\"\nservers = [\"127.0.0.1:6379:1\"]\n" + tt.keys
			}
			c, err := Parse([]byte(text), "t", tt.format)
			if err != nil {
				t.Fatal(err)
			}
			p := c.Pools[0]
			if p.Timeout != tt.timeout || p.ServerRetryTimeout != tt.retry {
				t.Errorf("timeout, server_retry_timeout = %v, %v; want %v, %v", p.Timeout, p.ServerRetryTimeout, tt.timeout, tt.retry)
			}
		})
	}
}

func TestTOMLKeepsOrderAndLines(t *testing.T) {
	text := `# pools in an order that is not sorted
[pools.zeta]
listen = "127.0.0.1:7001"
servers = [
  "127.0.0.1:6379:1 a",

  "127.0.0.1:6380:2 b",
]

[pools]
alpha = { listen = "127.0.0.1:7002", servant = "lcache" }
mid.listen = "/tmp/mid.sock 0600"
mid.protocol = "memcache"
mid.servers = ["/tmp/mc.sock:1"]

[pools."with space"]
listen = "127.0.0.1:7004"
servant = "lcache"
servant_max_memory = 1048576
`
	c, err := Parse([]byte(text), "order.toml", "toml")
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		name   string
		line   int
		listen string
		mode   os.FileMode
		lines  []int
	}
	var got []summary
	for _, p := range c.Pools {
		s := summary{name: p.Name, line: p.Line, listen: p.Listen, mode: p.ListenMode}
		for _, srv := range p.Servers {
			s.lines = append(s.lines, srv.Line)
		}
		got = append(got, s)
	}
	want := []summary{
		{"zeta", 2, "127.0.0.1:7001", 0, []int{5, 7}},
		{"alpha", 11, "127.0.0.1:7002", 0, nil},
		{"mid", 12, "/tmp/mid.sock", 0o600, []int{14}},
		{"with space", 16, "127.0.0.1:7004", 0, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pools:\n got %+v\nwant %+v", got, want)
	}
	if m := c.Pools[3].ServantMaxMemory; m != 1<<20 {
		t.Errorf("servant_max_memory = %d, want %d", m, 1<<20)
	}
}

func TestExamplesLoad(t *testing.T) {
	var files []string
	for _, pattern := range []string{"*.toml", "*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join("..", "examples", pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 2 {
		t.Fatalf("found %d example configs in ../examples, want at least fae.toml and nutcracker.yml", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				t.Fatalf("Load(%s):\n%v", f, err)
			}
			if len(c.Pools) == 0 {
				t.Errorf("Load(%s) gave no pools", f)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		want error
	}{
		{"missing file", filepath.Join(dir, "nope.toml"), fs.ErrNotExist},
		{"unknown extension", filepath.Join(dir, "fae.json"), ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Load(%s) = %v, want an error wrapping %v", tt.path, err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != tt.path {
				t.Errorf("Load(%s): got *Error %+v, want one naming the file", tt.path, e)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"full", &Error{File: "f.yml", Line: 3, Key: "a.hash", Msg: "bad"}, "f.yml:3: a.hash: bad"},
		{"no line", &Error{File: "f.yml", Msg: "no pools"}, "f.yml: no pools"},
		{"no file", &Error{Line: 2, Key: "k", Msg: "m"}, "line 2: k: m"},
		{"nothing but kind", &Error{Err: ErrMissing}, "missing"},
		{"joined", Errors{&Error{File: "f", Line: 1, Msg: "a"}, &Error{File: "f", Line: 2, Msg: "b"}}, "f:1: a\nf:2: b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestYAMLKeyListMatchesKeys(t *testing.T) {
	listed := map[string]bool{}
	for _, k := range strings.Split(yamlKeyList(), ", ") {
		listed[k] = true
		if _, ok := yamlKeys[k]; !ok {
			t.Errorf("yamlKeyList names %q, which yamlKeys lacks", k)
		}
	}
	for k := range yamlKeys {
		if !listed[k] {
			t.Errorf("yamlKeys has %q, which yamlKeyList does not name", k)
		}
	}
	if len(yamlKeys) != 17 {
		t.Errorf("got %d YAML keys, want nutcracker 0.5's 17", len(yamlKeys))
	}
}
