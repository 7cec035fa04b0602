package resp

import (
	"strings"
	"testing"
)

func TestParseRequestInline(t *testing.T) {
	long := strings.Repeat("a", 16)
	tests := []struct {
		name string
		in   string
		lim  Limits
		want string
	}{
		{"get", "GET k\r\n", Limits{}, ok(7, "GET", "k")},
		{"LF only", "GET k\n", Limits{}, ok(6, "GET", "k")},
		{"only the first line", "PING\r\nPING\r\n", Limits{}, ok(6, "PING")},
		{"empty line", "\r\n", Limits{}, ok(2)},
		{"empty LF", "\n", Limits{}, ok(1)},
		{"blank line", " \t \r\n", Limits{}, ok(5)},
		{"extra blanks", "  SET\t k  v \r\n", Limits{}, ok(14, "SET", "k", "v")},
		{"CR inside ends a token", "a\rb\r\n", Limits{}, ok(5, "a", "b")},
		{"CR CR LF", "a\r\r\n", Limits{}, ok(4, "a")},
		{"vertical tab inside a token", "a\vb\f\r\n", Limits{}, ok(6, "a\vb\f")},
		{"vertical tab leading", "\v\fa\r\n", Limits{}, ok(5, "a")},
		{"double quotes", `SET "a b" c` + "\n", Limits{}, ok(12, "SET", "a b", "c")},
		{"empty double quotes", `"" x` + "\n", Limits{}, ok(5, "", "x")},
		{"escapes", `"\n\r\t\b\a\\\"\q"` + "\n", Limits{}, ok(19, "\n\r\t\b\a\\\"q")},
		{"hex", `"\x41\x7a\x00\xFf"` + "\n", Limits{}, ok(19, "Az\x00\xff")},
		{"bad hex", `"\xZZ\x4"` + "\n", Limits{}, ok(10, "xZZx4")},
		{"single quotes", `'a "b" \n \'c\''` + "\n", Limits{}, ok(17, `a "b" \n 'c'`)},
		{"single quote backslash", `'a\b'` + "\n", Limits{}, ok(6, `a\b`)},
		{"quote mid token", `ab"c d"` + "\n", Limits{}, ok(8, "abc d")},
		{"single quote mid token", `ab'c d' e` + "\n", Limits{}, ok(10, "abc d", "e")},
		{"closing quote then tab", "\"a\"\tb\n", Limits{}, ok(6, "a", "b")},
		{"closing quote then vertical tab", "\"a\"\v\n", Limits{}, ok(5, "a")},
		{"closing quote then CR", "\"a\"\r\n", Limits{}, ok(5, "a")},
		{"quoted CR LF kept", `"a\r\n"` + "\r\n", Limits{}, ok(9, "a\r\n")},
		{"high bytes", "\xff\xfe\n", Limits{}, ok(3, "\xff\xfe")},

		{"text after closing quote", `"a"b` + "\n", Limits{}, perr("unbalanced quotes in request")},
		{"text after closing single quote", `'a'b` + "\n", Limits{}, perr("unbalanced quotes in request")},
		{"unterminated", `"abc` + "\n", Limits{}, perr("unbalanced quotes in request")},
		{"unterminated single", `'abc` + "\n", Limits{}, perr("unbalanced quotes in request")},
		{"backslash at end", `"abc\` + "\n", Limits{}, perr("unbalanced quotes in request")},
		{"escaped closing quote", `"abc\"` + "\n", Limits{}, perr("unbalanced quotes in request")},
		{"quote at line end before CR", "\"a\r\n", Limits{}, perr("unbalanced quotes in request")},

		{"empty", "", Limits{}, incomplete(1)},
		{"no newline", "GET k", Limits{}, incomplete(6)},
		{"CR without LF", "GET k\r", Limits{}, incomplete(7)},
		{"line at limit", long, small, incomplete(17)},
		{"line at limit with LF", long + "\n", small, ok(17, long)},
		{"line at limit with CR LF", long[1:] + "\r\n", small, ok(17, long[1:])},
		{"too big", long + "a", small, perr("too big inline request")},
		{"too big with LF", long + "a\n", small, perr("too big inline request")},
		{"NUL waits for the limit", "a\x00b\n", small, incomplete(17)},
		{"NUL then too big", "a\x00b\n" + long, small, perr("too big inline request")},
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

func TestParseRequestInlineAliasing(t *testing.T) {
	buf := []byte(`SET key "a b" 'c'` + "\r\n")
	_, args, err := ParseRequest(buf, nil, Limits{})
	if err != nil || len(args) != 4 {
		t.Fatalf("got args=%q err=%v, want 4 args", args, err)
	}
	if &args[1][0] != &buf[4] {
		t.Errorf("got a copy of the plain argument, want a subslice of buf")
	}
	for i := 2; i < 4; i++ {
		if cap(args[i]) != len(args[i]) {
			t.Errorf("arg %d: got cap %d, want %d", i, cap(args[i]), len(args[i]))
		}
	}
	if string(buf) != `SET key "a b" 'c'`+"\r\n" {
		t.Errorf("got buf changed to %q, want it untouched", buf)
	}
}
