package rediscmd

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"
)

// This file checks the table against a live redis-server through a minimal
// RESP2 client of its own, so that it does not depend on the resp package.

// appendCommand encodes a request as an array of bulk strings.
func appendCommand(dst []byte, args ...[]byte) []byte {
	dst = fmt.Appendf(dst, "*%d\r\n", len(args))
	for _, a := range args {
		dst = fmt.Appendf(dst, "$%d\r\n%s\r\n", len(a), a)
	}
	return dst
}

// replyError is a "-ERR ..." reply.
type replyError string

func (e replyError) Error() string { return string(e) }

// readReply reads one RESP2 reply: string for simple and bulk strings, int64,
// replyError, nil for null, []any for arrays.
func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("malformed reply line %q", line)
	}
	typ, body := line[0], line[1:len(line)-2]
	switch typ {
	case '+':
		return body, nil
	case '-':
		return replyError(body), nil
	}
	n, err := strconv.ParseInt(body, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("reply %q: %w", line, err)
	}
	switch typ {
	case ':':
		return n, nil
	case '$':
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		if n < 0 {
			return nil, nil
		}
		arr := make([]any, n)
		for i := range arr {
			if arr[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return arr, nil
	}
	return nil, fmt.Errorf("unknown reply type in %q", line)
}

// rawConn is a blocking request/reply connection to redis.
type rawConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialRedis(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{c: c, r: bufio.NewReader(c)}
}

// do sends args as one command and returns the reply.
func (rc *rawConn) do(t *testing.T, args ...[]byte) any {
	t.Helper()
	if err := rc.c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.c.Write(appendCommand(nil, args...)); err != nil {
		t.Fatalf("write: %v", err)
	}
	v, err := readReply(rc.r)
	if err != nil {
		t.Fatalf("read reply: %v", err)
	}
	return v
}

// redisCommand is one entry of Redis' COMMAND reply.
type redisCommand struct {
	name                     string
	arity, first, last, step int
	flags                    []string
	subs                     []redisCommand
}

func (rc redisCommand) has(flag string) bool { return slices.Contains(rc.flags, flag) }

func parseCommand(t *testing.T, v any) redisCommand {
	t.Helper()
	e, ok := v.([]any)
	if !ok || len(e) < 6 {
		t.Fatalf("COMMAND entry %#v: want an array of at least 6 elements", v)
	}
	num := func(i int) int {
		n, ok := e[i].(int64)
		if !ok {
			t.Fatalf("COMMAND entry %v: element %d is %#v, want an integer", e[0], i, e[i])
		}
		return int(n)
	}
	rc := redisCommand{name: fmt.Sprint(e[0]), arity: num(1), first: num(3), last: num(4), step: num(5)}
	flags, _ := e[2].([]any)
	for _, f := range flags {
		rc.flags = append(rc.flags, fmt.Sprint(f))
	}
	if len(e) >= 10 {
		subs, _ := e[9].([]any)
		for _, s := range subs {
			rc.subs = append(rc.subs, parseCommand(t, s))
		}
	}
	return rc
}

// TestAgainstRedis checks that the table and the COMMAND reply of a real
// redis-server agree on names, arity, key positions and flags.
func TestAgainstRedis(t *testing.T) {
	srv := testkit.StartRedis(t)
	conn := dialRedis(t, srv.Addr)
	reply, ok := conn.do(t, []byte("COMMAND")).([]any)
	if !ok || len(reply) == 0 {
		t.Fatalf("COMMAND reply %#v: want a non-empty array", reply)
	}
	seen := map[string]bool{}
	for _, v := range reply {
		rc := parseCommand(t, v)
		seen[rc.name] = true
		c := Lookup([]byte(rc.name))
		if c == nil {
			t.Errorf("%s: reported by redis, missing from the table", rc.name)
			continue
		}
		checkCommand(t, c, rc)
	}
	for _, c := range All() {
		if !seen[c.Name] {
			t.Errorf("%s: in the table, unknown to redis", c.Name)
		}
	}
	if len(seen) != len(table) {
		t.Errorf("redis reports %d commands, the table has %d", len(seen), len(table))
	}
}

func checkCommand(t *testing.T, c *Command, rc redisCommand) {
	t.Helper()
	if c.Arity != rc.arity || c.First != rc.first || c.Last != rc.last || c.Step != rc.step {
		t.Errorf("%s: arity %d keys %d %d %d, redis says %d keys %d %d %d",
			c.Name, c.Arity, c.First, c.Last, c.Step, rc.arity, rc.first, rc.last, rc.step)
	}
	// Container commands: the flags and keys of their keyed subcommands.
	var keyed []redisCommand
	for _, sub := range rc.subs {
		if sub.first != 0 {
			keyed = append(keyed, sub)
		}
		checkSubcommand(t, c, sub)
	}
	readOnly, write := rc.has("readonly"), rc.has("write")
	if len(rc.subs) > 0 {
		readOnly = len(keyed) > 0 && !slices.ContainsFunc(keyed, func(s redisCommand) bool { return !s.has("readonly") })
		write = len(keyed) > 0 && !slices.ContainsFunc(keyed, func(s redisCommand) bool { return !s.has("write") })
	}
	if c.ReadOnly != readOnly || c.Write != write {
		t.Errorf("%s: ReadOnly %v Write %v, redis flags say %v %v (%v)", c.Name, c.ReadOnly, c.Write, readOnly, write, rc.flags)
	}
	// SORT_RO is movable in redis only for its BY/GET patterns, which no
	// key finder reports; its one key is covered by First/Last/Step.
	movable := (rc.has("movablekeys") || len(keyed) > 0) && c.Name != "sort_ro"
	if movable != (c.keys != nil) {
		t.Errorf("%s: has a key finder: %v, redis movable keys: %v", c.Name, c.keys != nil, movable)
	}
}

// checkSubcommand checks that Keys finds the key of "CMD SUB key ..."
// exactly when redis reports one at index 2.
func checkSubcommand(t *testing.T, c *Command, sub redisCommand) {
	t.Helper()
	var want []int
	if sub.first != 0 {
		if sub.first != 2 || sub.last != 2 || sub.step != 1 {
			t.Errorf("%s: keys %d %d %d; only one key at index 2 is handled", sub.name, sub.first, sub.last, sub.step)
		}
		want = []int{2}
	}
	args := make([][]byte, max(3, sub.arity, -sub.arity))
	args[0] = []byte(c.Name)
	args[1] = []byte(sub.name[len(c.Name)+1:]) // "object|encoding" -> "encoding"
	for i := 2; i < len(args); i++ {
		args[i] = []byte("x")
	}
	if got := c.Keys(args, nil); !slices.Equal(got, want) {
		t.Errorf("%s: Keys(%q) = %v, want %v", sub.name, args, got, want)
	}
}

// getkeysSamples are requests whose keys are compared with COMMAND GETKEYS.
// Every command redis marks movablekeys must have one.
var getkeysSamples = []string{
	"GET k1", "MSET k1 1 k2 2", "BITOP AND k1 k2 k3", "BLPOP k1 k2 0", "LCS k1 k2", "RENAME k1 k2",
	"OBJECT ENCODING k1", "XINFO STREAM k1 FULL", "XGROUP CREATE k1 g $ MKSTREAM", "MEMORY USAGE k1",
	"BLMPOP 0 2 k1 k2 LEFT", "BZMPOP 0 2 k1 k2 MIN COUNT 1",
	"EVAL s 2 k1 k2 a1", "EVAL s 0 a1", "EVAL_RO s 1 k1", "EVALSHA s 1 k1", "EVALSHA_RO s 1 k1 a1",
	"FCALL f 2 k1 k2", "FCALL_RO f 1 k1",
	"GEORADIUS k1 0 0 1 km WITHDIST STORE k2", "GEORADIUS k1 0 0 1 km STORE k2 STOREDIST k3",
	"GEORADIUSBYMEMBER k1 m 1 km STOREDIST k2",
	"LMPOP 2 k1 k2 LEFT COUNT 3", "ZMPOP 2 k1 k2 MAX",
	"MIGRATE h 6379 k1 0 100 COPY", `MIGRATE h 6379 "" 0 100 REPLACE AUTH2 u p KEYS k1 k2`,
	"SINTERCARD 2 k1 k2 LIMIT 1", "ZINTERCARD 2 k1 k2",
	"SORT k1 BY w GET # LIMIT 0 1 STORE k2", "SORT k1 ALPHA", "SORT_RO k1 BY w",
	"XREAD COUNT 1 BLOCK 0 STREAMS k1 k2 0 0", "XREAD STREAMS k1 k2 0",
	"XREADGROUP GROUP g c NOACK STREAMS k1 >",
	"ZDIFF 2 k1 k2", "ZINTER 2 k1 k2 WITHSCORES", "ZUNION 3 k1 k2 k3",
	"ZDIFFSTORE k1 2 k2 k3", "ZINTERSTORE k1 2 k2 k3 AGGREGATE MAX", "ZUNIONSTORE k1 2 k2 k3 WEIGHTS 1 2",
}

// TestKeysAgainstRedis compares Keys with COMMAND GETKEYS on sample requests.
func TestKeysAgainstRedis(t *testing.T) {
	srv := testkit.StartRedis(t)
	conn := dialRedis(t, srv.Addr)
	covered := map[string]bool{}
	for _, req := range getkeysSamples {
		args := split(req)
		c := mustLookup(t, string(args[0]))
		covered[c.Name] = true
		var got []string
		for _, i := range c.Keys(args, nil) {
			got = append(got, string(args[i]))
		}
		var want []string
		switch v := conn.do(t, append([][]byte{[]byte("COMMAND"), []byte("GETKEYS")}, args...)...).(type) {
		case replyError: // "The command has no key arguments" and the like
		case []any:
			for _, k := range v {
				want = append(want, fmt.Sprint(k))
			}
		default:
			t.Fatalf("COMMAND GETKEYS %s: unexpected reply %#v", req, v)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: keys %q, redis GETKEYS says %q", req, got, want)
		}
	}
	reply, _ := conn.do(t, []byte("COMMAND")).([]any)
	for _, v := range reply {
		if rc := parseCommand(t, v); rc.has("movablekeys") && !covered[rc.name] {
			t.Errorf("%s: movable keys but no sample in getkeysSamples", rc.name)
		}
	}
}
