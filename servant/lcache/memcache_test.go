package lcache

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

// mstep is one request and the exact reply it must get. line is a memcache
// command line in mcLine's form, or a redis command after "R ".
type mstep struct {
	line, value, want string
}

// m builds a memcache step without a data block.
func m(line, want string) mstep { return mstep{line: line, want: want} }

// mv builds a memcache step with a data block.
func mv(line, value, want string) mstep { return mstep{line: line, value: value, want: want} }

// mscript is a named sequence of steps run against a fresh Cache. Unless
// lcacheOnly, the same steps also run against memcached (TestMemcacheScripts
// AgainstMemcached), whose replies must match but for cas uniques.
type mscript struct {
	name       string
	lcacheOnly bool
	steps      []mstep
}

// runStep executes st on c and returns the reply.
func runStep(c *Cache, st mstep) string {
	if cmd, ok := strings.CutPrefix(st.line, "R "); ok {
		return string(c.Do(nil, kvtest.ToArgs(strings.Split(cmd, " "))))
	}
	return string(c.DoMemcache(nil, mcLine(st.line, st.value)))
}

func runMScripts(t *testing.T, scripts []mscript) {
	t.Helper()
	for _, sc := range scripts {
		t.Run(sc.name, func(t *testing.T) {
			c := newTestCache(t, Config{})
			for i, st := range sc.steps {
				if got := runStep(c, st); got != st.want {
					t.Fatalf("step %d %q: got %q, want %q", i+1, st.line, got, st.want)
				}
			}
		})
	}
}

// value returns the reply of a get hit on one key.
func value(key string, flags uint32, data string, cas ...uint64) string {
	s := "VALUE " + key + " " + strconv.FormatUint(uint64(flags), 10) + " " + strconv.Itoa(len(data))
	for _, c := range cas {
		s += " " + strconv.FormatUint(c, 10)
	}
	return s + "\r\n" + data + "\r\n"
}

const (
	stored    = "STORED\r\n"
	notStored = "NOT_STORED\r\n"
	exists    = "EXISTS\r\n"
	notFound  = "NOT_FOUND\r\n"
	end       = "END\r\n"
)

var (
	badKey = "CLIENT_ERROR bad command line format\r\n"
	nonNum = "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
	large  = "SERVER_ERROR object too large for cache\r\n"
)

// memcacheScripts are the exact-reply tests of the classic commands. The
// cas uniques are lcache's, which starts at 1 and counts every change.
var memcacheScripts = []mscript{
	{name: "set get gets", steps: []mstep{
		mv("set k 5 0", "hello", stored),
		m("get k", value("k", 5, "hello")+end),
		m("gets k", value("k", 5, "hello", 1)+end),
		m("get nope", end),
		m("get k nope k", value("k", 5, "hello")+value("k", 5, "hello")+end),
		mv("set e 4294967295 0", "", stored),
		m("gets e k", value("e", 4294967295, "", 2)+value("k", 5, "hello", 1)+end),
		mv("set k 0 0", "a\r\nb\x00c", stored),
		m("get k", value("k", 0, "a\r\nb\x00c")+end),
		mv("set "+kvtest.Key250+" 1 0", "v", stored),
		m("get "+kvtest.Key250, value(kvtest.Key250, 1, "v")+end),
	}},
	{name: "add and replace", steps: []mstep{
		mv("add k 1 0", "one", stored),
		mv("add k 2 0", "two", notStored),
		mv("replace nope 3 0", "x", notStored),
		mv("replace k 4 0", "four", stored),
		m("gets k", value("k", 4, "four", 2)+end),
	}},
	{name: "append and prepend keep flags and cas changes", steps: []mstep{
		mv("set k 9 0", "mid", stored),
		mv("append k 1 0", "end", stored),
		mv("prepend k 2 0", "pre", stored),
		m("gets k", value("k", 9, "premidend", 3)+end),
		mv("append nope 0 0", "x", notStored),
		mv("prepend nope 0 0", "x", notStored),
		mv("append k 0 0", "", stored),
		m("gets k", value("k", 9, "premidend", 4)+end),
	}},
	{name: "cas", steps: []mstep{
		mv("set k 0 0", "v1", stored),
		m("gets k", value("k", 0, "v1", 1)+end),
		mv("cas k 3 0 2", "x", exists),
		mv("cas k 3 0 0", "x", exists),
		mv("cas k 3 0 1", "v2", stored),
		mv("cas k 3 0 1", "v3", exists),
		m("gets k", value("k", 3, "v2", 2)+end),
		mv("cas nope 0 0 1", "x", notFound),
		mv("cas nope 0 0 0", "x", notFound),
		m("touch k 1000", "TOUCHED\r\n"),
		mv("cas k 4 0 2", "v4", stored),
		mv("add k 0 0", "x", notStored),
		m("gets k", value("k", 4, "v4", 3)+end),
	}},
	{name: "incr and decr", steps: []mstep{
		mv("set n 3 0", "100", stored),
		m("decr n 95", "5\r\n"),
		m("gets n", value("n", 3, "5  ", 2)+end),
		m("incr n 1000", "1005\r\n"),
		m("gets n", value("n", 3, "1005", 3)+end),
		m("decr n 5000", "0\r\n"),
		m("get n", value("n", 3, "0   ")+end),
		m("incr n 0", "0\r\n"),
		mv("set n 0 0", "18446744073709551615", stored),
		m("incr n 2", "1\r\n"),
		m("get n", value("n", 0, "1                   ")+end),
		m("incr n 18446744073709551615", "0\r\n"),
		m("incr nope 1", notFound),
		m("decr nope 1", notFound),
	}},
	{name: "incr reads values as strtoull", steps: []mstep{
		mv("set n 0 0", " \t+12", stored),
		m("incr n 1", "13\r\n"),
		mv("set n 0 0", "-0", stored),
		m("incr n 1", "1\r\n"),
		mv("set n 0 0", "-18446744073709551615", stored),
		m("incr n 1", "2\r\n"),
		mv("set n 0 0", "-1", stored),
		m("incr n 1", nonNum),
		mv("set n 0 0", "12\r\nab", stored),
		m("incr n 1", "13\r\n"),
		m("get n", value("n", 0, "13    ")+end),
		mv("set n 0 0", "7\x00x", stored),
		m("incr n 1", "8\r\n"),
		mv("set n 0 0", "12ab", stored),
		m("incr n 1", nonNum),
		mv("set n 0 0", "18446744073709551616", stored),
		m("incr n 1", nonNum),
		mv("set n 0 0", "0x5", stored),
		m("incr n 1", nonNum),
		mv("set n 0 0", "", stored),
		m("decr n 1", nonNum),
		mv("set n 0 0", "+", stored),
		m("decr n 1", nonNum),
		mv("set n 0 0", "1"+strings.Repeat(" ", 524228-1), stored),
		m("incr n 1", "2\r\n"),
		mv("set n 0 0", "1"+strings.Repeat(" ", 524229-1), stored),
		m("incr n 1", nonNum),
		mv("set n 1 0", "1"+strings.Repeat(" ", 524224-1), stored),
		m("incr n 1", "2\r\n"),
		mv("set n 1 0", "1"+strings.Repeat(" ", 524225-1), stored),
		m("incr n 1", nonNum),
	}},
	// memcached would read on past the value's CRLF, into whatever memory
	// follows the item.
	{name: "incr of white space", lcacheOnly: true, steps: []mstep{
		mv("set n 0 0", "  ", stored),
		m("decr n 1", nonNum),
		mv("set n 0 0", "\r\n", stored),
		m("incr n 1", nonNum),
	}},
	{name: "delete", steps: []mstep{
		mv("set k 0 0", "v", stored),
		m("delete k", "DELETED\r\n"),
		m("delete k", notFound),
		m("get k", end),
	}},
	{name: "touch and gat", steps: []mstep{
		mv("set k 7 0", "hi", stored),
		m("touch k 1000", "TOUCHED\r\n"),
		m("touch nope 1000", notFound),
		m("gat 1000 k nope k", value("k", 7, "hi")+value("k", 7, "hi")+end),
		m("gats 0 k", value("k", 7, "hi", 1)+end),
		m("gat 1000", end),
		m("gats 1000", end),
		m("gat -1 k", value("k", 7, "hi")+end),
		m("get k", end),
		mv("set k 7 0", "hi", stored),
		m("touch k -1", "TOUCHED\r\n"),
		m("touch k 10", notFound),
		mv("set k 7 0", "hi", stored),
		m("touch k 1000000000", "TOUCHED\r\n"),
		m("gat 10 k", end),
	}},
	{name: "exptime already passed", steps: []mstep{
		mv("set k 0 -1", "v", stored),
		m("get k", end),
		mv("set k 0 1000000000", "v", stored),
		m("get k", end),
		mv("set k 0 2592001", "v", stored),
		m("get k", end),
		mv("set k 0 2592000", "v", stored),
		m("get k", value("k", 0, "v")+end),
		mv("add k 0 -1", "w", notStored),
		m("get k", value("k", 0, "v")+end),
		mv("replace k 0 -1", "w", stored),
		m("get k", end),
		mv("add k 0 -1", "w", stored),
		m("get k", end),
	}},
	{name: "noreply", steps: []mstep{
		mv("set k 0 0 noreply", "5", ""),
		mv("add k 0 0 noreply", "5", ""),
		mv("replace nope 0 0 noreply", "5", ""),
		mv("append k 0 0 noreply", "0", ""),
		mv("prepend k 0 0 noreply", "1", ""),
		mv("cas k 0 0 999 noreply", "x", ""),
		m("incr k 1 noreply", ""),
		m("get k", value("k", 0, "151")+end),
		m("decr k 1 noreply", ""),
		m("touch k 1000 noreply", ""),
		m("touch nope 1000 noreply", ""),
		mv("set t 0 0", "x", stored),
		m("incr t 1 noreply", ""),
		m("incr "+kvtest.Key251+" 1 noreply", ""),
		m("delete t noreply", ""),
		m("delete t noreply", ""),
		m("get k t", value("k", 0, "150")+end),
		m("flush_all noreply", ""),
		m("get k", end),
	}},
	{name: "long keys", steps: []mstep{
		mv("set k 0 0", "v", stored),
		m("get "+kvtest.Key251, badKey),
		m("get k "+kvtest.Key251+" k", badKey),
		m("gets k "+kvtest.Key251, badKey),
		m("gat 100 k "+kvtest.Key251, badKey),
		m("touch "+kvtest.Key251+" 10", badKey),
		m("delete "+kvtest.Key251, badKey),
		m("incr "+kvtest.Key251+" 1", badKey),
		m("decr "+kvtest.Key251+" 1", badKey),
		m("get k", value("k", 0, "v")+end),
	}},
	{name: "item size limit", steps: []mstep{
		mv("set k 0 0", strings.Repeat("x", kvtest.MaxValue(1, false)), stored),
		mv("set k 1 0", strings.Repeat("x", kvtest.MaxValue(1, true)), stored),
		mv("set k 1 0", strings.Repeat("x", kvtest.MaxValue(1, true)+1), large),
		m("get k", end),
		mv("set k 0 0", "v", stored),
		mv("add k 0 0", strings.Repeat("x", kvtest.MaxValue(1, false)+1), large),
		mv("replace k 0 0", strings.Repeat("x", kvtest.MaxValue(1, false)+1), large),
		mv("cas k 0 0 1", strings.Repeat("x", kvtest.MaxValue(1, false)+1), large),
		mv("append k 0 0", strings.Repeat("x", kvtest.MaxValue(1, false)+1), large),
		m("get k", value("k", 0, "v")+end),
		mv("append k 0 0", strings.Repeat("x", kvtest.MaxValue(1, false)-1), stored),
		mv("append k 0 0", "y", notStored),
		mv("prepend k 0 0", "y", notStored),
		mv("set "+kvtest.Key250+" 0 0", strings.Repeat("x", kvtest.MaxValue(250, false)), stored),
		mv("set "+kvtest.Key250+" 0 0", strings.Repeat("x", kvtest.MaxValue(250, false)+1), large),
	}},
	{name: "flush_all", steps: []mstep{
		mv("set a 0 0", "1", stored),
		mv("set b 0 1000", "2", stored),
		m("flush_all", "OK\r\n"),
		m("get a b", end),
		mv("set a 0 0", "3", stored),
		m("get a", value("a", 0, "3")+end),
		m("flush_all 0", "OK\r\n"),
		m("get a", end),
		mv("set a 0 0", "4", stored),
		m("flush_all -1", "OK\r\n"),
		m("get a", end),
		mv("set a 0 0", "5", stored),
		m("flush_all 1000000", "OK\r\n"),
		m("get a", value("a", 0, "5")+end),
		m("flush_all", "OK\r\n"),
		m("get a", end),
	}},
	// memcached's window lasts to its next clock tick, which may come at
	// once: not for comparison.
	{name: "flush_all 1 discards the writes of the next second", lcacheOnly: true, steps: []mstep{
		mv("set a 0 0", "1", stored),
		m("flush_all 1", "OK\r\n"),
		m("get a", end),
		mv("set a 0 0", "2", stored),
		m("get a", end),
	}},
	{name: "malformed requests", lcacheOnly: true, steps: []mstep{
		m("version", "ERROR\r\n"),
		m("get", "ERROR\r\n"),
		m("gets", "ERROR\r\n"),
		m("touch", "ERROR\r\n"),
		m("delete", "ERROR\r\n"),
		m("incr", "ERROR\r\n"),
		m("mg", "ERROR\r\n"),
	}},
}

func TestMemcacheCommands(t *testing.T) {
	runMScripts(t, memcacheScripts)
}

// TestMemcacheBadRequests checks requests that no memcache parser produces.
func TestMemcacheBadRequests(t *testing.T) {
	c := newTestCache(t, Config{})
	k := [][]byte{[]byte("k")}
	for _, tc := range []struct {
		name string
		r    *MC
		want string
	}{
		{"flush_all with a key", &MC{Cmd: "flush_all", Keys: k}, "ERROR\r\n"},
		{"set of two keys", &MC{Cmd: "set", Keys: kvtest.ToArgs([]string{"a", "b"})}, "ERROR\r\n"},
		{"set without key", &MC{Cmd: "set", NoReply: true}, "ERROR\r\n"},
		{"unknown with noreply", &MC{Cmd: "verbosity", NoReply: true}, "ERROR\r\n"},
		{"name in upper case", &MC{Cmd: "GET", Keys: k}, "ERROR\r\n"},
		{"empty name", &MC{}, "ERROR\r\n"},
		{"ms of two keys", &MC{Cmd: "ms", Keys: kvtest.ToArgs([]string{"a", "b"})}, "ERROR\r\n"},
		{"empty meta flag", &MC{Cmd: "mg", Keys: k, Meta: [][]byte{{}}}, "CLIENT_ERROR invalid flag\r\n"},
		{"get with noreply", &MC{Cmd: "get", Keys: k, NoReply: true}, end},
	} {
		if got := string(c.DoMemcache(nil, tc.r)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	c.Close()
	if got, want := string(c.DoMemcache(nil, &MC{Cmd: "get", Keys: k})), "SERVER_ERROR lcache is closed\r\n"; got != want {
		t.Errorf("after Close: got %q, want %q", got, want)
	}
}

// TestMemcacheScriptsAgainstMemcached runs the scripts of the tests against
// memcached, so that every wanted reply is memcached's own.
func TestMemcacheScriptsAgainstMemcached(t *testing.T) {
	if testing.Short() {
		t.Skip("starts memcached")
	}
	mc := dialMemcached(t, startMemcached(t).Addr)
	for _, scripts := range [][]mscript{memcacheScripts, metaScripts, crossScripts} {
		for _, sc := range scripts {
			if sc.lcacheOnly {
				continue
			}
			mc.do(t, &MC{Cmd: "flush_all"})
			casOf := map[uint64]uint64{0: 0} // lcache's cas unique to memcached's
			for i, st := range sc.steps {
				if strings.HasPrefix(st.line, "R ") {
					t.Fatalf("%s: a script with redis steps must be lcacheOnly", sc.name)
				}
				r := mcLine(st.line, st.value)
				translateCas(r, casOf)
				got := mc.do(t, r)
				_, wantCas := kvtest.ReplyCas([]byte(st.want))
				_, gotCas := kvtest.ReplyCas(got)
				for j := range min(len(wantCas), len(gotCas)) {
					casOf[wantCas[j]] = gotCas[j]
				}
				if !sameMCReply(got, []byte(st.want)) {
					t.Errorf("%s, step %d %q: memcached says %q, the test wants %q",
						sc.name, i+1, st.line, got, st.want)
					break
				}
			}
		}
	}
}

// translateCas replaces the cas unique that r compares, one of lcache's, by
// memcached's for the same item, or by one memcached never gave out.
func translateCas(r *MC, casOf map[uint64]uint64) {
	tr := func(cas uint64) uint64 {
		if v, ok := casOf[cas]; ok {
			return v
		}
		return 1<<62 + cas
	}
	r.Cas = tr(r.Cas)
	for i, f := range r.Meta {
		if len(f) > 1 && f[0] == 'C' {
			if cas, err := strconv.ParseUint(string(f[1:]), 10, 64); err == nil {
				r.Meta[i] = strconv.AppendUint([]byte("C"), tr(cas), 10)
			}
		}
	}
}

// startMemcached starts the memcached that the tests compare with, with
// memory enough never to evict, and without the LRU maintainer thread: it
// holds a reference to an item for a while after a hit (an asynchronous LRU
// bump), and incr or decr then copy the item instead of rewriting it in
// place with padding, so that memcached's reply would depend on timing.
func startMemcached(t *testing.T) *testkit.Process {
	t.Helper()
	return testkit.StartMemcached(t, "-m", "1024", "-o", "no_lru_maintainer")
}

// mcConn is a text protocol connection to memcached.
type mcConn struct {
	conn net.Conn
	rd   *bufio.Reader
}

func dialMemcached(t testing.TB, addr string) *mcConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial memcached: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &mcConn{conn: conn, rd: bufio.NewReaderSize(conn, 1<<16)}
}

// do sends r followed by mn and returns everything memcached answered
// before MN: the whole reply to r, even when it is empty.
func (mc *mcConn) do(t testing.TB, r *MC) []byte {
	t.Helper()
	_ = mc.conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := mcWire(r)
	if r.Cmd != "mn" {
		req = append(req, "mn\r\n"...)
	}
	if _, err := mc.conn.Write(req); err != nil {
		t.Fatalf("write to memcached: %v", err)
	}
	reply, err := readMCUntil(mc.rd, "MN\r\n")
	if err != nil {
		t.Fatalf("read the reply of %q from memcached: %v (so far %q)", mcWire(r), err, reply)
	}
	if r.Cmd == "mn" {
		reply = append(reply, "MN\r\n"...)
	}
	return reply
}
