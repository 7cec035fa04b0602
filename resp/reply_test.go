package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func replyVerdict(n int, err error) string {
	var pe *ProtocolError
	switch {
	case errors.Is(err, ErrIncomplete):
		return fmt.Sprintf("incomplete need=%d", n)
	case errors.As(err, &pe):
		return "error " + pe.Error()
	case err != nil:
		return "unexpected error " + err.Error()
	}
	return fmt.Sprintf("n=%d", n)
}

func length(n int) string { return fmt.Sprintf("n=%d", n) }

func TestReplyLen(t *testing.T) {
	nest := func(k int, inner string) string { return strings.Repeat("*1\r\n", k) + inner }
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"simple", "+OK\r\n", length(5)},
		{"simple empty", "+\r\n", length(3)},
		{"simple with LF inside", "+a\nb\r\n", length(6)},
		{"error", "-ERR bad\r\n", length(10)},
		{"integer", ":42\r\n", length(5)},
		{"negative integer", ":-42\r\n", length(6)},
		{"integer min", ":-9223372036854775808\r\n", length(23)},
		{"bulk", "$3\r\nabc\r\n", length(9)},
		{"bulk binary", "$4\r\n\r\n\x00\xff\r\n", length(10)},
		{"bulk empty", "$0\r\n\r\n", length(6)},
		{"null bulk", "$-1\r\n", length(5)},
		{"array", "*2\r\n$1\r\na\r\n:1\r\n", length(15)},
		{"empty array", "*0\r\n", length(4)},
		{"null array", "*-1\r\n", length(5)},
		{"nested", "*2\r\n*2\r\n+a\r\n$-1\r\n*0\r\n:7\r\n", length(4 + 4 + 4 + 5 + 4)},
		{"mget", "*3\r\n$1\r\nx\r\n$-1\r\n$2\r\nyz\r\n", length(4 + 7 + 5 + 8)},
		{"only the first", "+OK\r\n+OK\r\n", length(5)},
		{"array of errors", "*2\r\n-ERR a\r\n-ERR b\r\n", length(4 + 8 + 8)},
		{"depth 64", nest(64, ":1\r\n"), length(64*4 + 4)},
		{"depth 65 empty", nest(64, "*0\r\n"), length(64*4 + 4)},

		{"empty", "", incomplete(1)},
		{"type only", "+", incomplete(3)},
		{"simple no CR", "+OK", incomplete(5)},
		{"simple CR", "+OK\r", incomplete(5)},
		{"bulk header part", "$3", incomplete(4)},
		{"bulk header CR", "$3\r", incomplete(4)},
		{"bulk payload part", "$3\r\nab", incomplete(9)},
		{"bulk payload CR", "$3\r\nabc\r", incomplete(9)},
		{"large bulk", "$1000000\r\nabc", incomplete(1000012)},
		{"array header", "*2\r\n", incomplete(5)},
		{"array second", "*2\r\n:1\r\n", incomplete(9)},
		{"array inside large bulk", "*2\r\n$100\r\nab", incomplete(112)},
		{"nested incomplete", "*2\r\n*1\r\n", incomplete(9)},

		{"unknown type", "x\r\n", perr("invalid reply type 'x'")},
		{"binary type", "\x00", perr("invalid reply type 0x0")},
		{"RESP3 null", "_\r\n", perr("unexpected RESP3 reply type '_'")},
		{"RESP3 map", "%1\r\n", perr("unexpected RESP3 reply type '%'")},
		{"RESP3 double", ",1.5\r\n", perr("unexpected RESP3 reply type ','")},
		{"RESP3 push", ">2\r\n", perr("unexpected RESP3 reply type '>'")},
		{"RESP3 in array", "*1\r\n#t\r\n", perr("unexpected RESP3 reply type '#'")},
		{"CR without LF", "+a\rb\r\n", perr("reply line has CR without LF")},
		{"integer letters", ":x\r\n", perr("invalid integer reply")},
		{"integer empty", ":\r\n", perr("invalid integer reply")},
		{"integer overflow", ":9223372036854775808\r\n", perr("invalid integer reply")},
		{"integer too long", ":" + strings.Repeat("1", 30), perr("reply line too long")},
		{"bulk letters", "$x\r\n", perr("invalid bulk length")},
		{"bulk below -1", "$-2\r\n", perr("invalid bulk length")},
		{"bulk length too long", "$" + strings.Repeat("1", 21), perr("invalid bulk length")},
		{"bulk length 20 digits waits", "$" + strings.Repeat("1", 20), incomplete(22)},
		{"bulk not ended by CRLF", "$3\r\nabcd\r\n", perr("bulk string not followed by CRLF")},
		{"bulk overflow", "$9223372036854775807\r\n", perr("invalid bulk length")},
		{"array letters", "*x\r\n", perr("invalid multibulk length")},
		{"array below -1", "*-2\r\n", perr("invalid multibulk length")},
		{"array too long", "*2147483648\r\n", perr("invalid multibulk length")},
		{"array bad element", "*2\r\n:1\r\n?\r\n", perr("invalid reply type '?'")},
		{"depth 65", nest(65, ":1\r\n"), perr("reply nests arrays too deeply")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ReplyLen([]byte(tc.in))
			if got := replyVerdict(n, err); got != tc.want {
				t.Errorf("ReplyLen(%q): got %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{":0\r\n", 0, true},
		{":42\r\n", 42, true},
		{":-1\r\n", -1, true},
		{":9223372036854775807\r\n", 1<<63 - 1, true},
		{":\r\n", 0, false},
		{":x\r\n", 0, false},
		{":1", 0, false},
		{":1\r\n:2\r\n", 0, false},
		{"+1\r\n", 0, false},
		{"$1\r\n1\r\n", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseInt(%q): got %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestArrayElems(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		ok   bool
	}{
		{"mget", "*3\r\n$1\r\nx\r\n$-1\r\n$2\r\nyz\r\n", []string{"$1\r\nx\r\n", "$-1\r\n", "$2\r\nyz\r\n"}, true},
		{"nested", "*2\r\n*1\r\n:1\r\n+OK\r\n", []string{"*1\r\n:1\r\n", "+OK\r\n"}, true},
		{"empty", "*0\r\n", nil, true},
		{"trailing bytes ignored", "*1\r\n:1\r\n:2\r\n", []string{":1\r\n"}, true},
		{"null array", "*-1\r\n", nil, false},
		{"error", "-ERR x\r\n", nil, false},
		{"bulk", "$1\r\nx\r\n", nil, false},
		{"truncated", "*2\r\n:1\r\n", nil, false},
		{"bad element", "*2\r\n:1\r\n?\r\n", nil, false},
		{"bad header", "*x\r\n", nil, false},
		{"empty input", "", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := [][]byte{[]byte("keep")}
			got, ok := ArrayElems([]byte(tc.in), prefix)
			want := append([]string{"keep"}, tc.want...)
			if ok != tc.ok || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", argsOf(want...)) {
				t.Errorf("ArrayElems(%q): got %q, %v, want %q, %v", tc.in, got, ok, want, tc.ok)
			}
		})
	}
}

func TestReadReply(t *testing.T) {
	big := strings.Repeat("x", 100000)
	tests := []struct {
		name string
		in   string
		want string // reply, or "error: ..." text
	}{
		{"simple", "+OK\r\n+NEXT\r\n", "+OK\r\n"},
		{"simple with LF inside", "+a\nb\r\n", "+a\nb\r\n"},
		{"long line", "+" + big + "\r\n", "+" + big + "\r\n"},
		{"bulk", "$3\r\na\nc\r\n:1\r\n", "$3\r\na\nc\r\n"},
		{"large bulk", "$100000\r\n" + big + "\r\n", "$100000\r\n" + big + "\r\n"},
		{"null bulk", "$-1\r\n", "$-1\r\n"},
		{"array", "*2\r\n*1\r\n:1\r\n$-1\r\n+x\r\n", "*2\r\n*1\r\n:1\r\n$-1\r\n"},
		{"empty", "", "error: EOF"},
		{"truncated line", "+OK", "error: unexpected EOF"},
		{"truncated bulk", "$3\r\nab", "error: unexpected EOF"},
		{"truncated array", "*2\r\n:1\r\n", "error: unexpected EOF"},
		{"CR without LF", "+a\rb\r\n", "error: Protocol error: reply line has CR without LF"},
		{"bad bulk end", "$1\r\nab\r\n", "error: Protocol error: bulk string not followed by CRLF"},
		{"bad length", "$x\r\n", "error: Protocol error: invalid bulk length"},
		{"RESP3", "%1\r\n", "error: Protocol error: unexpected RESP3 reply type '%'"},
		{"huge bulk", "$99999999999\r\nab", "error: unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := bufio.NewReaderSize(strings.NewReader(tc.in), 16)
			reply, err := ReadReply(r)
			got := string(reply)
			if err != nil {
				got = "error: " + err.Error()
			}
			if got != tc.want {
				t.Errorf("ReadReply(%.40q): got %.80q, want %.80q", tc.in, got, tc.want)
			}
		})
	}
}

func TestReadReplyLeavesTheRest(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("$2\r\nab\r\n*1\r\n+c\r\n"))
	for _, want := range []string{"$2\r\nab\r\n", "*1\r\n+c\r\n"} {
		got, err := ReadReply(r)
		if err != nil || string(got) != want {
			t.Fatalf("got %q, %v, want %q", got, err, want)
		}
	}
	if _, err := ReadReply(r); err != io.EOF {
		t.Errorf("at the end: got %v, want io.EOF", err)
	}
}
