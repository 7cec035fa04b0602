package memcache

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"
)

// TestParseRequestMatchesMemcached sends raw, often malformed, input to a
// real memcached and checks that it answers exactly what ParseRequest's
// verdicts predict. The prediction runs on a second memcached, started the
// same way and given the same history: each request ParseRequest accepts
// is sent there in canonical form (storage commands rebuilt from the
// parsed numbers, quiet meta requests without q, dropping what Omitted
// names) and its reply read with ReplyLen; each refusal
// contributes its AppendReply, and the rest of the input goes on from where
// ParseRequest said memcached goes on. Inputs end with quit, except those
// that end in a too-long line, after which memcached closes.
func TestParseRequestMatchesMemcached(t *testing.T) {
	raw := testkit.StartMemcached(t, "-I", "1m")
	canon := testkit.StartMemcached(t, "-I", "1m")
	big := strings.Repeat("v", 2000000)
	long := key(251)
	tests := []struct{ name, in string }{
		{"set get", "set k 0 0 5\r\nhello\r\nget k\r\n"},
		{"multi get", "set a 1 0 1\r\nx\r\nset b 2 0 2\r\nyz\r\nget a nosuch b a\r\ngets a\r\n"},
		{"get spaces", "set a 0 0 1\r\nx\r\n   get   a    a  \r\n"},
		{"get LF only", "set a 0 0 1\nx\r\nget a\n"},
		{"get key with tab and CR", "set a\tb 0 0 1\r\nx\r\nget a\tb\r\nset c\rd 0 0 1\r\ny\r\nget c\rd\r\n"},
		{"get NUL", "set a 0 0 1\r\nx\r\nget a\x00 b\r\n"},
		{"gat", "set a 0 0 1\r\nx\r\ngat 100 a\r\ngats 0 a b\r\ngat 10\r\n"},
		{"bget", "set a 0 0 1\r\nx\r\nbget a\r\n"},
		{"storage commands", "add a 0 0 1\r\nx\r\nadd a 0 0 1\r\ny\r\nreplace a 5 0 1\r\nz\r\nappend a 0 0 2\r\n12\r\nprepend a 0 0 2\r\n34\r\nreplace n 0 0 1\r\nx\r\nget a\r\n"},
		{"cas", "set a 0 0 1\r\nx\r\ngets a\r\ncas a 0 0 1 1\r\ny\r\ncas n 0 0 1 1\r\ny\r\ncas a 0 0 1 1 noreply\r\ny\r\n"},
		{"noreply", "set a 0 0 1 noreply\r\nx\r\nadd a 0 0 1 noreply\r\ny\r\nget a\r\ndelete a noreply\r\nget a\r\n"},
		{"empty value", "set a 0 0 0\r\n\r\nget a\r\n"},
		{"binary value", "set a 0 0 6\r\n\r\n\x00\xff\r\n\r\nget a\r\n"},
		{"numbers as strtol", "set a 4294967297 2147483648 4294967297\r\nx\r\nset b -18446744073709551615 0 01\r\ny\r\nset c +5 -0 \t1\tjunk\r\nz\r\nset d 4295032837 0 1\r\nw\r\nget a b c d\r\n"},
		{"CR CR LF", "set a 0 0 1\r\r\nx\r\nget a\r\n"},
		{"bad data chunk", "set k 0 0 5\r\nhelloXX\r\nversion\r\n"},
		{"bad data chunk LF", "set k 0 0 5\r\nhello\nversion\r\n"},
		{"bad data chunk noreply", "set k 0 0 5 noreply\r\nhelloXX\r\nversion\r\n"},
		{"bad data chunk ms", "ms k 5\r\nhelloXX\r\nversion\r\n"},
		{"bad data chunk ms q", "ms k 5 q\r\nhelloXX\r\nversion\r\n"},
		{"long key set", "set " + long + " 0 0 1\r\nx\r\nversion\r\n"},
		{"long key set noreply", "set " + long + " 0 0 1 noreply\r\nx\r\nversion\r\n"},
		// memcached 1.6.18 drops the unsent replies of earlier pipelined
		// commands along with the hits of a get with a long key; a get
		// before it flushes them. fae keeps them.
		{"long key get", "set a 0 0 1\r\nx\r\nget a\r\nget a " + long + " a\r\nversion\r\n"},
		{"key of 250", "set " + key(250) + " 0 0 1\r\nx\r\nget " + key(250) + "\r\n"},
		{"flags letters", "set k abc 0 5\r\nhello\r\nversion\r\n"},
		{"flags negative", "set k -1 0 1\r\nx\r\nversion\r\n"},
		{"flags hex", "set k 0x1 0 1\r\nx\r\nversion\r\n"},
		{"flags overflow", "set k 18446744073709551616 0 1\r\nx\r\nversion\r\n"},
		{"bytes negative", "set k 0 0 -1\r\nx\r\nversion\r\n"},
		{"bytes noreply", "set k 0 0 noreply\r\nhello\r\nversion\r\n"},
		{"bytes over INT_MAX-2", "set k 0 0 2147483646\r\nx\r\nversion\r\n"},
		{"too few tokens", "set k 0 0\r\nversion\r\n"},
		{"too many tokens", "set k 0 0 1 noreply extra\r\nx\r\nversion\r\n"},
		{"sixth token not noreply", "set k 0 0 1 extra\r\nx\r\nget k\r\n"},
		{"tab does not split", "set k\t0 0 1\r\nx\r\nversion\r\n"},
		{"NUL in set", "set a\x00b 0 0 1\r\nx\r\nversion\r\n"},
		{"cas bad unique", "cas k 0 0 1 -1\r\nx\r\ncas k 0 0 1\r\nx\r\ncas k 0 0 1 noreply\r\nx\r\nversion\r\n"},
		{"too large", "set k 0 0 2000000\r\n" + big + "\r\nversion\r\n"},
		{"too large swallowed unchecked", "set k 0 0 2000000\r\n" + big + "XXversion\r\n"},
		{"too large noreply", "set k 0 0 2000000 noreply\r\n" + big + "\r\nversion\r\n"},
		{"too large ms", "ms k 2000000 q\r\n" + big + "\r\nversion\r\n"},
		{"largest value forwarded", "set k 0 0 1048576\r\n" + big[:1048576] + "\r\nset k 0 0 1000000\r\n" + big[:1000000] + "\r\nmg k s\r\n"},
		{"unknown commands", "GET k\r\nfoo\r\nx\r\n\r\n\n   \r\nversions\r\nmx k\r\nm\r\nmgg k\r\n"},
		{"version and stats errors", "version junk\r\nstats foo\r\nstats detail\r\nstats reset\r\n"},
		{"delete", "set a 0 0 1\r\nx\r\ndelete a\r\ndelete a 0\r\ndelete a noreply\r\ndelete a 0 noreply\r\ndelete\r\ndelete a x y z\r\n"},
		{"delete usage", "delete k 1\r\ndelete k 00\r\ndelete k 1 noreply\r\ndelete k noreply 0\r\ndelete " + long + "\r\ndelete " + long + " noreply\r\nversion\r\n"},
		{"incr decr", "set n 0 0 1\r\n5\r\nincr n 18446744073709551615\r\ndecr n 100\r\nincr n 1 noreply\r\nincr n 1 2\r\nget n\r\n"},
		{"incr errors", "incr k\r\nincr k x\r\nincr k -1\r\nincr k 18446744073709551616\r\nincr k x noreply\r\nincr k noreply\r\nincr " + long + " 1\r\nversion\r\n"},
		{"incr non-numeric", "set a 0 0 1\r\nx\r\nincr a 1\r\n"},
		{"touch", "set a 0 0 1\r\nx\r\ntouch a 100\r\ntouch n 1\r\ntouch a\r\ntouch a x\r\ntouch a x noreply\r\ntouch a 0 noreply\r\ntouch " + long + " x\r\nversion\r\n"},
		{"flush_all", "flush_all\r\nflush_all 0\r\nflush_all -1\r\nflush_all noreply\r\nflush_all 0 noreply\r\nflush_all 0 x\r\nflush_all x\r\nflush_all x noreply\r\nflush_all 0 0 0\r\nversion\r\n"},
		{"verbosity", "verbosity 0\r\nverbosity\r\nverbosity x\r\nverbosity noreply\r\nverbosity 0 noreply\r\nverbosity 0 2\r\nverbosity 1 2 3\r\nversion\r\n"},
		{"admin", "shutdown\r\nslabs\r\nlru\r\ncache_memlimit\r\nrefresh_certs\r\n"},
		{"mg", "set a 3 0 1\r\nx\r\nmg a v f t s k O123 c\r\nmg a\r\nmg n v\r\nmg n v k Oq\r\n"},
		{"mg quiet", "set a 0 0 1\r\nx\r\nmg a q\r\nmg a q v\r\nmg n q v\r\nmg n q k O1\r\nmn\r\n"},
		{"mg errors", "mg\r\nmg k v v\r\nmg k z\r\nmg k Tx\r\nmg k O" + strings.Repeat("1", 40) + "\r\nmg " + long + " v\r\nmg k" + metaFlags(17) + "\r\nmg k" + metaFlags(18) + "\r\n"},
		{"ms", "ms a 5 T0 F3 c k O1\r\nhello\r\nmg a v f\r\nms a 1 q\r\nx\r\nms a 1 ME q\r\ny\r\nms a 4294967297\r\nz\r\nmg a v\r\n"},
		{"ms base64", "ms aGVsbG8= 5 b\r\nhello\r\nmg aGVsbG8= b v k\r\nget hello\r\nme aGVsbG8= b\r\n"},
		{"ms errors", "ms\r\nms k\r\nms k x\r\nhello\r\nms k -1\r\nhello\r\nms " + long + " 1\r\nx\r\nms " + long + " 1 q\r\nx\r\nms k 2147483646\r\nx\r\nversion\r\n"},
		{"ms flag errors swallow", "ms k 5 z\r\nhello\r\nms k 5 v v\r\nhello\r\nms k 5 MX\r\nhello\r\nms k 5 Fx\r\nhello\r\nms k 1 b\r\nx\r\nms k 1 O" + strings.Repeat("1", 40) + "\r\nx\r\nversion\r\n"},
		{"ms tokens", "ms k 1" + metaFlags(16) + "\r\nx\r\nms k 1" + metaFlags(17) + "\r\nx\r\nversion\r\n"},
		{"md", "set a 0 0 1\r\nx\r\nmd a q\r\nmd a q\r\nmd a\r\nmd a z\r\nmd\r\nmd k 0\r\nmd " + long + " q\r\nmd k" + metaFlags(18) + "\r\nmn\r\n"},
		{"ma", "ma n\r\nma n q\r\nms n 1\r\n5\r\nma n\r\nma n q\r\nma n v\r\nma n MD D2 v\r\nma n Dx\r\nma n z\r\nma\r\nma " + long + "\r\nma k" + metaFlags(18) + "\r\nmn\r\n"},
		{"me and mn", "me n\r\nme\r\nme k b\r\nme " + long + "\r\nmn\r\nmn a b\r\n"},
		{"long get line", "set k 0 0 1\r\nx\r\nget " + strings.Repeat("k ", 3000) + "\r\n"},
		{"line too long", strings.Repeat("x", 20000)},
		{"set line too long", "set " + key(20000)},
		{"gat line too long", "gat 0 " + key(20000)},
		{"get after 101 spaces", strings.Repeat(" ", 101) + "get " + key(20000)},
		{"get with tab too long", "get\t" + key(20000)},
		{"quit ends it", "version\r\nquit\r\nversion\r\n"},
		{"quit with tokens", "quit now\r\nversion\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			if bytes.IndexByte(in, '\n') >= 0 {
				in = append(in, "quit\r\n"...)
			}
			flush(t, raw.Addr)
			flush(t, canon.Addr)
			got := exchange(t, raw.Addr, in)
			want := predict(t, canon.Addr, in)
			if !bytes.Equal(got, want) {
				t.Errorf("memcached replied %.300q to %.200q, want %.300q", got, in, want)
			}
		})
	}
}

// predict returns what memcached should answer to in, from ParseRequest's
// verdicts and the canonical requests' replies from the server at addr.
func predict(t *testing.T, addr string, in []byte) []byte {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	var out, rbuf []byte
	var req Request
	for len(in) > 0 {
		n, err := ParseRequest(in, &req, Limits{})
		var e *Error
		switch {
		case errors.Is(err, ErrIncomplete):
			t.Fatalf("ParseRequest: incomplete at %.100q, want every input complete", in)
		case errors.As(err, &e):
			out = e.AppendReply(out)
			if e.Close {
				return out
			}
			if n > len(in) {
				t.Fatalf("ParseRequest(%.100q): %v swallows %d bytes, past the input", in, err, n)
			}
		case err != nil:
			t.Fatalf("ParseRequest(%.100q): %v", in, err)
		case req.Kind == KindQuit:
			return out
		default:
			wire := AppendRequestNoQuiet(nil, &req)
			if req.Kind.IsStorage() {
				wire = AppendStorage(nil, &req) // the numbers as fae read them
			}
			if _, err := c.Write(wire); err != nil {
				t.Fatal(err)
			}
			var reply []byte
			reply, rbuf = readReply(t, c, rbuf, &req)
			if !Omitted(&req, reply) {
				out = append(out, reply...)
			}
		}
		in = in[n:]
	}
	t.Fatalf("input ends without quit or a line too long")
	return nil
}

// readReply reads the reply to req from c, measuring it with ReplyLen. buf
// holds bytes already read; the rest is returned.
func readReply(t *testing.T, c net.Conn, buf []byte, req *Request) (reply, rest []byte) {
	t.Helper()
	for {
		n, err := ReplyLen(buf, req)
		if err == nil {
			return bytes.Clone(buf[:n]), buf[n:]
		}
		if !errors.Is(err, ErrIncomplete) {
			t.Fatalf("ReplyLen(%.200q) for %s: %v", buf, req.Kind, err)
		}
		chunk := make([]byte, 64<<10)
		m, err := c.Read(chunk)
		if err != nil {
			t.Fatalf("reading the reply to %s after %.200q: %v", req.Kind, buf, err)
		}
		buf = append(buf, chunk[:m]...)
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return c
}

func flush(t *testing.T, addr string) {
	t.Helper()
	if got := exchange(t, addr, []byte("flush_all\r\nquit\r\n")); string(got) != "OK\r\n" {
		t.Fatalf("flush_all on %s: got %q", addr, got)
	}
}

// exchange sends in on a new connection and returns all that memcached
// sends back until it closes the connection.
func exchange(t *testing.T, addr string, in []byte) []byte {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	go c.Write(in) // memcached may close before reading it all
	out, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reading replies to %.100q: %v (got %.200q)", in, err, out)
	}
	return out
}

// TestReplyLenMatchesMemcached measures real replies to every kind of
// request: each request is followed by mn, so the reply is what precedes
// "MN\r\n", and ReplyLen must find exactly its end, and find every shorter
// prefix incomplete.
func TestReplyLenMatchesMemcached(t *testing.T) {
	srv := testkit.StartMemcached(t, "-I", "1m")
	c := dial(t, srv.Addr)
	defer c.Close()
	bigValue := strings.Repeat("b", 300000)
	requests := []string{
		"flush_all", "version", "verbosity 0", "stats detail on",
		"set a 1 0 5\r\nhello", "set big 0 0 300000\r\n" + bigValue, "add a 0 0 1\r\nx",
		"replace n 0 0 1\r\nx", "append a 0 0 1\r\n!", "prepend a 0 0 1\r\n!",
		"cas a 0 0 1 1\r\nx", "cas n 0 0 1 1\r\nx",
		"set trick 0 0 11\r\nEND\r\nVA 1\r\n",
		"get a", "get n", "get a n big a trick", "gets a trick", "gat 100 a", "gats 0 a n", "gat 10", "bget a",
		"get " + key(251), "gat x a", "set k 0 0 2000000\r\n" + strings.Repeat("v", 2000000),
		"delete a", "delete a", "delete k 1",
		"set n 0 0 2\r\n10", "incr n 5", "decr n 100", "incr nosuch 1", "incr trick 1", "incr n x",
		"touch n 10", "touch nosuch 10", "touch n x",
		"stats", "stats settings", "stats items", "stats slabs", "stats sizes", "stats conns",
		"set p:x 0 0 1\r\nx", "get p:x", "stats detail dump", "stats cachedump 1 10", "stats reset", "stats foo", "stats detail",
		"mg n v", "mg n", "mg nosuch v", "mg n v k O1 c f t s", "mg big v", "mg k v v",
		"ms m 3 T0 c\r\nabc", "ms m 3 ME\r\nabc", "ms m 1 z\r\nx",
		"md m", "md m", "md m z",
		"ma m", "ms m 1\r\n5", "ma m v", "ma m MD v N0",
		"me n", "me nosuch", "mn", "me",
		"shutdown", "slabs automove 0", "lru_crawler sleep 100", "nosuch command",
	}
	var buf []byte
	var req Request
	for _, r := range requests {
		wire := []byte(r + "\r\n")
		if _, err := ParseRequest(wire, &req, Limits{}); errors.Is(err, ErrIncomplete) {
			t.Fatalf("ParseRequest(%.80q): incomplete", wire)
		}
		if _, err := c.Write(append(wire, "mn\r\n"...)); err != nil {
			t.Fatal(err)
		}
		var reply []byte
		reply, buf = readUntilMN(t, c, buf, req.Kind == KindMetaNoop, wire)
		if n, err := ReplyLen(reply, &req); err != nil || n != len(reply) {
			t.Errorf("ReplyLen(%.200q) for %.80q: got %d, %v, want %d", reply, wire, n, err, len(reply))
			continue
		}
		if n, err := ReplyLen(append(reply, "MN\r\n"...), &req); err != nil || n != len(reply) {
			t.Errorf("ReplyLen(%.200q + MN) for %.80q: got %d, %v, want %d", reply, wire, n, err, len(reply))
		}
		for l := range len(reply) {
			if n, err := ReplyLen(reply[:l], &req); !errors.Is(err, ErrIncomplete) || n <= l {
				t.Errorf("ReplyLen(%.200q), a prefix of the reply to %.80q: got %d, %v, want incomplete", reply[:l], wire, n, err)
				break
			}
		}
	}
}

// readUntilMN reads the reply to a request followed by mn: what comes
// before the final "MN\r\n" (no test value holds "MN\r\n"). When the
// request is itself mn, two are needed.
func readUntilMN(t *testing.T, c net.Conn, buf []byte, isMN bool, wire []byte) (reply, rest []byte) {
	t.Helper()
	min := 4
	if isMN {
		min = 8
	}
	for len(buf) < min || !bytes.HasSuffix(buf, []byte("MN\r\n")) {
		chunk := make([]byte, 64<<10)
		m, err := c.Read(chunk)
		if err != nil {
			t.Fatalf("reading the reply to %.80q until MN, after %.200q: %v", wire, buf, err)
		}
		buf = append(buf, chunk[:m]...)
	}
	return buf[: len(buf)-4 : len(buf)-4], nil
}
