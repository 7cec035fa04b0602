package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"
)

// TestParseRequestMatchesRedis sends raw, often malformed, input to a real
// redis-server and checks that it answers exactly what ParseRequest's
// verdict predicts: for each request ParseRequest parses, the reply redis
// gives to the same arguments sent in canonical multibulk form; then, if
// ParseRequest found a protocol error, "-ERR " + that error and a close.
// Every input ends with QUIT so that redis closes the connection, except
// those that end in a protocol error without any later CR or LF: redis
// reads in chunks of varying size, so its verdict on a line just past
// 64 KiB depends on whether its end came in the same read.
func TestParseRequestMatchesRedis(t *testing.T) {
	srv := testkit.StartRedis(t)
	huge := strings.Repeat("1", 100000) // past 64 KiB for any read split
	tests := []struct{ name, in string }{
		{"inline", "ECHO hello\r\n"},
		{"inline LF only", "ECHO hello\n"},
		{"inline CR inside", "ECHO a\rb\r\n"},
		{"inline CR CR LF", "ECHO a\r\r\n"},
		{"inline blanks", "  \t ECHO \t  x  \r\n"},
		{"inline vertical tab inside token", "ECHO a\vb\r\n"},
		{"inline leading vertical tab", "\v\fPING\r\n"},
		{"empty lines", "\r\n\n\r\nPING\r\n"},
		{"blank line", "   \r\n"},
		{"double quotes", `ECHO "a b"` + "\r\n"},
		{"escapes", `ECHO "\n\r\t\b\a\\\"\q"` + "\r\n"},
		{"hex escapes", `ECHO "\x41\x7a\x00\xff\xZZ\x4"` + "\r\n"},
		{"single quotes", `ECHO 'it\'s \n'` + "\r\n"},
		{"empty quotes", `ECHO ""` + "\r\n"},
		{"quote mid token", `ECHO ab"c d"` + "\r\n"},
		{"single quote mid token", `ECHO ab'c d'` + "\r\n"},
		{"quote then vertical tab", "ECHO \"a\"\v\r\n"},
		{"text after closing quote", `ECHO "a"b` + "\r\n"},
		{"text after closing single quote", `ECHO 'a'b` + "\r\n"},
		{"unterminated double", `ECHO "abc` + "\r\n"},
		{"unterminated single", `ECHO 'abc` + "\r\n"},
		{"backslash at end", `ECHO "abc\` + "\r\n"},
		{"unknown command args", "NOSUCH a 'b c' \"d\"\r\n"},
		{"pipelined inline", "PING\r\nECHO 1\r\nECHO 2\n"},
		{"multibulk", "*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n"},
		{"multibulk binary", "*2\r\n$4\r\nECHO\r\n$5\r\na\x00\r\nb\r\n"},
		{"zero count", "*0\r\nPING\r\n"},
		{"null count", "*-1\r\nPING\r\n"},
		{"negative count", "*-7\r\nPING\r\n"},
		{"trailing bytes skipped", "*1\r\n$4\r\nPINGxy"},
		{"byte after count CR skipped", "*1\rx$4\r\nPING\r\n"},
		{"byte after bulk CR skipped", "*1\r\n$4\rxPING\r\n"},
		{"count letters", "*x\r\n"},
		{"count empty", "*\r\n"},
		{"count leading zero", "*01\r\n"},
		{"count minus zero", "*-0\r\n"},
		{"count LF only", "*1\n$4\r\nPING\r\n"},
		{"count above INT_MAX", "*2147483648\r\n"},
		{"count overflow", "*99999999999999999999\r\n"},
		{"expected dollar", "*1\r\nx\r\n"},
		{"expected dollar got colon", "*1\r\n:1\r\n"},
		{"expected dollar got CR", "*1\r\n\r\n"},
		{"expected dollar got LF", "*1\r\n\n\r\n"},
		{"expected dollar got high byte", "*1\r\n\xfe\r\n"},
		{"bulk letters", "*1\r\n$x\r\n"},
		{"bulk negative", "*1\r\n$-1\r\n"},
		{"bulk plus", "*1\r\n$+1\r\n"},
		{"bulk above max", "*1\r\n$536870913\r\n"},
		{"error after good requests", "PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n:1\r\n"},
	}
	tooBig := []string{
		"ECHO " + huge,
		"*" + huge,
		"*1\r\n$" + huge,
		"ECHO a\x00b\r\n" + huge, // a NUL hides the newline from redis' strchr
		"*1\x00\r\n" + huge,
		"*1\r\n$4\x00\r\n" + huge,
	}
	for i := range tests {
		tests[i].in += "QUIT\r\n"
	}
	for i, in := range tooBig {
		tests = append(tests, struct{ name, in string }{fmt.Sprintf("too big %d", i), in})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			want := predictReplies(t, srv.Addr, in)
			got := exchange(t, srv.Addr, []byte(in))
			if !bytes.Equal(got, want) {
				t.Errorf("redis replied %q to %.200q, want %q", got, in, want)
			}
		})
	}
}

// predictReplies parses in with ParseRequest and returns what redis should
// answer: its replies to the parsed requests in canonical form, then either
// the protocol error or the +OK of the final QUIT.
func predictReplies(t *testing.T, addr, in string) []byte {
	t.Helper()
	var canon []byte
	buf := []byte(in)
	var args [][]byte
	var perr error
	for len(buf) > 0 {
		n, a, err := ParseRequest(buf, args, Limits{})
		args = a
		if errors.Is(err, ErrIncomplete) {
			t.Fatalf("ParseRequest: incomplete at %.100q, want every case complete", buf)
		}
		if err != nil {
			perr = err
			break
		}
		buf = buf[n:]
		if len(a) == 1 && strings.EqualFold(string(a[0]), "QUIT") {
			break
		}
		if len(a) > 0 {
			canon = AppendCommand(canon, a...)
		}
	}
	canon = AppendCommand(canon, []byte("QUIT"))
	replies := exchange(t, addr, canon)
	body, found := bytes.CutSuffix(replies, []byte("+OK\r\n"))
	if !found {
		t.Fatalf("canonical requests %q: got replies %q, want them to end with +OK", canon, replies)
	}
	if perr != nil {
		return AppendError(body, "ERR "+perr.Error())
	}
	return AppendSimple(body, "OK")
}

// exchange sends in on a new connection and returns all that redis sends
// back until it closes the connection.
func exchange(t *testing.T, addr string, in []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	go c.Write(in) // redis may close before reading it all; the reply says why
	out, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reading replies to %.100q: %v (got %q)", in, err, out)
	}
	return out
}
