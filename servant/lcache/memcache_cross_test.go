package lcache

import (
	"strconv"
	"testing"
	"time"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

func bulkOf(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// crossScripts mix redis commands ("R ...") with memcache ones on the same
// keys: values, TTLs and cas uniques are shared.
var crossScripts = []mscript{
	{name: "memcache set, redis reads", lcacheOnly: true, steps: []mstep{
		mv("set k 5 0", "hello", stored),
		m("R GET k", bulkOf("hello")),
		m("R STRLEN k", ":5\r\n"),
		m("R TTL k", ":-1\r\n"),
		mv("set t 0 1000", "v", stored),
		m("R TTL t", ":1000\r\n"),
		mv("set t 0 4102444800", "v", stored), // 2100-01-01, absolute
		m("R TYPE t", "+string\r\n"),
		mv("set t 0 -1", "v", stored),
		m("R EXISTS t", ":0\r\n"),
	}},
	{name: "redis set, memcache reads", lcacheOnly: true, steps: []mstep{
		mv("set k 5 0", "old", stored),
		m("R SET k new", "+OK\r\n"),
		m("gets k", value("k", 0, "new", 2)+end),
		mv("cas k 1 0 1", "x", exists),
		m("R SET k newer KEEPTTL", "+OK\r\n"),
		mv("cas k 1 0 2", "x", exists),
		mv("cas k 1 0 3", "x", stored),
		m("R MSET k m1 j m2", "+OK\r\n"),
		m("gets k j", value("k", 0, "m1", 5)+value("j", 0, "m2", 6)+end),
	}},
	{name: "redis ttl commands and gat share the deadline", lcacheOnly: true, steps: []mstep{
		m("R SET k v", "+OK\r\n"),
		m("R EXPIRE k 100", ":1\r\n"),
		m("gats 0 k", value("k", 0, "v", 1)+end),
		m("R TTL k", ":-1\r\n"),
		m("touch k 200", "TOUCHED\r\n"),
		m("R TTL k", ":200\r\n"),
		m("R PERSIST k", ":1\r\n"),
		m("gat 300 k", value("k", 0, "v")+end),
		m("R TTL k", ":300\r\n"),
		m("R GETEX k PERSIST", bulkOf("v")),
		m("gets k", value("k", 0, "v", 1)+end),
		m("R EXPIRE k -1", ":1\r\n"),
		m("get k", end),
		m("touch k 10", notFound),
	}},
	{name: "redis changes keep memcache flags", lcacheOnly: true, steps: []mstep{
		mv("set k 7 0", "10", stored),
		m("R APPEND k 0", ":3\r\n"),
		m("gets k", value("k", 7, "100", 2)+end),
		m("R INCR k", ":101\r\n"),
		m("R INCRBYFLOAT k 0.5", bulkOf("101.5")),
		m("R SETRANGE k 0 2", ":5\r\n"),
		m("gets k", value("k", 7, "201.5", 5)+end),
		m("R GETDEL k", bulkOf("201.5")),
		m("get k", end),
	}},
	{name: "memcache changes on redis values", lcacheOnly: true, steps: []mstep{
		m("R SET n 10 EX 1000", "+OK\r\n"),
		m("decr n 1", "9\r\n"),
		m("R GET n", bulkOf("9 ")),
		m("R INCR n", "-ERR value is not an integer or out of range\r\n"),
		m("R TTL n", ":1000\r\n"),
		mv("append n 3 0", "x", stored),
		m("get n", value("n", 0, "9 x")+end),
		m("R TTL n", ":1000\r\n"),
		m("delete n", "DELETED\r\n"),
		m("R EXISTS n", ":0\r\n"),
	}},
	{name: "flushes", lcacheOnly: true, steps: []mstep{
		mv("set a 0 0", "1", stored),
		m("R SET b 2", "+OK\r\n"),
		m("flush_all", "OK\r\n"),
		m("R MGET a b", "*2\r\n$-1\r\n$-1\r\n"),
		m("R DBSIZE", ":0\r\n"),
		mv("set a 0 0", "1", stored),
		m("R FLUSHDB", "+OK\r\n"),
		m("get a", end),
		m("flush_all 1", "OK\r\n"),
		m("R SET c 3", "+OK\r\n"),
		m("R GET c", "$-1\r\n"),
	}},
}

func TestMemcacheCrossProtocol(t *testing.T) {
	runMScripts(t, crossScripts)
}

// TestMemcacheExpiry checks real expiry: a relative exptime of 1 s lasts
// exactly one second, and redis sees it go too.
func TestMemcacheExpiry(t *testing.T) {
	c := newTestCache(t, Config{})
	setAt := time.Now().UnixMilli()
	if got := runStep(c, mv("set k 0 1", "v", "")); got != stored {
		t.Fatalf("set: got %q, want %q", got, stored)
	}
	setDone := time.Now().UnixMilli()
	got := runStep(c, m("R PTTL k", ""))
	if pttl, ok := kvtest.ReplyInt([]byte(got)); !ok || pttl > 999 || pttl < 999-(time.Now().UnixMilli()-setAt) {
		t.Errorf("PTTL right after set k 0 1: got %q, want 999 less the time since", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		before := time.Now().UnixMilli()
		got := runStep(c, m("get k", ""))
		if got == end {
			break
		}
		if before >= setDone+1000 {
			t.Fatalf("get at +%d ms: got %q, want the key gone at +1000 ms", before-setAt, got)
		}
		if time.Now().After(deadline) {
			t.Fatal("key with exptime 1 still there after 5 s")
		}
		time.Sleep(5 * time.Millisecond) // poll interval, bounded by the deadline
	}
	if gone := time.Now().UnixMilli() - setAt; gone < 999 {
		t.Fatalf("key with exptime 1 gone after %d ms, want 1 s", gone)
	}
	for _, st := range []mstep{
		m("R EXISTS k", ":0\r\n"),
		m("touch k 100", notFound),
		m("incr k 1", notFound),
		mv("add k 0 0", "w", stored),
	} {
		if got := runStep(c, st); got != st.want {
			t.Errorf("after expiry, %q: got %q, want %q", st.line, got, st.want)
		}
	}
}

// TestMemcacheDelayedFlush checks flush_all with a delay: items stay until
// the delay less one second has passed, then everything stored before the
// delay's end is gone, as in memcached.
func TestMemcacheDelayedFlush(t *testing.T) {
	c := newTestCache(t, Config{})
	runStep(c, mv("set a 0 0", "1", ""))
	flushAt := time.Now().UnixMilli()
	if got := runStep(c, m("flush_all 2", "")); got != "OK\r\n" {
		t.Fatalf("flush_all 2: got %q", got)
	}
	flushDone := time.Now().UnixMilli()
	deadline := time.Now().Add(5 * time.Second)
	for {
		before := time.Now().UnixMilli()
		got := runStep(c, m("get a", ""))
		if got == end {
			break
		}
		if before >= flushDone+1000 {
			t.Fatalf("get at +%d ms: got %q, want the flush done at +1000 ms", before-flushAt, got)
		}
		if time.Now().After(deadline) {
			t.Fatal("flush_all 2 did nothing in 5 s")
		}
		time.Sleep(5 * time.Millisecond) // poll interval, bounded by the deadline
	}
	if done := time.Now().UnixMilli() - flushAt; done < 999 {
		t.Fatalf("flush_all 2 took effect after %d ms, want 1 s", done)
	}
	// Until 2 s after the command, writes are flushed as they are made.
	before := time.Now().UnixMilli()
	runStep(c, mv("set b 0 0", "2", ""))
	got := runStep(c, m("get b", ""))
	if time.Now().UnixMilli() < flushAt+1990 && got != end {
		t.Fatalf("get b set at +%d ms: got %q, want it flushed until +2000 ms", before-flushAt, got)
	}
	for {
		runStep(c, mv("set b 0 0", "2", ""))
		if runStep(c, m("get b", "")) != end {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes still discarded 5 s after flush_all 2")
		}
		time.Sleep(5 * time.Millisecond) // poll interval, bounded by the deadline
	}
	if at := time.Now().UnixMilli() - flushAt; at < 1999 {
		t.Fatalf("writes kept again after %d ms, want 2 s", at)
	}
}

// TestMemcacheFlushReplaced checks that each flush_all replaces a pending
// one, and that one at an absolute time before the cache started (memcached:
// before the process started) flushes nothing.
func TestMemcacheFlushReplaced(t *testing.T) {
	c := newTestCache(t, Config{})
	runStep(c, mv("set a 0 0", "1", ""))
	future := strconv.FormatInt(time.Now().Unix()+100, 10)
	for _, st := range []mstep{
		m("flush_all "+future, "OK\r\n"),
		m("get a", value("a", 0, "1")+end),
		m("flush_all 1000000000", "OK\r\n"),
		m("get a", value("a", 0, "1")+end),
	} {
		if got := runStep(c, st); got != st.want {
			t.Fatalf("%q: got %q, want %q", st.line, got, st.want)
		}
	}
	if at := c.eng.FlushAt(); at != 0 {
		t.Fatalf("flush pending at %d after flush_all 1000000000, want none", at)
	}
	runStep(c, m("flush_all 100", ""))
	if at, want := c.eng.FlushAt(), time.Now().UnixMilli()+99_000; at < want-1000 || at > want {
		t.Fatalf("flush_all 100 pending at %d, want about %d", at, want)
	}
	runStep(c, m("flush_all 0", ""))
	if at := c.eng.FlushAt(); at != 0 {
		t.Fatalf("flush pending at %d after flush_all 0, want none", at)
	}
}
