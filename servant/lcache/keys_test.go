package lcache

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

func TestKeyCommands(t *testing.T) {
	runScripts(t, []script{
		{"DEL and EXISTS", []exchange{
			x("+OK\r\n", "MSET", "a", "1", "b", "2"),
			x(":4\r\n", "EXISTS", "a", "a", "a", "nope", "b"),
			x(":1\r\n", "EXISTS", "b"),
			x(":0\r\n", "EXISTS", "nope"),
			x(":2\r\n", "DEL", "a", "a", "nope", "b"),
			x(":0\r\n", "DEL", "a"),
			x(":0\r\n", "EXISTS", "a", "b"),
		}},
		{"TYPE", []exchange{
			x("+none\r\n", "TYPE", "k"),
			x("+OK\r\n", "SET", "k", "1"),
			x("+string\r\n", "TYPE", "k"),
		}},
		{"DBSIZE and FLUSHDB", []exchange{
			x(":0\r\n", "DBSIZE"),
			x("+OK\r\n", "MSET", "a", "1", "b", "2", "c", "3"),
			x(":3\r\n", "DBSIZE"),
			x("-ERR syntax error\r\n", "FLUSHDB", "foo"),
			x("-ERR syntax error\r\n", "FLUSHDB", "async", "sync"),
			x(":3\r\n", "DBSIZE"),
			x("+OK\r\n", "FLUSHDB"),
			x(":0\r\n", "DBSIZE"),
			x("+OK\r\n", "SET", "a", "1"),
			x("+OK\r\n", "FLUSHDB", "ASYNC"),
			x("+OK\r\n", "FLUSHDB", "sync"),
			x("+OK\r\n", "FLUSHDB", "async\x00"),
			x("$-1\r\n", "GET", "a"),
		}},
		{"PING and ECHO", []exchange{
			x("+PONG\r\n", "PING"),
			x("$5\r\nhello\r\n", "ping", "hello"),
			x("-ERR wrong number of arguments for 'ping' command\r\n", "PING", "a", "b"),
			x("$3\r\na\r\n\r\n", "ECHO", "a\r\n"),
			x("-ERR wrong number of arguments for 'echo' command\r\n", "ECHO"),
			x("-ERR wrong number of arguments for 'echo' command\r\n", "ECHO", "a", "b"),
		}},
	})
}

// FuzzDo feeds arbitrary commands to a Cache: it must never panic, and must
// always append exactly one well-formed reply.
func FuzzDo(f *testing.F) {
	f.Add([]byte("SET\x00k\x00v\x00EX\x00100"))
	f.Add([]byte("INCRBYFLOAT\x00k\x000x1p-2"))
	f.Add([]byte("GETRANGE\x00k\x00-3\x00-1"))
	f.Add([]byte("EXPIRE\x00k\x0010\x00nx\x00gt"))
	c, err := New(Config{MaxMemory: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	f.Fuzz(func(t *testing.T, in []byte) {
		args := bytes.Split(in, []byte{0})
		for _, a := range args {
			if len(a) > 1000 {
				return // keep SETRANGE offsets and values small
			}
		}
		if len(args) >= 3 && bytes.EqualFold(args[0], []byte("setrange")) && len(args[2]) > 4 {
			return
		}
		out := c.Do(nil, args)
		r := bufio.NewReader(bytes.NewReader(out))
		if _, err := readReply(r); err != nil {
			t.Fatalf("reply %q to %s is malformed: %v", out, kvtest.QuoteArgs(args), err)
		}
		if r.Buffered() != 0 {
			t.Fatalf("reply %q to %s has trailing bytes", out, kvtest.QuoteArgs(args))
		}
	})
}
