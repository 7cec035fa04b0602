package lcache

import (
	"strconv"
	"testing"
	"time"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

func TestExpireCommands(t *testing.T) {
	inSec := func(d int64) string { return strconv.FormatInt(time.Now().Unix()+d, 10) }
	inMs := func(d int64) string { return strconv.FormatInt(time.Now().UnixMilli()+d, 10) }
	runScripts(t, []script{
		{"missing key", []exchange{
			x(":0\r\n", "EXPIRE", "k", "10"),
			x(":0\r\n", "PEXPIRE", "k", "-9223372036854775808"),
			x(":0\r\n", "PEXPIREAT", "k", "9223372036854775807"),
			x(":-2\r\n", "TTL", "k"),
			x(":-2\r\n", "PTTL", "k"),
			x(":0\r\n", "PERSIST", "k"),
		}},
		{"each unit", []exchange{
			x("+OK\r\n", "SET", "k", "v"),
			x(":-1\r\n", "TTL", "k"),
			x(":1\r\n", "EXPIRE", "k", "100"),
			x(":100\r\n", "TTL", "k"),
			x(":1\r\n", "PEXPIRE", "k", "200000"),
			x(":200\r\n", "TTL", "k"),
			x(":1\r\n", "EXPIREAT", "k", inSec(300)),
			x(":1\r\n", "PEXPIREAT", "k", inMs(400000)),
			x(":400\r\n", "TTL", "k"),
			x(":1\r\n", "PERSIST", "k"),
			x(":0\r\n", "PERSIST", "k"),
			x(":-1\r\n", "TTL", "k"),
		}},
		{"past deadline deletes", []exchange{
			x("+OK\r\n", "MSET", "a", "1", "b", "2", "c", "3", "d", "4"),
			x(":1\r\n", "EXPIRE", "a", "0"),
			x(":1\r\n", "PEXPIRE", "b", "-9223372036854775808"),
			x(":1\r\n", "EXPIREAT", "c", "1"),
			x(":1\r\n", "PEXPIREAT", "d", inMs(-1000)),
			x(":0\r\n", "EXISTS", "a", "b", "c", "d"),
			x(":0\r\n", "DBSIZE"),
		}},
		{"NX XX GT LT", []exchange{
			x("+OK\r\n", "SET", "k", "v"),
			x(":0\r\n", "EXPIRE", "k", "100", "xx"),
			x(":0\r\n", "EXPIRE", "k", "100", "gt"),
			x(":1\r\n", "EXPIRE", "k", "100", "lt"),
			x(":0\r\n", "EXPIRE", "k", "100", "nx"),
			x(":1\r\n", "EXPIRE", "k", "200", "gt"),
			x(":0\r\n", "EXPIRE", "k", "300", "LT"),
			x(":1\r\n", "EXPIRE", "k", "50", "Lt"),
			x(":50\r\n", "TTL", "k"),
			x(":1\r\n", "EXPIRE", "k", "60", "xx", "gt"),
			x(":60\r\n", "TTL", "k"),
			x(":1\r\n", "PERSIST", "k"),
			x(":1\r\n", "EXPIRE", "k", "100", "nx\x00junk", "nx"),
			x(":100\r\n", "TTL", "k"),
			x(":0\r\n", "EXPIRE", "k", "-1", "gt"),
			x(":1\r\n", "EXPIRE", "k", "-1", "lt"),
			x(":0\r\n", "EXISTS", "k"),
		}},
		{"option errors", []exchange{
			x("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "EXPIRE", "k", "10", "nx", "xx"),
			x("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "PEXPIRE", "k", "10", "NX", "GT"),
			x("-ERR GT and LT options at the same time are not compatible\r\n", "EXPIREAT", "k", "10", "gt", "lt"),
			x("-ERR GT and LT options at the same time are not compatible\r\n", "EXPIRE", "k", "10", "xx", "gt", "lt"),
			x("-ERR Unsupported option foo\r\n", "EXPIRE", "k", "10", "foo"),
			x("-ERR Unsupported option foo\r\n", "EXPIRE", "k", "abc", "foo"),
			x("-ERR Unsupported option foo\r\n", "EXPIRE", "k", "10", "foo\x00zz"),
			x("-ERR Unsupported option \r\n", "EXPIRE", "k", "10", "\r\n"),
			x("-ERR Unsupported option a b\r\n", "EXPIRE", "k", "10", "a\nb\r\n"),
		}},
		{"time errors", []exchange{
			x("-ERR value is not an integer or out of range\r\n", "EXPIRE", "k", "abc"),
			x("-ERR value is not an integer or out of range\r\n", "PEXPIRE", "k", ""),
			x("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "k", "9223372036854775807"),
			x("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "k", "-9223372036854775808"),
			x("-ERR invalid expire time in 'pexpire' command\r\n", "PEXPIRE", "k", "9223372036854775807"),
			x("-ERR invalid expire time in 'expireat' command\r\n", "EXPIREAT", "k", "9223372036854775807"),
			x("-ERR GT and LT options at the same time are not compatible\r\n", "PEXPIREAT", "k", "1", "xx", "XX", "lt", "gt"),
		}},
	})
}

func TestGetex(t *testing.T) {
	runScripts(t, []script{
		{"options", []exchange{
			x("$-1\r\n", "GETEX", "k"),
			x("+OK\r\n", "SET", "k", "v"),
			x("$1\r\nv\r\n", "GETEX", "k"),
			x(":-1\r\n", "TTL", "k"),
			x("$1\r\nv\r\n", "GETEX", "k", "EX", "100"),
			x(":100\r\n", "TTL", "k"),
			x("$1\r\nv\r\n", "GETEX", "k", "px", "200000"),
			x(":200\r\n", "TTL", "k"),
			x("$1\r\nv\r\n", "GETEX", "k", "EXAT", strconv.FormatInt(time.Now().Unix()+300, 10)),
			x("$1\r\nv\r\n", "GETEX", "k", "PXAT", strconv.FormatInt(time.Now().UnixMilli()+400000, 10)),
			x(":400\r\n", "TTL", "k"),
			x("$1\r\nv\r\n", "GETEX", "k", "PERSIST"),
			x(":-1\r\n", "TTL", "k"),
			x("$1\r\nv\r\n", "GETEX", "k", "persist\x00"),
			x("$1\r\nv\r\n", "GETEX", "k", "EXAT", "1"),
			x(":0\r\n", "EXISTS", "k"),
		}},
		{"errors", []exchange{
			x("-ERR syntax error\r\n", "GETEX", "k", "foo"),
			x("$-1\r\n", "GETEX", "k", "EX", "abc"),
			x("$-1\r\n", "GETEX", "k", "EX", "0"),
			x("+OK\r\n", "SET", "k", "v"),
			x("-ERR syntax error\r\n", "GETEX", "k", "NX"),
			x("-ERR syntax error\r\n", "GETEX", "k", "GET"),
			x("-ERR syntax error\r\n", "GETEX", "k", "KEEPTTL"),
			x("-ERR syntax error\r\n", "GETEX", "k", "PERSIST", "EX", "10"),
			x("-ERR syntax error\r\n", "GETEX", "k", "EX", "10", "PERSIST"),
			x("-ERR syntax error\r\n", "GETEX", "k", "EX"),
			x("-ERR value is not an integer or out of range\r\n", "GETEX", "k", "EX", "abc"),
			x("-ERR invalid expire time in 'getex' command\r\n", "GETEX", "k", "EX", "0"),
			x("-ERR invalid expire time in 'getex' command\r\n", "GETEX", "k", "EXAT", "9223372036854775807"),
			x(":-1\r\n", "TTL", "k"),
		}},
	})
}

func TestPTTL(t *testing.T) {
	c := newTestCache(t, Config{})
	c.Do(nil, kvtest.ToArgs([]string{"SET", "k", "v", "PX", "100000"}))
	got, ok := kvtest.ReplyInt(c.Do(nil, kvtest.ToArgs([]string{"PTTL", "k"})))
	if !ok || got > 100000 || got < 99000 {
		t.Fatalf("PTTL right after PX 100000 = %d, want within (99000, 100000]", got)
	}
}

// TestExpiry sets a short TTL and polls until the key is gone. From the
// moment the deadline has passed the key must be invisible to every command,
// whether or not otter has removed it yet; otter must reclaim it later.
func TestExpiry(t *testing.T) {
	c := newTestCache(t, Config{})
	setAt := time.Now().UnixMilli()
	c.Do(nil, kvtest.ToArgs([]string{"SET", "k", "5", "PX", "50"}))
	deadline := time.Now().Add(5 * time.Second)
	for {
		before := time.Now().UnixMilli()
		got := string(c.Do(nil, kvtest.ToArgs([]string{"GET", "k"})))
		if got == "$-1\r\n" {
			break
		}
		if before > setAt+50+1 {
			t.Fatalf("GET at +%d ms = %q, want the key expired at +50 ms", before-setAt, got)
		}
		if time.Now().After(deadline) {
			t.Fatal("key with PX 50 still there after 5 s")
		}
		time.Sleep(time.Millisecond) // poll interval, bounded by the deadline
	}
	for _, tt := range []exchange{
		x(":0\r\n", "EXISTS", "k"),
		x(":-2\r\n", "TTL", "k"),
		x(":-2\r\n", "PTTL", "k"),
		x(":0\r\n", "STRLEN", "k"),
		x("$0\r\n\r\n", "GETRANGE", "k", "0", "-1"),
		x("+none\r\n", "TYPE", "k"),
		x(":0\r\n", "PERSIST", "k"),
		x(":0\r\n", "EXPIRE", "k", "100"),
		x("$-1\r\n", "GETDEL", "k"),
		x("$-1\r\n", "GETEX", "k", "PERSIST"),
		x("$-1\r\n", "SET", "k", "v", "XX"),
		x("*1\r\n$-1\r\n", "MGET", "k"),
		x(":0\r\n", "DEL", "k"),
	} {
		if got := string(c.Do(nil, kvtest.ToArgs(tt.args))); got != tt.want {
			t.Errorf("after expiry, %s = %q, want %q", kvtest.QuoteArgs(kvtest.ToArgs(tt.args)), got, tt.want)
		}
	}
	c.Do(nil, kvtest.ToArgs([]string{"SET", "k", "5", "PX", "20"}))
	for c.store.EstimatedSize() != 0 {
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatalf("otter still holds %d entries after their TTL", c.store.EstimatedSize())
		}
		time.Sleep(10 * time.Millisecond) // poll interval, bounded by the deadline
	}
}

// TestExpiryThenWrite checks that writes see an expired key as absent.
func TestExpiryThenWrite(t *testing.T) {
	c := newTestCache(t, Config{})
	for _, cmd := range [][]string{
		{"SET", "a", "5", "PX", "1"},
		{"SET", "b", "5", "PX", "1"},
		{"SET", "c", "5", "PX", "1"},
		{"SET", "d", "5", "PX", "1"},
	} {
		c.Do(nil, kvtest.ToArgs(cmd))
	}
	deadline := time.Now().Add(5 * time.Second)
	for string(c.Do(nil, kvtest.ToArgs([]string{"EXISTS", "a", "b", "c", "d"}))) != ":0\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("keys with PX 1 still there after 5 s")
		}
		time.Sleep(time.Millisecond) // poll interval, bounded by the deadline
	}
	for _, tt := range []exchange{
		x(":1\r\n", "INCR", "a"),
		x(":1\r\n", "APPEND", "b", "x"),
		x(":1\r\n", "MSETNX", "c", "1"),
		x("$-1\r\n", "SET", "d", "v", "GET"),
		x(":-1\r\n", "TTL", "a"),
		x(":-1\r\n", "TTL", "b"),
	} {
		if got := string(c.Do(nil, kvtest.ToArgs(tt.args))); got != tt.want {
			t.Errorf("%s = %q, want %q", kvtest.QuoteArgs(kvtest.ToArgs(tt.args)), got, tt.want)
		}
	}
}
