package proxy

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/config"
	"github.com/fae-dev/fae/testkit"
)

// mcPool starts n memcached and faed with a memcache pool over them.
func mcPool(t *testing.T, n int, extra string) (*Server, string, []*testkit.Process) {
	t.Helper()
	var ms []*testkit.Process
	var parts []string
	for i := 0; i < n; i++ {
		m := testkit.StartMemcached(t)
		ms = append(ms, m)
		parts = append(parts, fmt.Sprintf("%q", m.Addr+":1"))
	}
	cfg := fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nprotocol = \"memcache\"\nhash = \"md5\"\nservers = [%s]\n%s\n",
		strings.Join(parts, ","), extra)
	srv, addr := startProxy(t, cfg)
	return srv, addr, ms
}

// mcClient speaks raw memcache text.
type mcClient struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func mcDial(t *testing.T, addr string) *mcClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &mcClient{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// roundTrip writes req and reads until the reply ends with one of ends (or
// exactly n lines when ends is empty).
func (c *mcClient) roundTrip(req string, end string) string {
	c.t.Helper()
	_ = c.nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write([]byte(req)); err != nil {
		c.t.Fatal(err)
	}
	var b strings.Builder
	for !strings.HasSuffix(b.String(), end) {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("%q: read: %v (so far %q)", req, err, b.String())
		}
		b.WriteString(line)
	}
	return b.String()
}

func (c *mcClient) expect(req, want string) {
	c.t.Helper()
	if got := c.roundTrip(req, want[strings.LastIndex(want[:len(want)-2], "\n")+1:]); got != want {
		c.t.Errorf("%q: got %q, want %q", short(req), short(got), short(want))
	}
}

// short cuts a string for a failure message.
func short(s string) string {
	if len(s) > 200 {
		return s[:200] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

func TestMemcacheFront(t *testing.T) {
	_, addr, ms := mcPool(t, 3, "")
	c := mcDial(t, addr)
	var keys []string
	for i := 0; i < 30; i++ {
		k := fmt.Sprintf("mk%d", i)
		keys = append(keys, k)
		c.expect(fmt.Sprintf("set %s %d 0 %d\r\nv%s\r\n", k, i, len(k)+1, k), "STORED\r\n")
	}
	// spread over every server
	for i, m := range ms {
		d := mcDial(t, m.Addr)
		if got := d.roundTrip("stats\r\n", "END\r\n"); strings.Contains(got, "STAT curr_items 0\r\n") {
			t.Errorf("memcached %d holds no item", i)
		}
	}
	// multi-get in key order with misses and a repeat
	req := "get mk7 nope mk0 mk29 mk7 mk15\r\n"
	want := "VALUE mk7 7 4\r\nvmk7\r\nVALUE mk0 0 4\r\nvmk0\r\nVALUE mk29 29 5\r\nvmk29\r\nVALUE mk7 7 4\r\nvmk7\r\nVALUE mk15 15 5\r\nvmk15\r\nEND\r\n"
	c.expect(req, want)
	// gets carries cas uniques; cas with the right one stores
	got := c.roundTrip("gets mk3\r\n", "END\r\n")
	var cas uint64
	fmt.Sscanf(strings.Fields(got)[4], "%d", &cas)
	c.expect(fmt.Sprintf("cas mk3 0 0 1 %d\r\nx\r\n", cas), "STORED\r\n")
	c.expect(fmt.Sprintf("cas mk3 0 0 1 %d\r\ny\r\n", cas), "EXISTS\r\n")
	c.expect("incr n 1\r\n", "NOT_FOUND\r\n")
	c.expect("set n 0 0 2\r\n10\r\n", "STORED\r\n")
	c.expect("incr n 5\r\n", "15\r\n")
	c.expect("decr n 20\r\n", "0\r\n")
	c.expect("touch n 100\r\n", "TOUCHED\r\n")
	c.expect("append n 0 0 1\r\n7\r\n", "STORED\r\n")
	c.expect("get n\r\n", "VALUE n 0 3\r\n0 7\r\nEND\r\n") // decr keeps the length, space-padded
	c.expect("delete n\r\n", "DELETED\r\n")
	c.expect("delete n\r\n", "NOT_FOUND\r\n")
	// noreply in a pipeline: no output, no desynchronisation
	c.expect("set q1 0 0 1 noreply\r\na\r\nset q2 0 0 1 noreply\r\nb\r\nincr q1 1 noreply\r\ndelete nope noreply\r\nget q1 q2\r\n",
		"VALUE q1 0 1\r\na\r\nVALUE q2 0 1\r\nb\r\nEND\r\n")
	// meta: quiet mode drops nominal replies, mn ends the batch
	c.expect("mg nope v q\r\nms mq 1 q\r\nz\r\nmg mq v q\r\nmn\r\n", "VA 1\r\nz\r\nMN\r\n")
	c.expect("mg mq v Oabc\r\n", "VA 1 Oabc\r\nz\r\n")
	// local commands
	if got := c.roundTrip("version\r\n", "\r\n"); !strings.HasPrefix(got, "VERSION 1.6.0-fae-") {
		t.Errorf("version: got %q", got)
	}
	c.expect("verbosity 1\r\n", "OK\r\n")
	if got := c.roundTrip("stats\r\n", "END\r\n"); !strings.Contains(got, "STAT cmd_get ") || !strings.Contains(got, "STAT servers 3\r\n") {
		t.Errorf("stats: got %q", got)
	}
	// bad input gets memcached's answers; the connection stays usable
	c.expect("bogus\r\n", "ERROR\r\n")
	c.expect("get "+strings.Repeat("k", 251)+"\r\n", "CLIENT_ERROR bad command line format\r\n")
	// memcached consumes the line and 1+2 bytes; the "\r\n" left is an empty command
	c.expect("set x 0 0 1\r\nabc\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n")
	c.expect("set big 0 0 2000000\r\n"+strings.Repeat("x", 2000000)+"\r\nget mk1\r\n",
		"SERVER_ERROR object too large for cache\r\nVALUE mk1 1 4\r\nvmk1\r\nEND\r\n")
	// a too large set drops the old value, as memcached does
	c.expect("set old 0 0 1\r\nv\r\n", "STORED\r\n")
	c.expect("set old 0 0 2000000\r\n"+strings.Repeat("y", 2000000)+"\r\nget old\r\n",
		"SERVER_ERROR object too large for cache\r\nEND\r\n")
	// two q flags: memcached's own refusal, nothing stored
	c.expect("ms dq 1 q q\r\nx\r\nmg dq v\r\n", "CLIENT_ERROR duplicate flag\r\nEN\r\n")
	// flush_all reaches every server
	c.expect("flush_all\r\n", "OK\r\n")
	c.expect("get mk1 mk2 mk3 mk4 mk5\r\n", "END\r\n")
	c.nc.Write([]byte("quit\r\n"))
	_ = c.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if b, err := c.r.ReadByte(); err == nil {
		t.Errorf("quit: read %q, want the connection closed", b)
	}
}

// When one server is down, a multi-get returns the other servers' hits.
func TestMemcacheServerDown(t *testing.T) {
	srv, addr, ms := mcPool(t, 3, `timeout = "300ms"`)
	c := mcDial(t, addr)
	var keys []string
	for i := 0; i < 30; i++ {
		k := fmt.Sprintf("d%d", i)
		keys = append(keys, k)
		c.expect(fmt.Sprintf("set %s 0 0 1\r\nx\r\n", k), "STORED\r\n")
	}
	ms[1].Kill()
	got := c.roundTrip("get "+strings.Join(keys, " ")+"\r\n", "END\r\n")
	hits := strings.Count(got, "VALUE ")
	if hits == 0 || hits == len(keys) {
		t.Errorf("got %d hits of %d with one server of three down; want the others' keys", hits, len(keys))
	}
	if n := srv.Pool("p").stats.failedKeys.Load(); n != int64(len(keys)-hits) {
		t.Errorf("failed keys counted: %d, want %d", n, len(keys)-hits)
	}
	if got := c.roundTrip("set d0 0 0 1\r\ny\r\nset d1 0 0 1\r\ny\r\nset d2 0 0 1\r\ny\r\n", "\r\n"); got == "" {
		t.Error("no reply")
	}
}

// The built-in default serves one chain, lcache then kvdb, over Redis and
// memcache: what one protocol writes the other reads, and it survives a
// restart.
func TestDefaultChainBothProtocols(t *testing.T) {
	dir := t.TempDir()
	start := func() *Server {
		cfg := config.Default(dir)
		cfg.Pools[0].Listen, cfg.Pools[1].Listen = "127.0.0.1:0", "127.0.0.1:0"
		return serve(t, cfg, nil)
	}
	srv := start()
	r := dial(t, srv.Addr("default").String())
	m := mcDial(t, srv.Addr("memcache").String())
	r.expect("+OK\r\n", "SET", "greeting", "hello")
	m.expect("get greeting\r\n", "VALUE greeting 0 5\r\nhello\r\nEND\r\n")
	m.expect("set fromm 7 0 3\r\nabc\r\n", "STORED\r\n")
	r.expect(bulk("abc"), "GET", "fromm")
	m.expect("get a b greeting\r\n", "VALUE greeting 0 5\r\nhello\r\nEND\r\n")
	m.expect("incr counter 1\r\n", "SERVER_ERROR fae: 'incr' is not supported on a tier chain (get, gets, set, delete)\r\n")
	srv.Close()
	srv = start()
	dial(t, srv.Addr("default").String()).expect(bulk("hello"), "GET", "greeting")
}

func startMemcachedAddr(t *testing.T) string { return testkit.StartMemcached(t).Addr }
