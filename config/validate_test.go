package config

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fae-dev/fae/testkit"
)

// errorCase is a config with one problem and where it must be reported.
type errorCase struct {
	name   string
	format string
	text   string
	line   int
	key    string
	kind   error
	// nutcrackerAccepts marks YAML that nutcracker 0.5 accepts although
	// faed rejects it (the problem would only show later, or not at all).
	nutcrackerAccepts bool
}

// yamlPool wraps pool keys (indented two spaces) into a config whose pool
// "a" starts on line 1 and whose first key is on line 2.
func yamlPoolText(keys string) string { return "a:\n" + keys }

const (
	yListen  = "  listen: 127.0.0.1:40001\n"
	yServers = "  servers:\n   - 127.0.0.1:6379:1\n"
	tHead    = "[pools.a]\n"
	tListen  = "listen = \"127.0.0.1:40001\"\n"
	tServers = "servers = [\"127.0.0.1:6379:1\"]\n"
)

var yamlErrorCases = []errorCase{
	{name: "unknown key", text: yamlPoolText(yListen + "  foo: bar\n" + yServers),
		line: 3, key: "a.foo", kind: ErrUnknownKey},
	{name: "fae key in twemproxy yaml", text: yamlPoolText(yListen + "  servant: lcache\n" + yServers),
		line: 3, key: "a.servant", kind: ErrUnknownKey},
	{name: "duplicate key", text: yamlPoolText(yListen + "  hash: md5\n  hash: md5\n" + yServers),
		line: 4, key: "a.hash", kind: ErrDuplicate},
	{name: "unknown hash", text: yamlPoolText(yListen + "  hash: fnv\n" + yServers),
		line: 3, key: "a.hash", kind: ErrInvalid},
	{name: "hash names are case-sensitive", text: yamlPoolText(yListen + "  hash: MD5\n" + yServers),
		line: 3, key: "a.hash", kind: ErrInvalid},
	{name: "unknown distribution", text: yamlPoolText(yListen + "  distribution: vnode\n" + yServers),
		line: 3, key: "a.distribution", kind: ErrInvalid},
	{name: "hash tag of three", text: yamlPoolText(yListen + "  hash_tag: \"{{}\"\n" + yServers),
		line: 3, key: "a.hash_tag", kind: ErrInvalid},
	{name: "hash tag of one", text: yamlPoolText(yListen + "  hash_tag: \"{\"\n" + yServers),
		line: 3, key: "a.hash_tag", kind: ErrInvalid},
	{name: "hash tag unquoted is a mapping", text: yamlPoolText(yListen + "  hash_tag: {}\n" + yServers),
		line: 3, key: "a.hash_tag", kind: ErrInvalid},
	{name: "listen missing", text: yamlPoolText("  hash: md5\n" + yServers),
		line: 1, key: "a.listen", kind: ErrMissing},
	{name: "listen without port", text: yamlPoolText("  listen: localhost\n" + yServers),
		line: 2, key: "a.listen", kind: ErrInvalid},
	{name: "listen port out of range", text: yamlPoolText("  listen: 127.0.0.1:99999\n" + yServers),
		line: 2, key: "a.listen", kind: ErrInvalid},
	{name: "listen bad permission", text: yamlPoolText("  listen: /tmp/fae-test.sock 0999\n" + yServers),
		line: 2, key: "a.listen", kind: ErrInvalid, nutcrackerAccepts: true},
	{name: "duplicate listen", text: yamlPoolText(yListen+yServers) + "b:\n" + yListen + yServers,
		line: 6, key: "b.listen", kind: ErrDuplicate},
	{name: "listen clashes with a wildcard", text: yamlPoolText("  listen: 0.0.0.0:40001\n"+yServers) + "b:\n" + yListen + yServers,
		line: 6, key: "b.listen", kind: ErrDuplicate, nutcrackerAccepts: true},
	{name: "server missing weight", text: yamlPoolText(yListen + "  servers:\n   - 127.0.0.1:6379:1\n   - 127.0.0.1:6380\n"),
		line: 5, key: "a.servers", kind: ErrInvalid},
	{name: "server weight 0", text: yamlPoolText(yListen + "  servers:\n   - 127.0.0.1:6379:0\n"),
		line: 4, key: "a.servers", kind: ErrInvalid},
	{name: "server bad port", text: yamlPoolText(yListen + "  servers:\n   - 127.0.0.1:redis:1\n"),
		line: 4, key: "a.servers", kind: ErrInvalid},
	{name: "server port out of range", text: yamlPoolText(yListen + "  servers:\n   - 127.0.0.1:70000:1\n"),
		line: 4, key: "a.servers", kind: ErrInvalid},
	{name: "server port 0", text: yamlPoolText(yListen + "  servers:\n   - 127.0.0.1:0:1\n"),
		line: 4, key: "a.servers", kind: ErrInvalid},
	{name: "duplicate server", text: yamlPoolText(yListen + "  servers:\n   - 127.0.0.1:6379:1\n   - 127.0.0.1:6379:2\n"),
		line: 5, key: "a.servers", kind: ErrDuplicate},
	{name: "duplicate server name", text: yamlPoolText(yListen + "  servers:\n   - 127.0.0.1:6379:1 s\n   - 127.0.0.1:6380:1 s\n"),
		line: 5, key: "a.servers", kind: ErrDuplicate},
	{name: "no servers", text: yamlPoolText(yListen + "  hash: md5\n"),
		line: 1, key: "a.servers", kind: ErrMissing},
	{name: "servers not a list", text: yamlPoolText(yListen + "  servers: 127.0.0.1:6379:1\n"),
		line: 3, key: "a.servers", kind: ErrInvalid},
	{name: "negative timeout", text: yamlPoolText(yListen + "  timeout: -1\n" + yServers),
		line: 3, key: "a.timeout", kind: ErrInvalid},
	{name: "timeout with a unit", text: yamlPoolText(yListen + "  timeout: 400ms\n" + yServers),
		line: 3, key: "a.timeout", kind: ErrInvalid},
	{name: "negative redis_db", text: yamlPoolText(yListen + "  redis: true\n  redis_db: -1\n" + yServers),
		line: 4, key: "a.redis_db", kind: ErrInvalid},
	{name: "server_connections 0", text: yamlPoolText(yListen + "  server_connections: 0\n" + yServers),
		line: 3, key: "a.server_connections", kind: ErrInvalid},
	{name: "boolean yes", text: yamlPoolText(yListen + "  redis: yes\n" + yServers),
		line: 3, key: "a.redis", kind: ErrInvalid},
	{name: "redis_auth on a memcache pool", text: yamlPoolText(yListen + "  redis_auth: secret\n" + yServers),
		line: 3, key: "a.redis_auth", kind: ErrInvalid},
	{name: "duplicate pool", text: yamlPoolText(yListen+yServers) + "a:\n  listen: 127.0.0.1:40002\n" + yServers,
		line: 5, key: "a", kind: ErrDuplicate},
	{name: "pool not a mapping", text: "a: 5\n",
		line: 1, key: "a", kind: ErrSyntax},
	{name: "alias", text: yamlPoolText("  listen: &l 127.0.0.1:40001\n  hash: *l\n" + yServers),
		line: 3, key: "a.hash", kind: ErrInvalid},
	{name: "unclosed bracket", text: yamlPoolText(yListen + "  hash: [md5\n" + yServers),
		line: 3, key: "", kind: ErrSyntax},
	{name: "bad indentation", text: yamlPoolText(yListen + " hash: md5\n" + yServers),
		line: 3, key: "", kind: ErrSyntax},
	{name: "two documents", text: yamlPoolText(yListen+yServers) + "---\nb:\n  listen: 127.0.0.1:40002\n" + yServers,
		line: 5, key: "", kind: ErrSyntax},
	{name: "top level is a list", text: "- a\n- b\n",
		line: 1, key: "", kind: ErrSyntax},
	{name: "empty file", text: "# nothing\n",
		line: 0, key: "", kind: ErrMissing},
}

var tomlErrorCases = []errorCase{
	{name: "unknown key", text: tHead + tListen + "foo = 1\n" + tServers,
		line: 3, key: "pools.a.foo", kind: ErrUnknownKey},
	{name: "twemproxy key in toml", text: tHead + tListen + "redis = true\n" + tServers,
		line: 3, key: "pools.a.redis", kind: ErrUnknownKey},
	{name: "unknown top-level key", text: "listen = \"x\"\n" + tHead + tListen + tServers,
		line: 1, key: "listen", kind: ErrUnknownKey},
	{name: "unknown hash", text: tHead + tListen + "hash = \"sha1\"\n" + tServers,
		line: 3, key: "pools.a.hash", kind: ErrInvalid},
	{name: "unknown distribution", text: tHead + tListen + "distribution = \"Ketama\"\n" + tServers,
		line: 3, key: "pools.a.distribution", kind: ErrInvalid},
	{name: "hash tag too long", text: tHead + tListen + "hash_tag = \"{{}}\"\n" + tServers,
		line: 3, key: "pools.a.hash_tag", kind: ErrInvalid},
	{name: "unknown protocol", text: tHead + tListen + "protocol = \"gopher\"\n" + tServers,
		line: 3, key: "pools.a.protocol", kind: ErrInvalid},
	{name: "http pool with servers", text: tHead + tListen + "protocol = \"http\"\n" + tServers,
		line: 4, key: "pools.a.servers", kind: ErrInvalid},
	{name: "listen missing", text: "\n" + tHead + tServers,
		line: 2, key: "pools.a.listen", kind: ErrMissing},
	{name: "listen not a string", text: tHead + "listen = 22121\n" + tServers,
		line: 2, key: "pools.a.listen", kind: ErrInvalid},
	{name: "duplicate listen", text: tHead + tListen + tServers + "[pools.b]\n" + tListen + tServers,
		line: 5, key: "pools.b.listen", kind: ErrDuplicate},
	{name: "negative backlog", text: tHead + tListen + "backlog = -1\n" + tServers,
		line: 3, key: "pools.a.backlog", kind: ErrInvalid},
	{name: "negative client_connections", text: tHead + tListen + "client_connections = -5\n" + tServers,
		line: 3, key: "pools.a.client_connections", kind: ErrInvalid},
	{name: "negative server_failure_limit", text: tHead + tListen + "server_failure_limit = -2\n" + tServers,
		line: 3, key: "pools.a.server_failure_limit", kind: ErrInvalid},
	{name: "negative redis_db", text: tHead + tListen + "redis_db = -1\n" + tServers,
		line: 3, key: "pools.a.redis_db", kind: ErrInvalid},
	{name: "negative timeout", text: tHead + tListen + "timeout = \"-1s\"\n" + tServers,
		line: 3, key: "pools.a.timeout", kind: ErrInvalid},
	{name: "negative timeout in ms", text: tHead + tListen + "timeout = -100\n" + tServers,
		line: 3, key: "pools.a.timeout", kind: ErrInvalid},
	{name: "timeout not a duration", text: tHead + tListen + "timeout = \"fast\"\n" + tServers,
		line: 3, key: "pools.a.timeout", kind: ErrInvalid},
	{name: "timeout of the wrong type", text: tHead + tListen + "timeout = 1.5\n" + tServers,
		line: 3, key: "pools.a.timeout", kind: ErrInvalid},
	{name: "boolean as a string", text: tHead + tListen + "preconnect = \"true\"\n" + tServers,
		line: 3, key: "pools.a.preconnect", kind: ErrInvalid},
	{name: "server_connections 0", text: tHead + tListen + "server_connections = 0\n" + tServers,
		line: 3, key: "pools.a.server_connections", kind: ErrInvalid},
	{name: "servant and servers", text: tHead + tListen + "servant = \"lcache\"\n" + tServers,
		line: 3, key: "pools.a.servant", kind: ErrInvalid},
	{name: "neither servant nor servers", text: "\n\n" + tHead + tListen,
		line: 3, key: "pools.a.servers", kind: ErrMissing},
	{name: "empty servers", text: tHead + tListen + "servers = []\n",
		line: 3, key: "pools.a.servers", kind: ErrMissing},
	{name: "unknown servant", text: tHead + tListen + "servant = \"memdb\"\n",
		line: 3, key: "pools.a.servant", kind: ErrInvalid},
	{name: "bad servant size", text: tHead + tListen + "servant = \"lcache\"\nservant_max_memory = \"64XB\"\n",
		line: 4, key: "pools.a.servant_max_memory", kind: ErrInvalid},
	{name: "zero servant size", text: tHead + tListen + "servant = \"lcache\"\nservant_max_memory = 0\n",
		line: 4, key: "pools.a.servant_max_memory", kind: ErrInvalid},
	{name: "servant size without servant", text: tHead + tListen + "servant_max_memory = \"1GB\"\n" + tServers,
		line: 3, key: "pools.a.servant_max_memory", kind: ErrInvalid},
	{name: "servers not an array", text: tHead + tListen + "servers = \"127.0.0.1:6379:1\"\n",
		line: 3, key: "pools.a.servers", kind: ErrInvalid},
	{name: "server not a string", text: tHead + tListen + "servers = [\n  \"127.0.0.1:6379:1\",\n  6380,\n]\n",
		line: 5, key: "pools.a.servers", kind: ErrInvalid},
	{name: "server line on its own line", text: tHead + tListen + "servers = [\n  \"127.0.0.1:6379:1\",\n  \"127.0.0.1:6380\",\n]\n",
		line: 5, key: "pools.a.servers", kind: ErrInvalid},
	{name: "server weight 0", text: tHead + tListen + "servers = [\"127.0.0.1:6379:0\"]\n",
		line: 3, key: "pools.a.servers", kind: ErrInvalid},
	{name: "duplicate server", text: tHead + tListen + "servers = [\"127.0.0.1:6379:1\", \"127.0.0.1:6379:1\"]\n",
		line: 3, key: "pools.a.servers", kind: ErrDuplicate},
	{name: "duplicate key", text: tHead + tListen + tListen + tServers,
		line: 3, key: "listen", kind: ErrSyntax},
	{name: "duplicate pool", text: tHead + tListen + tServers + tHead,
		line: 4, key: "pools.a", kind: ErrSyntax},
	{name: "syntax error", text: tHead + "listen = 127.0.0.1:1\n",
		line: 2, key: "", kind: ErrSyntax},
	{name: "pools not a table", text: "pools = 5\n",
		line: 1, key: "pools", kind: ErrInvalid},
	{name: "pool not a table", text: "[pools]\na = \"x\"\n",
		line: 2, key: "pools.a", kind: ErrInvalid},
	{name: "array of pools", text: "[[pools.a]]\n" + tListen + tServers,
		line: 1, key: "pools.a", kind: ErrInvalid},
	{name: "empty pool name", text: "[pools.\"\"]\n" + tListen + tServers,
		line: 1, key: "pools.\"\"", kind: ErrMissing},
	{name: "empty file", text: "",
		line: 0, key: "pools", kind: ErrMissing},
	{name: "empty pools", text: "[pools]\n",
		line: 0, key: "pools", kind: ErrMissing},
}

func TestErrors(t *testing.T) {
	run := func(t *testing.T, format string, cases []errorCase) {
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				c, err := Parse([]byte(tt.text), "case."+format, format)
				if err == nil {
					t.Fatalf("Parse succeeded with %d pools, want a %v error on line %d at key %q", len(c.Pools), tt.kind, tt.line, tt.key)
				}
				if c != nil {
					t.Errorf("Parse returned a config with an error")
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v (%T) holds no *Error", err, err)
				}
				if errs, ok := err.(Errors); !ok || len(errs) != 1 {
					t.Errorf("got %d errors, want exactly one:\n%v", len(errs), err)
				}
				if e.File != "case."+format || e.Line != tt.line || e.Key != tt.key {
					t.Errorf("got file, line, key = %q, %d, %q; want %q, %d, %q\n(error: %v)",
						e.File, e.Line, e.Key, "case."+format, tt.line, tt.key, e)
				}
				if !errors.Is(err, tt.kind) {
					t.Errorf("error %v is not %v", err, tt.kind)
				}
			})
		}
	}
	t.Run("yaml", func(t *testing.T) { run(t, "yaml", yamlErrorCases) })
	t.Run("toml", func(t *testing.T) { run(t, "toml", tomlErrorCases) })
}

// yamlValidCases are YAML configs faed accepts. nutcrackerRejects marks the
// ones where faed is deliberately more lenient (docs/config.md lists them).
var yamlValidCases = []struct {
	name              string
	text              string
	nutcrackerRejects bool
}{
	{name: "every key", text: yamlPoolText("  listen: 127.0.0.1:40001\n  hash: murmur\n  hash_tag: \"{}\"\n" +
		"  distribution: random\n  timeout: 400\n  backlog: 1024\n  client_connections: 100\n  redis: true\n" +
		"  tcpkeepalive: true\n  redis_auth: secret\n  redis_db: 3\n  preconnect: true\n  auto_eject_hosts: true\n" +
		"  server_connections: 2\n  server_retry_timeout: 2000\n  server_failure_limit: 3\n" + yServers)},
	{name: "ipv6 without brackets", text: yamlPoolText("  listen: ::1:40001\n  servers:\n   - ::1:6379:1\n")},
	{name: "unix sockets", text: yamlPoolText("  listen: /tmp/fae-test.sock 0600\n  servers:\n   - /tmp/redis.sock:1 r\n")},
	{name: "flow sequence", text: yamlPoolText(yListen + "  servers: [127.0.0.1:6379:1]\n"), nutcrackerRejects: true},
	{name: "ipv6 in brackets", text: yamlPoolText("  listen: \"[::1]:40001\"\n" + yServers), nutcrackerRejects: true},
	{name: "listen on all addresses", text: yamlPoolText("  listen: :40001\n" + yServers), nutcrackerRejects: true},
	{name: "listen on a free port", text: yamlPoolText("  listen: 127.0.0.1:0\n" + yServers), nutcrackerRejects: true},
	{name: "two spaces before a name", text: yamlPoolText(yListen + "  servers:\n   - 127.0.0.1:6379:1  s\n"), nutcrackerRejects: true},
	{name: "anchor", text: yamlPoolText("  listen: &l 127.0.0.1:40001\n" + yServers), nutcrackerRejects: true},
}

// TestNutcrackerAgrees runs the YAML cases through nutcracker -t: it must
// reject the error cases and accept the valid ones, except where faed is
// deliberately stricter or more lenient.
func TestNutcrackerAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nutcracker")
	}
	bin := testkit.Need(t, "nutcracker", "nutcracker")
	dir := t.TempDir()
	check := func(t *testing.T, text string, wantOK bool) {
		t.Helper()
		path := filepath.Join(dir, strings.NewReplacer(" ", "_", "/", "_").Replace(t.Name())+".yml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-t", "-c", path).CombinedOutput()
		if gotOK := err == nil; gotOK != wantOK {
			t.Errorf("nutcracker -t accepted = %v, want %v:\n%s\n%s", gotOK, wantOK, text, out)
		}
	}
	for _, tt := range yamlErrorCases {
		t.Run(tt.name, func(t *testing.T) { check(t, tt.text, tt.nutcrackerAccepts) })
	}
	for _, tt := range yamlValidCases {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.text), "valid.yml", "yaml"); err != nil {
				t.Fatalf("faed rejects it: %v", err)
			}
			check(t, tt.text, !tt.nutcrackerRejects)
		})
	}
	t.Run("examples/nutcracker.yml", func(t *testing.T) {
		text, err := os.ReadFile("../examples/nutcracker.yml")
		if err != nil {
			t.Fatal(err)
		}
		check(t, string(text), true)
	})
}

func TestManyErrorsInFileOrder(t *testing.T) {
	text := "a:\n  listen: 127.0.0.1:40001\n  hash: nope\n  bogus: 1\n  servers:\n   - 127.0.0.1:6379:0\n" +
		"b:\n  listen: 127.0.0.1:40001\n  servers:\n   - 127.0.0.1:6380:1\n"
	_, err := Parse([]byte(text), "many.yml", "yaml")
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse error %v is not Errors", err)
	}
	type where struct {
		line int
		key  string
	}
	want := []where{{3, "a.hash"}, {4, "a.bogus"}, {6, "a.servers"}, {8, "b.listen"}}
	var got []where
	for _, e := range errs {
		var ce *Error
		if !errors.As(e, &ce) {
			t.Fatalf("element %v (%T) is not an *Error", e, e)
		}
		got = append(got, where{ce.Line, ce.Key})
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors %v, want %v:\n%v", len(got), got, want, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("error %d at %v, want %v", i, got[i], want[i])
		}
	}
}

func TestValidateBuiltInCode(t *testing.T) {
	good := func() *Config {
		c := Default()
		c.Pools = append(c.Pools, Pool{
			Name: "mc", Listen: "127.0.0.1:22122", Protocol: ProtocolMemcache, Hash: "md5",
			Distribution: "modula", ServerConnections: 1,
			Servers: []Server{{Addr: "127.0.0.1:11211", Host: "127.0.0.1", Port: 11211, Weight: 1}},
		})
		return c
	}
	tests := []struct {
		name   string
		change func(c *Config)
		key    string
	}{
		{"valid", func(*Config) {}, ""},
		{"no pools", func(c *Config) { c.Pools = nil }, "pools"},
		{"duplicate name", func(c *Config) { c.Pools[4].Name = "default" }, "pools.default"},
		{"listen mode on tcp", func(c *Config) { c.Pools[4].ListenMode = 0o600 }, "pools.mc.listen"},
		{"weight 0", func(c *Config) { c.Pools[4].Servers[0].Weight = 0 }, "pools.mc.servers"},
		{"no host", func(c *Config) { c.Pools[4].Servers[0].Host = "" }, "pools.mc.servers"},
		{"protocol", func(c *Config) { c.Pools[4].Protocol = "" }, "pools.mc.protocol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.change(c)
			err := c.Validate()
			if tt.key == "" && tt.name == "valid" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Validate() = %v, want an *Error", err)
			}
			if e.Key != tt.key || e.File != "" {
				t.Errorf("got file %q key %q, want no file and key %q (%v)", e.File, e.Key, tt.key, e)
			}
		})
	}
}
