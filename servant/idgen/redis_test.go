package idgen

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/fae-dev/fae/resp"
)

func toArgs(cmd ...string) [][]byte {
	args := make([][]byte, len(cmd))
	for i, a := range cmd {
		args[i] = []byte(a)
	}
	return args
}

// TestDo checks the exact reply to each command on a fresh Gen of worker 0
// whose clock reads 1 ms after the epoch, so that its IDs are 1<<22 =
// 4194304, 4194305 and so on.
func TestDo(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"incr", []string{"INCR", "id"}, ":4194304\r\n"},
		{"incr lower case", []string{"incr", "order:id"}, ":4194304\r\n"},
		{"get", []string{"GET", "id"}, "$7\r\n4194304\r\n"},
		{"get mixed case", []string{"gEt", "id"}, "$7\r\n4194304\r\n"},
		{"idgen", []string{"IDGEN"}, "*1\r\n:4194304\r\n"},
		{"idgen count", []string{"IDGEN", "COUNT", "3"}, "*3\r\n:4194304\r\n:4194305\r\n:4194306\r\n"},
		{"idgen count lower case", []string{"idgen", "count", "1"}, "*1\r\n:4194304\r\n"},
		{"idgen count 0", []string{"IDGEN", "COUNT", "0"}, "-ERR idgen: COUNT must be between 1 and 1000\r\n"},
		{"idgen count 1001", []string{"IDGEN", "COUNT", "1001"}, "-ERR idgen: COUNT must be between 1 and 1000\r\n"},
		{"idgen count negative", []string{"IDGEN", "COUNT", "-5"}, "-ERR idgen: COUNT must be between 1 and 1000\r\n"},
		{"idgen count not a number", []string{"IDGEN", "COUNT", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{"idgen count missing", []string{"IDGEN", "COUNT"}, "-ERR syntax error\r\n"},
		{"idgen unknown option", []string{"IDGEN", "FOO", "1"}, "-ERR syntax error\r\n"},
		{"idgen too many", []string{"IDGEN", "COUNT", "1", "X"}, "-ERR syntax error\r\n"},
		{"idgen decode", []string{"IDGEN", "DECODE", "4194304"}, "*3\r\n:1767225600001\r\n:0\r\n:0\r\n"},
		// 1000<<22 | 5<<12 | 7.
		{"idgen decode fields", []string{"idgen", "decode", "4194324487"}, "*3\r\n:1767225601000\r\n:5\r\n:7\r\n"},
		{"idgen decode negative", []string{"IDGEN", "DECODE", "-1"}, "-ERR value is not an integer or out of range\r\n"},
		{"idgen decode not a number", []string{"IDGEN", "DECODE", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{"idgen decode missing", []string{"IDGEN", "DECODE"}, "-ERR syntax error\r\n"},
		{"ping", []string{"PING"}, "+PONG\r\n"},
		{"ping message", []string{"ping", "hi"}, "$2\r\nhi\r\n"},
		{"ping arity", []string{"PING", "a", "b"}, "-ERR wrong number of arguments for 'ping' command\r\n"},
		{"incr no key", []string{"INCR"}, "-ERR wrong number of arguments for 'incr' command\r\n"},
		{"incr two keys", []string{"INCR", "a", "b"}, "-ERR wrong number of arguments for 'incr' command\r\n"},
		{"get no key", []string{"GET"}, "-ERR wrong number of arguments for 'get' command\r\n"},
		{"get two keys", []string{"get", "a", "b"}, "-ERR wrong number of arguments for 'get' command\r\n"},
		{"unsupported", []string{"SET", "k", "v"}, "-ERR idgen: unsupported command 'SET' (use INCR, GET or IDGEN)\r\n"},
		{"unsupported incrby", []string{"incrby", "k", "2"}, "-ERR idgen: unsupported command 'incrby' (use INCR, GET or IDGEN)\r\n"},
		{"unsupported long name", []string{strings.Repeat("x", 200)}, "-ERR idgen: unsupported command '" + strings.Repeat("x", 128) + "' (use INCR, GET or IDGEN)\r\n"},
		{"unsupported CRLF in name", []string{"a\r\nb"}, "-ERR idgen: unsupported command 'a  b' (use INCR, GET or IDGEN)\r\n"},
		{"empty", nil, "-ERR empty command\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := fakeGen(t, 0, 1)
			got := g.Do([]byte("prefix"), toArgs(tt.args...))
			if want := "prefix" + tt.want; string(got) != want {
				t.Fatalf("Do(%q) = %q, want %q", tt.args, got, want)
			}
		})
	}
}

func TestDoSequence(t *testing.T) {
	g, _ := fakeGen(t, 0, 1)
	var got []byte
	for _, cmd := range [][]string{{"INCR", "a"}, {"GET", "b"}, {"IDGEN", "COUNT", "2"}, {"INCR", "a"}} {
		got = g.Do(got, toArgs(cmd...))
	}
	const want = ":4194304\r\n$7\r\n4194305\r\n*2\r\n:4194306\r\n:4194307\r\n:4194308\r\n"
	if string(got) != want {
		t.Fatalf("replies %q, want %q", got, want)
	}
}

func TestDoCountMax(t *testing.T) {
	g, _ := fakeGen(t, 0, 1)
	got := g.Do(nil, toArgs("IDGEN", "COUNT", "1000"))
	elems, ok := resp.ArrayElems(got, nil)
	if !ok || len(elems) != MaxCount {
		t.Fatalf("IDGEN COUNT 1000: %d elements (ok %v), want 1000", len(elems), ok)
	}
	for i, e := range elems {
		if want := ":" + strconv.Itoa(1<<22+i) + "\r\n"; string(e) != want {
			t.Fatalf("element %d = %q, want %q", i, e, want)
		}
	}
}

func TestDoClockBackwards(t *testing.T) {
	const want = "-ERR idgen: clock moved backwards: 6s behind the last ID (limit 5s)\r\n"
	for _, cmd := range [][]string{{"INCR", "id"}, {"GET", "id"}, {"IDGEN"}, {"IDGEN", "COUNT", "5"}} {
		g, clk := fakeGen(t, 0, 10_000)
		mustNext(t, g)
		clk.set(4_000)
		if got := g.Do(nil, toArgs(cmd...)); string(got) != want {
			t.Fatalf("Do(%q) = %q, want %q", cmd, got, want)
		}
	}
}

// FuzzDo feeds arbitrary commands to Do: every reply is one well-formed
// RESP reply appended after what dst held.
func FuzzDo(f *testing.F) {
	for _, cmd := range []string{
		"INCR id", "GET id", "IDGEN", "IDGEN COUNT 3", "IDGEN COUNT 0",
		"IDGEN DECODE 4194304", "IDGEN DECODE x", "PING", "PING hi", "SET k v", "",
	} {
		f.Add(cmd)
	}
	g, _ := fakeGen(f, 0, 1)
	f.Fuzz(func(t *testing.T, line string) {
		var args [][]byte
		if line != "" {
			args = bytes.Split([]byte(line), []byte(" "))
		}
		got := g.Do([]byte("x"), args)
		if got[0] != 'x' {
			t.Fatalf("Do changed the bytes before dst's end: %q", got)
		}
		n, err := resp.ReplyLen(got[1:])
		if err != nil || n != len(got)-1 {
			t.Fatalf("Do(%q) = %q: ReplyLen %d, %v; want one whole reply", line, got, n, err)
		}
	})
}
