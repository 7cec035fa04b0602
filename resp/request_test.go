package resp

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// verdict renders the outcome of ParseRequest for comparisons and messages.
func verdict(n int, args [][]byte, err error) string {
	var pe *ProtocolError
	switch {
	case errors.Is(err, ErrIncomplete):
		return fmt.Sprintf("incomplete need=%d", n)
	case errors.As(err, &pe):
		return "error " + pe.Error()
	case err != nil:
		return "unexpected error " + err.Error()
	}
	return fmt.Sprintf("n=%d args=%q", n, args)
}

func argsOf(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i := range s {
		out[i] = []byte(s[i])
	}
	return out
}

func ok(n int, args ...string) string { return verdict(n, argsOf(args...), nil) }
func incomplete(need int) string      { return fmt.Sprintf("incomplete need=%d", need) }
func perr(msg string) string          { return "error Protocol error: " + msg }

var small = Limits{MaxBulk: 10, MaxArgs: 3, MaxInline: 16}

func TestParseRequestMultibulk(t *testing.T) {
	big := strings.Repeat("9", 16)
	tests := []struct {
		name string
		in   string
		lim  Limits
		want string
	}{
		{"get", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", Limits{}, ok(20, "GET", "k")},
		{"empty arg", "*1\r\n$0\r\n\r\n", Limits{}, ok(10, "")},
		{"binary arg", "*1\r\n$4\r\n\r\n\x00\xff\r\n", Limits{}, ok(14, "\r\n\x00\xff")},
		{"zero count", "*0\r\n", Limits{}, ok(4)},
		{"null count", "*-1\r\n", Limits{}, ok(5)},
		{"negative count", "*-5\r\n", Limits{}, ok(5)},
		{"only the first request", "*1\r\n$4\r\nPING\r\n*1\r\n", Limits{}, ok(14, "PING")},
		{"trailing bytes not checked", "*1\r\n$4\r\nPINGxy", Limits{}, ok(14, "PING")},
		{"byte after count CR not checked", "*1\rx$4\r\nPING\r\n", Limits{}, ok(14, "PING")},
		{"byte after bulk CR not checked", "*1\r\n$4\rxPING\r\n", Limits{}, ok(14, "PING")},

		{"empty", "", Limits{}, incomplete(1)},
		{"star", "*", Limits{}, incomplete(3)},
		{"count without LF", "*2\r", Limits{}, incomplete(4)},
		{"count only", "*2\r\n", Limits{}, incomplete(6)},
		{"bulk header part", "*2\r\n$3", Limits{}, incomplete(8)},
		{"bulk header CR", "*2\r\n$3\r", Limits{}, incomplete(8)},
		{"payload part", "*2\r\n$3\r\nGE", Limits{}, incomplete(13)},
		{"payload no CRLF", "*2\r\n$3\r\nGET", Limits{}, incomplete(13)},
		{"payload CR", "*2\r\n$3\r\nGET\r", Limits{}, incomplete(13)},
		{"second arg", "*2\r\n$3\r\nGET\r\n", Limits{}, incomplete(15)},
		{"large bulk", "*1\r\n$100000\r\nab", Limits{}, incomplete(100015)},
		{"NUL in count waits for the limit", "*1\x00\r\n", small, incomplete(17)},
		{"NUL in bulk header waits", "*1\r\n$1\x00\r\n", small, incomplete(21)},

		{"count letters", "*x\r\n", Limits{}, perr("invalid multibulk length")},
		{"count empty", "*\r\n", Limits{}, perr("invalid multibulk length")},
		{"count plus", "*+1\r\n", Limits{}, perr("invalid multibulk length")},
		{"count leading zero", "*01\r\n", Limits{}, perr("invalid multibulk length")},
		{"count minus zero", "*-0\r\n", Limits{}, perr("invalid multibulk length")},
		{"count space", "*1 \r\n", Limits{}, perr("invalid multibulk length")},
		{"count LF only", "*1\n$4\r\nPING\r\n", Limits{}, perr("invalid multibulk length")},
		{"count overflow", "*99999999999999999999\r\n", Limits{}, perr("invalid multibulk length")},
		{"count above INT_MAX", "*2147483648\r\n", Limits{MaxArgs: 1 << 40}, perr("invalid multibulk length")},
		{"count above MaxArgs", "*4\r\n", small, perr("invalid multibulk length")},
		{"count at MaxArgs", "*3\r\n", small, incomplete(6)},
		{"expected dollar", "*1\r\nx\r\n", Limits{}, perr("expected '$', got 'x'")},
		{"expected dollar got colon", "*1\r\n:1\r\n", Limits{}, perr("expected '$', got ':'")},
		{"expected dollar got CR", "*1\r\n\r\n", Limits{}, perr("expected '$', got ' '")},
		{"expected dollar got LF", "*1\r\n\n\r\n", Limits{}, perr("expected '$', got ' '")},
		{"expected dollar high byte", "*1\r\n\xff\r\n", Limits{}, perr("expected '$', got '\xff'")},
		{"bulk letters", "*1\r\n$x\r\n", Limits{}, perr("invalid bulk length")},
		{"bulk empty", "*1\r\n$\r\n", Limits{}, perr("invalid bulk length")},
		{"bulk negative", "*1\r\n$-1\r\n", Limits{}, perr("invalid bulk length")},
		{"bulk too big default", "*1\r\n$536870913\r\n", Limits{}, perr("invalid bulk length")},
		{"bulk at default max", "*1\r\n$536870912\r\n", Limits{}, incomplete(536870930)},
		{"bulk above MaxBulk", "*1\r\n$11\r\n", small, perr("invalid bulk length")},
		{"bulk at MaxBulk", "*1\r\n$10\r\n0123456789\r\n", small, ok(21, "0123456789")},
		{"too big mbulk count", "*" + big, small, perr("too big mbulk count string")},
		{"count line at limit", "*" + big[:15], small, incomplete(17)},
		{"count CR just past limit", "*" + big + "\r\n", small, perr("too big mbulk count string")},
		{"too big bulk count", "*1\r\n$" + big, small, perr("too big bulk count string")},
		{"NUL in count then limit", "*1\x00" + big, small, perr("too big mbulk count string")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, args, err := ParseRequest([]byte(tc.in), nil, tc.lim)
			if got := verdict(n, args, err); got != tc.want {
				t.Errorf("ParseRequest(%q): got %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseRequestArgsAliasBuffer(t *testing.T) {
	buf := []byte("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")
	n, args, err := ParseRequest(buf, nil, Limits{})
	if err != nil || n != len(buf) || len(args) != 2 {
		t.Fatalf("got n=%d args=%q err=%v, want the whole request", n, args, err)
	}
	if &args[1][0] != &buf[17] {
		t.Errorf("got args[1] at a copy, want a subslice of buf")
	}
	if cap(args[0]) != len(args[0]) {
		t.Errorf("got cap(args[0]) = %d, want %d so appends cannot overwrite buf", cap(args[0]), len(args[0]))
	}
}

func TestParseRequestReusesArgs(t *testing.T) {
	scratch := make([][]byte, 5, 8)
	_, args, err := ParseRequest([]byte("*1\r\n$4\r\nPING\r\n"), scratch, Limits{})
	if err != nil || len(args) != 1 {
		t.Fatalf("got args=%q err=%v, want [PING]", args, err)
	}
	if &args[:cap(args)][0] != &scratch[:1][0] {
		t.Errorf("got a new args slice, want scratch reused from index 0")
	}
}

// TestParseRequestPipelined parses buffers with several requests, the way a
// session does: parse at buf[n:] until ErrIncomplete.
func TestParseRequestPipelined(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // verdicts, one per call
	}{
		{"multibulk", "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n",
			[]string{ok(14, "PING"), ok(22, "ECHO", "hi"), incomplete(1)}},
		{"mixed", "PING\r\n*1\r\n$4\r\nPING\r\nECHO x\n\r\n*0\r\n",
			[]string{ok(6, "PING"), ok(14, "PING"), ok(7, "ECHO", "x"), ok(2), ok(4), incomplete(1)}},
		{"partial tail", "PING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhel",
			[]string{ok(6, "PING"), incomplete(25)}},
		{"error after good", "PING\r\n*x\r\n",
			[]string{ok(6, "PING"), perr("invalid multibulk length")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf := []byte(tc.in)
			var args [][]byte
			for i, want := range tc.want {
				n, a, err := ParseRequest(buf, args, Limits{})
				args = a
				if got := verdict(n, a, err); got != want {
					t.Fatalf("call %d on %q: got %s, want %s", i, buf, got, want)
				}
				if err != nil {
					return
				}
				buf = buf[n:]
			}
		})
	}
}

func TestLimitsDefaults(t *testing.T) {
	got := Limits{}.withDefaults()
	want := Limits{MaxBulk: 512 << 20, MaxArgs: 1 << 20, MaxInline: 64 << 10}
	if got != want {
		t.Errorf("Limits{}.withDefaults(): got %+v, want %+v", got, want)
	}
	if got := (Limits{MaxBulk: -1, MaxArgs: -1, MaxInline: -1}).withDefaults(); got != want {
		t.Errorf("negative limits: got %+v, want %+v", got, want)
	}
}

func TestString2ll(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"123", 123, true},
		{"9223372036854775807", 1<<63 - 1, true}, {"-9223372036854775808", -1 << 63, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false}, {"99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {"-0", 0, false}, {"00", 0, false}, {"01", 0, false},
		{"+1", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1a", 0, false},
		{"000000000000000000001", 0, false},
	}
	for _, tc := range tests {
		got, ok := string2ll([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("string2ll(%q): got %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestProtocolErrorIs(t *testing.T) {
	_, _, err := ParseRequest([]byte("*x\r\n"), nil, Limits{})
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Msg != "invalid multibulk length" {
		t.Fatalf("got %v, want *ProtocolError with Msg %q", err, "invalid multibulk length")
	}
	if errors.Is(err, ErrIncomplete) {
		t.Errorf("got errors.Is(err, ErrIncomplete) true, want false")
	}
	if !bytes.Equal([]byte(pe.Error()), []byte("Protocol error: invalid multibulk length")) {
		t.Errorf("got %q", pe.Error())
	}
}
