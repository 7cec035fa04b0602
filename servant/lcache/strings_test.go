package lcache

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

func TestSet(t *testing.T) {
	future := strconv.FormatInt(time.Now().Unix()+100, 10)
	futureMs := strconv.FormatInt(time.Now().UnixMilli()+100000, 10)
	runScripts(t, []script{
		{"plain", []exchange{
			x("+OK\r\n", "SET", "k", "v"),
			x("$1\r\nv\r\n", "GET", "k"),
			x("+OK\r\n", "SET", "k", ""),
			x("$0\r\n\r\n", "GET", "k"),
			x("+OK\r\n", "SET", "bin\x00key", "a\r\nb"),
			x("$4\r\na\r\nb\r\n", "GET", "bin\x00key"),
			x("$-1\r\n", "GET", "missing"),
		}},
		{"NX and XX", []exchange{
			x("$-1\r\n", "SET", "k", "v", "XX"),
			x("+OK\r\n", "SET", "k", "v", "NX"),
			x("$-1\r\n", "SET", "k", "w", "nx"),
			x("+OK\r\n", "SET", "k", "w", "xx"),
			x("+OK\r\n", "SET", "k", "w2", "XX", "XX"),
			x("$2\r\nw2\r\n", "GET", "k"),
			x("-ERR syntax error\r\n", "SET", "k", "v", "NX", "XX"),
			x("-ERR syntax error\r\n", "SET", "k", "v", "xx", "nx"),
		}},
		{"GET option", []exchange{
			x("$-1\r\n", "SET", "k", "v", "GET"),
			x("$1\r\nv\r\n", "SET", "k", "w", "GET"),
			x("$1\r\nw\r\n", "SET", "k", "z", "GET", "NX"),
			x("$1\r\nw\r\n", "GET", "k"),
			x("$-1\r\n", "SET", "n", "v", "NX", "GET"),
			x("$1\r\nv\r\n", "GET", "n"),
			x("$-1\r\n", "SET", "x", "v", "XX", "GET"),
			x("$-1\r\n", "GET", "x"),
			x("$1\r\nw\r\n", "SET", "k", "v", "get", "get"),
		}},
		{"expire options", []exchange{
			x("+OK\r\n", "SET", "k", "v", "EX", "100"),
			x(":100\r\n", "TTL", "k"),
			x("+OK\r\n", "SET", "k", "v", "PX", "100000"),
			x(":100\r\n", "TTL", "k"),
			x("+OK\r\n", "SET", "k", "v", "EXAT", future),
			x("+OK\r\n", "SET", "k", "v", "PXAT", futureMs),
			x(":100\r\n", "TTL", "k"),
			x("+OK\r\n", "SET", "k", "v", "ex", "10", "ex", "100"),
			x(":100\r\n", "TTL", "k"),
			x("+OK\r\n", "SET", "k", "w"),
			x(":-1\r\n", "TTL", "k"),
			x("+OK\r\n", "SET", "k", "v", "EXAT", "1"),
			x("$-1\r\n", "GET", "k"),
			x(":0\r\n", "EXISTS", "k"),
			x("+OK\r\n", "SET", "k", "v", "PXAT", "9223372036854775807"),
			x(":-2\r\n", "TTL", "missing"),
		}},
		{"KEEPTTL", []exchange{
			x("+OK\r\n", "SET", "k", "v", "EX", "100"),
			x("+OK\r\n", "SET", "k", "w", "KEEPTTL"),
			x(":100\r\n", "TTL", "k"),
			x("$1\r\nw\r\n", "SET", "k", "z", "keepttl", "get"),
			x(":100\r\n", "TTL", "k"),
			x("+OK\r\n", "SET", "new", "v", "KEEPTTL"),
			x(":-1\r\n", "TTL", "new"),
		}},
		{"syntax errors", []exchange{
			x("-ERR syntax error\r\n", "SET", "k", "v", "foo"),
			x("-ERR syntax error\r\n", "SET", "k", "v", "EX"),
			x("-ERR syntax error\r\n", "SET", "k", "v", "EX", "10", "PX", "10"),
			x("-ERR syntax error\r\n", "SET", "k", "v", "PX", "10", "EXAT", "10"),
			x("-ERR syntax error\r\n", "SET", "k", "v", "KEEPTTL", "EX", "10"),
			x("-ERR syntax error\r\n", "SET", "k", "v", "EX", "10", "KEEPTTL"),
			x("-ERR syntax error\r\n", "SET", "k", "v", "PERSIST"),
			x("-ERR syntax error\r\n", "SET", "k", "v", "EX", "abc", "foo"),
			x("-ERR syntax error\r\n", "SET", "k", "v", "NXX"),
			x("$-1\r\n", "GET", "k"),
		}},
		{"option names are C strings", []exchange{
			x("+OK\r\n", "SET", "k", "v", "nx\x00junk"),
			x("+OK\r\n", "SET", "k", "v", "EX\x00", "100"),
			x(":100\r\n", "TTL", "k"),
		}},
		{"expire time errors", []exchange{
			x("-ERR value is not an integer or out of range\r\n", "SET", "k", "v", "EX", "abc"),
			x("-ERR value is not an integer or out of range\r\n", "SET", "k", "v", "EX", "10\x00"),
			x("-ERR value is not an integer or out of range\r\n", "SET", "k", "v", "PX", "1.5"),
			x("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EX", "0"),
			x("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "PX", "-1"),
			x("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EXAT", "0"),
			x("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "PXAT", "0"),
			x("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "PX", "9223372036854775807"),
			x("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EX", "9223372036854775"),
			x("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EX", "9223372036854776"),
			x("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", "EXAT", "9223372036854775807"),
			x("$-1\r\n", "GET", "k"),
			x("+OK\r\n", "SET", "k", "v", "EX", "9223372036854"),
		}},
	})
}

func TestGetdelMgetMset(t *testing.T) {
	runScripts(t, []script{
		{"GETDEL", []exchange{
			x("$-1\r\n", "GETDEL", "k"),
			x("+OK\r\n", "SET", "k", "v", "EX", "100"),
			x("$1\r\nv\r\n", "GETDEL", "k"),
			x("$-1\r\n", "GETDEL", "k"),
			x(":-2\r\n", "TTL", "k"),
		}},
		{"MGET", []exchange{
			x("+OK\r\n", "MSET", "a", "1", "b", "2"),
			x("*4\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n$1\r\n1\r\n", "MGET", "a", "x", "b", "a"),
			x("*1\r\n$-1\r\n", "MGET", "x"),
		}},
		{"MSET", []exchange{
			x("-ERR wrong number of arguments for 'mset' command\r\n", "MSET", "a", "1", "b"),
			x("$-1\r\n", "GET", "a"),
			x("+OK\r\n", "SET", "a", "0", "EX", "100"),
			x("+OK\r\n", "MSET", "a", "1", "a", "2"),
			x("$1\r\n2\r\n", "GET", "a"),
			x(":-1\r\n", "TTL", "a"),
		}},
		{"MSETNX", []exchange{
			x("-ERR wrong number of arguments for 'msetnx' command\r\n", "MSETNX", "a", "1", "b"),
			x(":1\r\n", "MSETNX", "a", "1", "b", "2", "a", "3"),
			x("$1\r\n3\r\n", "GET", "a"),
			x(":0\r\n", "MSETNX", "c", "1", "b", "9"),
			x("$-1\r\n", "GET", "c"),
			x("$1\r\n2\r\n", "GET", "b"),
		}},
	})
}

func TestAppendStrlen(t *testing.T) {
	runScripts(t, []script{
		{"APPEND", []exchange{
			x(":3\r\n", "APPEND", "k", "abc"),
			x(":6\r\n", "APPEND", "k", "def"),
			x(":6\r\n", "APPEND", "k", ""),
			x("$6\r\nabcdef\r\n", "GET", "k"),
			x(":0\r\n", "APPEND", "e", ""),
			x(":1\r\n", "EXISTS", "e"),
			x("+OK\r\n", "SET", "n", "5", "EX", "100"),
			x(":2\r\n", "APPEND", "n", "0"),
			x(":51\r\n", "INCR", "n"),
			x(":100\r\n", "TTL", "n"),
		}},
		{"STRLEN", []exchange{
			x(":0\r\n", "STRLEN", "k"),
			x("+OK\r\n", "SET", "k", "hello"),
			x(":5\r\n", "STRLEN", "k"),
		}},
	})
}

// TestAppendKeepsEarlierValues checks that growing a value in place never
// changes a value that was read before, nor one stored under another key.
func TestAppendKeepsEarlierValues(t *testing.T) {
	c := newTestCache(t, Config{})
	var held []entry
	want := ""
	for i := range 100 {
		d := strconv.Itoa(i % 10)
		c.Do(nil, kvtest.ToArgs([]string{"APPEND", "k", d}))
		want += d
		e, _ := c.lookup([]byte("k"))
		held = append(held, e)
		if i == 50 {
			c.Do(nil, kvtest.ToArgs([]string{"GETDEL", "k"}))
			want = ""
		}
	}
	for i, e := range held {
		var w string
		if i <= 50 {
			w = strings.Repeat("0123456789", 6)[:i+1]
		} else {
			w = strings.Repeat("0123456789", 10)[51 : i+1]
		}
		if string(e.Val) != w {
			t.Fatalf("value read after APPEND %d is now %q, want %q", i+1, e.Val, w)
		}
	}
	if got := string(c.Do(nil, kvtest.ToArgs([]string{"GET", "k"}))); got != "$49\r\n"+want+"\r\n" {
		t.Fatalf("GET k = %q, want %q", got, want)
	}
}

func TestGetrange(t *testing.T) {
	runScripts(t, []script{
		{"indexes", []exchange{
			x("$0\r\n\r\n", "GETRANGE", "missing", "0", "-1"),
			x("+OK\r\n", "SET", "s", "hello"),
			x("$5\r\nhello\r\n", "GETRANGE", "s", "0", "-1"),
			x("$3\r\nllo\r\n", "GETRANGE", "s", "-3", "-1"),
			x("$0\r\n\r\n", "GETRANGE", "s", "-1", "-3"),
			x("$0\r\n\r\n", "GETRANGE", "s", "3", "1"),
			x("$5\r\nhello\r\n", "GETRANGE", "s", "-100", "100"),
			x("$0\r\n\r\n", "GETRANGE", "s", "9223372036854775807", "-9223372036854775808"),
			x("$5\r\nhello\r\n", "GETRANGE", "s", "-9223372036854775808", "9223372036854775807"),
			x("$0\r\n\r\n", "GETRANGE", "s", "5", "5"),
			x("$1\r\no\r\n", "GETRANGE", "s", "4", "4"),
			x("$1\r\nh\r\n", "GETRANGE", "s", "-10", "-5"),
			x("+OK\r\n", "SET", "e", ""),
			x("$0\r\n\r\n", "GETRANGE", "e", "0", "-1"),
			x("$0\r\n\r\n", "GETRANGE", "e", "-1", "0"),
		}},
		{"errors", []exchange{
			x("-ERR value is not an integer or out of range\r\n", "GETRANGE", "k", "a", "0"),
			x("-ERR value is not an integer or out of range\r\n", "GETRANGE", "k", "0", "a"),
			x("-ERR value is not an integer or out of range\r\n", "GETRANGE", "k", "0", "9223372036854775808"),
		}},
	})
}

func TestSetrange(t *testing.T) {
	runScripts(t, []script{
		{"new key", []exchange{
			x(":0\r\n", "SETRANGE", "k", "5", ""),
			x(":0\r\n", "EXISTS", "k"),
			x(":5\r\n", "SETRANGE", "k", "3", "ab"),
			x("$5\r\n\x00\x00\x00ab\r\n", "GET", "k"),
		}},
		{"existing key", []exchange{
			x("+OK\r\n", "SET", "k", "hello", "EX", "100"),
			x(":5\r\n", "SETRANGE", "k", "0", "J"),
			x(":7\r\n", "SETRANGE", "k", "5", "!!"),
			x(":9\r\n", "SETRANGE", "k", "8", "?"),
			x("$9\r\nJello!!\x00?\r\n", "GET", "k"),
			x(":9\r\n", "SETRANGE", "k", "9223372036854775807", ""),
			x(":100\r\n", "TTL", "k"),
		}},
		{"errors", []exchange{
			x("-ERR offset is out of range\r\n", "SETRANGE", "k", "-1", "x"),
			x("-ERR value is not an integer or out of range\r\n", "SETRANGE", "k", "abc", "x"),
			x("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "SETRANGE", "k", "536870912", "x"),
			x("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "SETRANGE", "k", "9223372036854775807", "x"),
			x(":0\r\n", "SETRANGE", "k", "536870912", ""),
			x("+OK\r\n", "SET", "k", "v"),
			x("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "SETRANGE", "k", "536870912", "x"),
		}},
	})
}

func TestOversizedValue(t *testing.T) {
	big := strings.Repeat("x", 2000)
	c := newTestCache(t, Config{MaxMemory: 1000})
	for _, tt := range []exchange{
		x("-OOM command not allowed when used memory > 'maxmemory'.\r\n", "SET", "k", big),
		x("-OOM command not allowed when used memory > 'maxmemory'.\r\n", "MSET", "a", "1", "k", big),
		x("$-1\r\n", "GET", "a"),
		x("-OOM command not allowed when used memory > 'maxmemory'.\r\n", "SETRANGE", "k", "100000", "x"),
		x("-OOM command not allowed when used memory > 'maxmemory'.\r\n", "APPEND", "k", big),
		x("+OK\r\n", "SET", "k", "small"),
		x("-OOM command not allowed when used memory > 'maxmemory'.\r\n", "APPEND", "k", big),
		x("$5\r\nsmall\r\n", "GET", "k"),
	} {
		if got := string(c.Do(nil, kvtest.ToArgs(tt.args))); got != tt.want {
			t.Errorf("%s: got %q, want %q", kvtest.QuoteArgs(kvtest.ToArgs(tt.args)), got, tt.want)
		}
	}
}
