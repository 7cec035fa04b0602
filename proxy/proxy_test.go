package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"
)

func TestForwardSingleKey(t *testing.T) {
	rs := startRedises(t, 4)
	_, addr := startProxy(t, poolTOML(rs, `hash = "md5"`))
	c := dial(t, addr)
	for i := 0; i < 50; i++ {
		k, v := fmt.Sprintf("key:%d", i), fmt.Sprintf("value-%d", i)
		c.expect("+OK\r\n", "SET", k, v)
		c.expect(bulk(v), "GET", k)
	}
	c.expect(":3\r\n", "RPUSH", "list", "a", "b", "c")
	c.expect("*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "LRANGE", "list", "1", "-1")
	c.expect("$-1\r\n", "GET", "missing")
	// the keys are spread: every server holds some
	for i, r := range rs {
		d := dial(t, r.Addr)
		if got := d.do("DBSIZE"); got == ":0\r\n" {
			t.Errorf("server %d holds no key", i)
		}
	}
}

func TestPipelineOrder(t *testing.T) {
	rs := startRedises(t, 3)
	_, addr := startProxy(t, poolTOML(rs, ""))
	c := dial(t, addr)
	const n = 3000
	var req strings.Builder
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&req, "*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$%d\r\nv%d\r\n", len(fmt.Sprint(i))+1, i, len(fmt.Sprint(i))+1, i)
		case 1:
			fmt.Fprintf(&req, "*2\r\n$3\r\nGET\r\n$%d\r\nk%d\r\n", len(fmt.Sprint(i-1))+1, i-1)
		case 2:
			fmt.Fprintf(&req, "PING\r\n") // inline, answered locally
		}
	}
	go c.raw(req.String())
	for i := 0; i < n; i++ {
		var want string
		switch i % 3 {
		case 0:
			want = "+OK\r\n"
		case 1:
			want = bulk(fmt.Sprintf("v%d", i-1))
		case 2:
			want = "+PONG\r\n"
		}
		if got := c.read(); got != want {
			t.Fatalf("reply %d: got %q, want %q", i, got, want)
		}
	}
}

func TestMultiKeySplitMerge(t *testing.T) {
	rs := startRedises(t, 4)
	_, addr := startProxy(t, poolTOML(rs, ""))
	c := dial(t, addr)
	var mset []string
	var keys []string
	for i := 0; i < 40; i++ {
		k := fmt.Sprintf("mk:%d", i)
		keys = append(keys, k)
		mset = append(mset, k, "v"+k)
	}
	c.expect("+OK\r\n", append([]string{"MSET"}, mset...)...)
	// MGET in a shuffled order with a missing key and a repeat
	order := []string{keys[7], "nope", keys[0], keys[39], keys[7], keys[20]}
	want := "*6\r\n" + bulk("v"+keys[7]) + "$-1\r\n" + bulk("v"+keys[0]) + bulk("v"+keys[39]) + bulk("v"+keys[7]) + bulk("v"+keys[20])
	c.expect(want, append([]string{"MGET"}, order...)...)
	c.expect(":41\r\n", append([]string{"EXISTS", keys[0]}, keys...)...)
	c.expect(":3\r\n", "TOUCH", keys[1], keys[2], "none", keys[3])
	c.expect(":2\r\n", "UNLINK", keys[1], keys[2], "none")
	c.expect(":38\r\n", append([]string{"DEL"}, keys...)...)
	c.expect(":0\r\n", append([]string{"EXISTS"}, keys...)...)
	// keys were really spread: count servers that saw writes
	used := 0
	for _, r := range rs {
		d := dial(t, r.Addr)
		if !strings.Contains(d.do("INFO", "stats"), "total_commands_processed:0") {
			used++
		}
	}
	if used < 3 {
		t.Errorf("keys reached %d servers, want at least 3", used)
	}
}

func TestSameServerCommands(t *testing.T) {
	rs := startRedises(t, 4)
	_, addr := startProxy(t, poolTOML(rs, `hash_tag = "{}"`))
	c := dial(t, addr)
	c.expect("+OK\r\n", "SET", "{u1}a", "1")
	c.expect("+OK\r\n", "RENAME", "{u1}a", "{u1}b")
	c.expect(bulk("1"), "GET", "{u1}b")
	c.expect(":1\r\n", "EVAL", "return redis.call('EXISTS', KEYS[1])", "1", "{u1}b")
	// keys on different servers: find two that differ
	var a, b string
	for i := 0; i < 100 && b == ""; i++ {
		k := fmt.Sprintf("x%d", i)
		if i == 0 {
			a = k
			continue
		}
		c.do("SET", a, "1")
		if strings.HasPrefix(c.do("RENAME", a, k), "-CROSSSLOT") {
			b = k
		}
	}
	if b == "" {
		t.Fatal("found no two keys on different servers")
	}
	if got := c.do("RENAME", a, b); !strings.HasPrefix(got, "-CROSSSLOT keys of 'rename' live on different servers") {
		t.Errorf("got %q, want a CROSSSLOT error", got)
	}
	c.expect("+PONG\r\n", "PING") // connection still usable
}

func TestLocalAndUnsupported(t *testing.T) {
	rs := startRedises(t, 1)
	_, addr := startProxy(t, poolTOML(rs, ""))
	c := dial(t, addr)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ping", []string{"PING"}, "+PONG\r\n"},
		{"ping msg", []string{"ping", "hi"}, bulk("hi")},
		{"echo", []string{"ECHO", "x y"}, bulk("x y")},
		{"select 0", []string{"SELECT", "0"}, "+OK\r\n"},
		{"select 1", []string{"SELECT", "1"}, "-ERR fae pools serve only database 0 (set redis_db in the pool to choose the backend database)\r\n"},
		{"keys", []string{"KEYS", "*"}, ""},
		{"multi", []string{"MULTI"}, ""},
		{"subscribe", []string{"SUBSCRIBE", "ch"}, ""},
		{"blpop", []string{"BLPOP", "l", "0"}, ""},
		{"flushall", []string{"FLUSHALL"}, ""},
		{"unknown", []string{"NOSUCH", "a"}, "-ERR unknown command 'NOSUCH', with args beginning with: 'a' \r\n"},
		{"arity", []string{"GET"}, "-ERR wrong number of arguments for 'get' command\r\n"},
		{"auth without password", []string{"AUTH", "x"}, "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"},
		{"auth default user", []string{"AUTH", "default", "x"}, "+OK\r\n"},
		{"auth other user", []string{"AUTH", "bob", "x"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"auth syntax", []string{"AUTH", "a", "b", "c"}, "-ERR syntax error\r\n"},
		{"ping arity", []string{"PING", "a", "b"}, "-ERR wrong number of arguments for 'ping' command\r\n"},
		{"select +0", []string{"SELECT", "+0"}, "-ERR value is not an integer or out of range\r\n"},
		{"hello +2", []string{"HELLO", "+2"}, "-ERR Protocol version is not an integer or out of range\r\n"},
		{"client setname space", []string{"CLIENT", "SETNAME", "a b"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{"client getname arity", []string{"CLIENT", "GETNAME", "x"}, "-ERR wrong number of arguments for 'client|getname' command\r\n"},
		{"command count arity", []string{"COMMAND", "COUNT", "x"}, "-ERR wrong number of arguments for 'command|count' command\r\n"},
		{"client setname", []string{"CLIENT", "SETNAME", "w1"}, "+OK\r\n"},
		{"client getname", []string{"CLIENT", "GETNAME"}, bulk("w1")},
		{"hello 3", []string{"HELLO", "3"}, "-NOPROTO sorry, this protocol version is not supported\r\n"},
	} {
		got := c.do(tc.args...)
		if tc.want == "" {
			if !strings.HasPrefix(got, "-ERR fae does not support '"+strings.ToLower(tc.args[0])+"'") {
				t.Errorf("%s: got %q, want a fae does-not-support error", tc.name, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := c.do("COMMAND", "COUNT"); !strings.HasPrefix(got, ":2") {
		t.Errorf("COMMAND COUNT: got %q, want a count over 200", got)
	}
	if got := c.do("COMMAND", "INFO", "get"); !strings.HasPrefix(got, "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n") {
		t.Errorf("COMMAND INFO get: got %q", got)
	}
	if got := c.do("INFO"); !strings.Contains(got, "redis_version:") || !strings.Contains(got, "pool:p") {
		t.Errorf("INFO: got %q", got)
	}
	if got := c.do("HELLO", "2"); !strings.HasPrefix(got, "*14\r\n$6\r\nserver\r\n$3\r\nfae\r\n") {
		t.Errorf("HELLO 2: got %q", got)
	}
	c.expect("+OK\r\n", "QUIT")
	_ = c.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.r.ReadByte(); err == nil {
		t.Error("connection still open after QUIT")
	}
}

func TestInlineCommands(t *testing.T) {
	rs := startRedises(t, 2)
	_, addr := startProxy(t, poolTOML(rs, ""))
	c := dial(t, addr)
	c.raw("set inl \"a b\"\r\nget inl\r\n\r\nexists inl other\n")
	for _, want := range []string{"+OK\r\n", bulk("a b"), ":1\r\n"} {
		if got := c.read(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestProtocolErrorClosesOnlyThatClient(t *testing.T) {
	rs := startRedises(t, 1)
	_, addr := startProxy(t, poolTOML(rs, ""))
	good := dial(t, addr)
	good.expect("+OK\r\n", "SET", "k", "v")
	for _, tc := range []struct{ name, in, want string }{
		{"bad multibulk length", "*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"bad bulk length", "*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"expected dollar", "*1\r\n:5\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"},
		{"unbalanced quotes", "set \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
	} {
		bad := dial(t, addr)
		bad.expect("+PONG\r\n", "PING")
		bad.raw(tc.in)
		if got := bad.read(); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
		_ = bad.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := bad.r.ReadByte(); err == nil {
			t.Errorf("%s: connection not closed", tc.name)
		}
		good.expect(bulk("v"), "GET", "k")
	}
}

func TestAuth(t *testing.T) {
	rs := startRedises(t, 2, "--requirepass", "backpass")
	_, addr := startProxy(t, poolTOML(rs, `redis_auth = "backpass"`))
	c := dial(t, addr)
	c.expect("-NOAUTH Authentication required.\r\n", "GET", "a")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "nope")
	c.expect("+OK\r\n", "AUTH", "backpass")
	c.expect("+OK\r\n", "SET", "a", "1")
	c.expect(bulk("1"), "GET", "a")
}

func TestRedisDB(t *testing.T) {
	rs := startRedises(t, 1)
	_, addr := startProxy(t, poolTOML(rs, `redis_db = 3`))
	c := dial(t, addr)
	c.expect("+OK\r\n", "SET", "dbkey", "x")
	d := dial(t, rs[0].Addr)
	d.expect("$-1\r\n", "GET", "dbkey")
	d.expect("+OK\r\n", "SELECT", "3")
	d.expect(bulk("x"), "GET", "dbkey")
}

func TestUnixSockets(t *testing.T) {
	r := startRedises(t, 1)[0]
	sock := t.TempDir() + "/fae.sock"
	_, _ = startProxy(t, fmt.Sprintf("[pools.p]\nlisten = %q\nservers = [\"%s:1\"]\n", sock, r.Addr))
	c := dialUnix(t, sock)
	c.expect("+OK\r\n", "SET", "u", "1")
	c.expect(bulk("1"), "GET", "u")
}

func TestUnixBackend(t *testing.T) {
	r := testkit.StartRedisUnix(t)
	_, addr := startProxy(t, fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nservers = [\"%s:1\"]\n", r.Addr))
	c := dial(t, addr)
	c.expect("+OK\r\n", "SET", "u", "2")
	c.expect(bulk("2"), "GET", "u")
}
