package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"
)

// memcacheSessionSeeds are client byte streams for the memcache front:
// classic and meta commands, pipelines of forwarded, split, local and
// refused requests, quiet and noreply requests, bad numbers, bad data
// chunks, too large and never-ending values, long lines.
var memcacheSessionSeeds = []string{
	"version\r\n",
	"set k 0 0 5\r\nhello\r\nget k\r\ngets k nope k\r\n",
	"set a 1 0 1\r\nx\r\nset b 2 100 2\r\nyz\r\nget a b c a\r\ngat 100 a b\r\ngats 0 a\r\n",
	"add k 0 0 1\r\nx\r\nreplace k 0 0 1\r\ny\r\nappend k 0 0 1\r\nz\r\nprepend k 0 0 1\r\nw\r\ncas k 0 0 1 1\r\nv\r\n",
	"set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 100\r\nincr n 18446744073709551615\r\ntouch n 10\r\ndelete n\r\ndelete n 0\r\n",
	"set q 0 0 1 noreply\r\nx\r\nincr q 1 noreply\r\ndelete q noreply\r\nflush_all noreply\r\nget q\r\n",
	"mg k v f t s k c O123 q\r\nms k 3 T0 F5 c k q\r\nabc\r\nmd k q\r\nma n N0 J5 v q\r\nmn\r\nme k\r\n",
	"ms aGVsbG8= 5 b\r\nhello\r\nmg aGVsbG8= b v k\r\nget hello\r\nmg !!! b v\r\n",
	"flush_all\r\nflush_all 0\r\nflush_all x\r\nverbosity 1\r\nstats\r\nstats reset\r\nstats items\r\nshutdown\r\n",
	"bogus\r\nGET k\r\n\r\n\n   \r\nget\r\ngat 10\r\nset k 0 0\r\nincr k\r\nmg\r\nms k\r\n",
	"set k abc 0 1\r\nx\r\nset k 0 x 1\r\nx\r\nset k 0 0 -1\r\nx\r\ncas k 0 0 1 x\r\nx\r\nincr k x\r\ntouch k x\r\n",
	"set k 0 0 3\r\nabcdef\r\nset k 0 0 1\r\nx\nset k 0 0 1 noreply\r\nxyz\r\nms k 2 q\r\nabcd\r\nget k\r\n",
	"get " + strings.Repeat("k", 251) + "\r\nset " + strings.Repeat("k", 251) + " 0 0 1\r\nx\r\nmg " + strings.Repeat("k", 251) + " v\r\n",
	"mg k v v\r\nmg k z\r\nmg k q q v\r\nms k 1 q q\r\nx\r\nma k Dx\r\nmd k" + strings.Repeat(" v", 20) + "\r\n",
	"set big 0 0 2000000\r\n" + strings.Repeat("x", 5000), "set big 0 0 99999999999\r\n", "ms big 2147483646\r\nx\r\n",
	"set k 0 0 1048576\r\n" + strings.Repeat("z", 1048576) + "\r\nget k\r\n",
	"get " + strings.Repeat("k ", 3000) + "\r\n", strings.Repeat("x", 5000), "set " + strings.Repeat("k", 5000),
	"get a\x00 b\r\ndelete a\x00x\r\nset c\rd 0 0 1\r\nx\r\nget c\rd\r\n",
	"version\r\nquit\r\nversion\r\n", "get k\r\nquit now\r\n",
}

// FuzzMemcacheSession writes each input to faed's memcache front over one
// memcached, in two writes split at a random point, then half-closes. faed
// must close the connection, and stay up with its connection to memcached
// in step: a new client gets its version and reads back what it stored.
func FuzzMemcacheSession(f *testing.F) {
	for i, s := range memcacheSessionSeeds {
		f.Add([]byte(s), uint16(i*7))
	}
	addr := startMemcacheFuzzProxy(f)
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		fuzzSession(t, addr, data, int(split))
		probeMemcache(t, addr)
	})
}

// startMemcacheFuzzProxy starts a memcached and faed with a memcache pool
// in front of it, for the life of the fuzz target.
func startMemcacheFuzzProxy(f *testing.F) string {
	f.Helper()
	m := testkit.StartMemcached(f)
	toml := fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nprotocol = \"memcache\"\nservers = [\"%s:1\"]\ntimeout = \"1s\"\n", m.Addr)
	return serve(f, parse(f, toml), nil).Addr("p").String()
}

// probeMemcache checks on a new connection that faed answers and that its
// server connection still pairs each request with its own reply. It
// flushes first: that also cancels a delayed flush_all of the input, which
// would flush what the probe stores.
func probeMemcache(t *testing.T, addr string) {
	t.Helper()
	c := mcDial(t, addr)
	if got := c.roundTrip("version\r\n", "\r\n"); !strings.HasPrefix(got, "VERSION 1.6.0-fae-") {
		t.Fatalf("version: got %q", got)
	}
	c.expect("flush_all\r\n", "OK\r\n")
	v := fmt.Sprintf("probe-%d", time.Now().UnixNano())
	c.expect(fmt.Sprintf("set fuzz:probe 7 0 %d\r\n%s\r\nget fuzz:probe nope\r\n", len(v), v),
		fmt.Sprintf("STORED\r\nVALUE fuzz:probe 7 %d\r\n%s\r\nEND\r\n", len(v), v))
	c.expect("mg fuzz:probe s v\r\n", fmt.Sprintf("VA %d s%d\r\n%s\r\n", len(v), len(v), v))
}

// FuzzMemcacheChainSession is FuzzMemcacheSession against a memcache tier
// chain (lcache in front of kvdb): faed must close the connection and stay
// up, and a new client still stores and reads back a value.
func FuzzMemcacheChainSession(f *testing.F) {
	for i, s := range memcacheSessionSeeds {
		f.Add([]byte(s), uint16(i*7))
	}
	addr := serve(f, parse(f, chainFuzzTOML("memcache", f.TempDir())), nil).Addr("p").String()
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		fuzzSession(t, addr, data, int(split))
		c := mcDial(t, addr)
		v := fmt.Sprintf("probe-%d", time.Now().UnixNano())
		c.expect(fmt.Sprintf("set fuzz:probe 0 0 %d\r\n%s\r\nget fuzz:probe nope\r\n", len(v), v),
			fmt.Sprintf("STORED\r\nVALUE fuzz:probe 0 %d\r\n%s\r\nEND\r\n", len(v), v))
	})
}
