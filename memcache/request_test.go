package memcache

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// describe renders the fields of a parsed request that are set.
func describe(r *Request) string {
	var b strings.Builder
	b.WriteString(r.Kind.String())
	if r.Keys != nil {
		fmt.Fprintf(&b, " keys=%q", strs(r.Keys))
	}
	if r.Flags != 0 {
		fmt.Fprintf(&b, " flags=%d", r.Flags)
	}
	if r.Exptime != 0 {
		fmt.Fprintf(&b, " exptime=%d", r.Exptime)
	}
	if r.Cas != 0 {
		fmt.Fprintf(&b, " cas=%d", r.Cas)
	}
	if r.Delta != 0 {
		fmt.Fprintf(&b, " delta=%d", r.Delta)
	}
	if r.Value != nil {
		fmt.Fprintf(&b, " value=%q", r.Value)
	}
	if r.NoReply {
		b.WriteString(" noreply")
	}
	if len(r.MetaFlags) > 0 {
		fmt.Fprintf(&b, " mflags=%q", strs(r.MetaFlags))
	}
	if r.Quiet {
		b.WriteString(" quiet")
	}
	if r.Opaque != nil {
		fmt.Fprintf(&b, " opaque=%q", r.Opaque)
	}
	if r.Base64 {
		b.WriteString(" base64")
	}
	return b.String()
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// verdict renders the outcome of ParseRequest for comparisons and messages.
func verdict(n int, req *Request, err error) string {
	var e *Error
	switch {
	case errors.Is(err, ErrIncomplete):
		return fmt.Sprintf("incomplete need=%d", n)
	case errors.As(err, &e):
		s := fmt.Sprintf("refused n=%d %q", n, e.Line)
		if e.Close {
			s += " close"
		}
		if e.NoReply {
			s += " noreply"
		}
		return s
	case err != nil:
		return "unexpected error " + err.Error()
	}
	return fmt.Sprintf("n=%d %s", n, describe(req))
}

func ok(n int, desc string) string           { return fmt.Sprintf("n=%d %s", n, desc) }
func incomplete(need int) string             { return fmt.Sprintf("incomplete need=%d", need) }
func refused(n int, e *Error) string         { return verdict(n, nil, e) }
func quietly(n int, e *Error) string         { return verdict(n, nil, refuse(e, true)) }
func lineLen(s string) int                   { return strings.IndexByte(s, '\n') + 1 }
func closed() string                         { return refused(0, ErrLineTooLong) }
func key(n int) string                       { return strings.Repeat("k", n) }
func metaFlags(n int) string                 { return strings.Repeat(" v", n) }
func unknown(in string) string               { return refused(lineLen(in), ErrUnknownCommand) }
func badFormat(in string) string             { return refused(lineLen(in), ErrBadFormat) }
func lineRefused(in string, e *Error) string { return refused(lineLen(in), e) }

type parseCase struct {
	name string
	in   string
	lim  Limits
	want string
}

func runParseCases(t *testing.T, tests []parseCase) {
	t.Helper()
	var req Request
	for _, tc := range tests {
		n, err := ParseRequest([]byte(tc.in), &req, tc.lim)
		if got := verdict(n, &req, err); got != tc.want {
			t.Errorf("%s: ParseRequest(%.80q): got %s, want %s", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestParseRequestRetrieval(t *testing.T) {
	runParseCases(t, []parseCase{
		{"get", "get k\r\n", Limits{}, ok(7, `get keys=["k"]`)},
		{"get LF only", "get k\n", Limits{}, ok(6, `get keys=["k"]`)},
		{"get many", "get a bb ccc\r\n", Limits{}, ok(14, `get keys=["a" "bb" "ccc"]`)},
		{"get repeated spaces", "  get   a  b  \r\n", Limits{}, ok(16, `get keys=["a" "b"]`)},
		{"get duplicate keys", "get a a\r\n", Limits{}, ok(9, `get keys=["a" "a"]`)},
		{"tab is part of a key", "get a\tb\r\n", Limits{}, ok(9, `get keys=["a\tb"]`)},
		{"CR inside a key", "get a\rb\r\n", Limits{}, ok(9, `get keys=["a\rb"]`)},
		{"only one CR dropped", "get a\r\r\n", Limits{}, ok(8, `get keys=["a\r"]`)},
		{"NUL ends the line", "get a\x00 b\r\n", Limits{}, ok(10, `get keys=["a"]`)},
		{"gets", "gets a b\r\n", Limits{}, ok(10, `gets keys=["a" "b"]`)},
		{"bget", "bget a\r\n", Limits{}, ok(8, `get keys=["a"]`)},
		{"gat", "gat 10 a b\r\n", Limits{}, ok(12, `gat keys=["a" "b"] exptime=10`)},
		{"gats negative", "gats -1 a\r\n", Limits{}, ok(11, `gats keys=["a"] exptime=-1`)},
		{"gat without keys", "gat 10\r\n", Limits{}, ok(8, `gat keys=[] exptime=10`)},
		{"key of 250", "get " + key(250) + "\r\n", Limits{}, ok(256, fmt.Sprintf(`get keys=["%s"]`, key(250)))},
		{"get", "get\r\n", Limits{}, unknown("get\r\n")},
		{"get space", "get \r\n", Limits{}, unknown("get \r\n")},
		{"upper case", "GET k\r\n", Limits{}, unknown("GET k\r\n")},
		{"get unknown suffix", "getx k\r\n", Limits{}, unknown("getx k\r\n")},
		{"key of 251", "get a " + key(251) + "\r\n", Limits{}, refused(259, ErrBadFormat)},
		{"gat bad exptime", "gat x k\r\n", Limits{}, lineRefused("gat x k\r\n", ErrBadExptime)},
		{"gat bad exptime before long key", "gat x " + key(251) + "\r\n", Limits{}, refused(259, ErrBadExptime)},
		{"gat long key", "gat 1 " + key(251) + "\r\n", Limits{}, refused(259, ErrBadFormat)},
		{"too many keys", "get a b c\r\n", Limits{MaxKeys: 2}, lineRefused("get a b c\r\n", ErrTooManyKeys)},
		{"long key before too many keys", "get a b " + key(251) + "\r\n", Limits{MaxKeys: 2}, refused(261, ErrBadFormat)},
		{"empty", "", Limits{}, incomplete(1)},
		{"open line", "get k", Limits{}, incomplete(6)},
		{"open line CR", "get k\r", Limits{}, incomplete(7)},
	})
}

func TestParseRequestLines(t *testing.T) {
	small := Limits{MaxLine: 16, MaxKeys: 2} // get lines up to 16+2*251 = 518
	runParseCases(t, []parseCase{
		{"CRLF", "\r\n", Limits{}, unknown("\r\n")},
		{"LF", "\n", Limits{}, unknown("\n")},
		{"spaces", "   \r\n", Limits{}, unknown("   \r\n")},
		{"one byte name", "x\r\n", Limits{}, unknown("x\r\n")},
		{"NUL first", "\x00version\r\n", Limits{}, unknown("\x00version\r\n")},
		{"line of MaxLine", key(2048) + "\n", Limits{}, refused(2049, ErrUnknownCommand)},
		{"open line of MaxLine", key(2048), Limits{}, incomplete(2049)},
		{"open line past MaxLine", key(2049), Limits{}, closed()},
		{"ended line past MaxLine", key(2049) + "\r\n", Limits{}, closed()},
		{"set line past MaxLine", "set " + key(3000) + " 0 0 1\r\nx\r\n", Limits{}, closed()},
		{"gat line past MaxLine", "gat 0 " + key(3000), Limits{}, closed()},
		{"get line past MaxLine", "get " + key(3000), Limits{}, incomplete(3005)},
		{"gets line past MaxLine", "gets " + key(3000), Limits{}, incomplete(3006)},
		{"get after 100 spaces", strings.Repeat(" ", 100) + "get " + key(3000), Limits{}, incomplete(3105)},
		{"get after 101 spaces", strings.Repeat(" ", 101) + "get " + key(3000), Limits{}, closed()},
		{"get with tab", "get\t" + key(3000), Limits{}, closed()},
		{"small: undecided", strings.Repeat(" ", 15) + "get", small, incomplete(19)},
		{"small: long get", "get " + strings.Repeat("a ", 200), small, incomplete(405)},
		{"small: get past its bound", "get " + strings.Repeat("a ", 300), small, closed()},
		{"small: get line ends", "get " + strings.Repeat(" ", 100) + "a b\r\n", small, ok(109, `get keys=["a" "b"]`)},
		{"small: set line", "set k 0 0 10000 noreply\r\n", small, closed()},
	})
}

func TestParseRequestStorage(t *testing.T) {
	setLine := "set k 0 0 5\r\n"
	runParseCases(t, []parseCase{
		{"set", "set k 0 0 5\r\nhello\r\n", Limits{}, ok(20, `set keys=["k"] value="hello"`)},
		{"set fields", "set k 7 -9 2\r\nhi\r\n", Limits{}, ok(18, `set keys=["k"] flags=7 exptime=-9 value="hi"`)},
		{"set noreply", "set k 0 0 5 noreply\r\nhello\r\n", Limits{}, ok(28, `set keys=["k"] value="hello" noreply`)},
		{"set empty value", "set k 0 0 0\r\n\r\n", Limits{}, ok(15, `set keys=["k"] value=""`)},
		{"binary value", "set k 0 0 4\r\n\r\n\x00\xff\r\n", Limits{}, ok(19, `set keys=["k"] value="\r\n\x00\xff"`)},
		{"set LF line", "set k 0 0 1\nx\r\n", Limits{}, ok(15, `set keys=["k"] value="x"`)},
		{"only the first request", "set k 0 0 1\r\nx\r\nget k\r\n", Limits{}, ok(16, `set keys=["k"] value="x"`)},
		{"add", "add k 0 0 1\r\nx\r\n", Limits{}, ok(16, `add keys=["k"] value="x"`)},
		{"replace", "replace k 0 0 1\r\nx\r\n", Limits{}, ok(20, `replace keys=["k"] value="x"`)},
		{"append", "append k 0 0 1\r\nx\r\n", Limits{}, ok(19, `append keys=["k"] value="x"`)},
		{"prepend", "prepend k 0 0 1\r\nx\r\n", Limits{}, ok(20, `prepend keys=["k"] value="x"`)},
		{"cas", "cas k 1 2 1 99\r\nx\r\n", Limits{}, ok(19, `cas keys=["k"] flags=1 exptime=2 cas=99 value="x"`)},
		{"cas noreply", "cas k 0 0 1 99 noreply\r\nx\r\n", Limits{}, ok(27, `cas keys=["k"] cas=99 value="x" noreply`)},
		{"a sixth token is not noreply", "set k 0 0 1 extra\r\nx\r\n", Limits{}, ok(22, `set keys=["k"] value="x"`)},

		// Numbers as memcached's safe_strto* read them.
		{"flags low 32 bits", "set k 4294967297 0 1\r\nx\r\n", Limits{}, ok(25, `set keys=["k"] flags=1 value="x"`)},
		{"bytes low 32 bits", "set k 0 0 4294967297\r\nx\r\n", Limits{}, ok(25, `set keys=["k"] value="x"`)},
		{"exptime low 32 bits", "set k 0 2147483648 1\r\nx\r\n", Limits{}, ok(25, `set keys=["k"] exptime=-2147483648 value="x"`)},
		{"flags minus zero", "set k -0 0 1\r\nx\r\n", Limits{}, ok(17, `set keys=["k"] value="x"`)},
		{"flags plus", "set k +5 0 1\r\nx\r\n", Limits{}, ok(17, `set keys=["k"] flags=5 value="x"`)},
		{"flags negated past 2^63", "set k -18446744073709551615 0 1\r\nx\r\n", Limits{}, ok(36, `set keys=["k"] flags=1 value="x"`)},
		{"leading zeros", "set k 0 0 01\r\nx\r\n", Limits{}, ok(17, `set keys=["k"] value="x"`)},
		{"leading tab", "set k 0 0 \t1\r\nx\r\n", Limits{}, ok(17, `set keys=["k"] value="x"`)},
		{"junk after tab", "set k 0 0 1\tjunk\r\nx\r\n", Limits{}, ok(21, `set keys=["k"] value="x"`)},
		{"CR CR LF", "set k 0 0 1\r\r\nx\r\n", Limits{}, ok(17, `set keys=["k"] value="x"`)},

		{"incomplete line", "set k 0 0 5", Limits{}, incomplete(12)},
		{"incomplete block", setLine, Limits{}, incomplete(20)},
		{"incomplete block part", setLine + "hel", Limits{}, incomplete(20)},
		{"incomplete block CR", setLine + "hello\r", Limits{}, incomplete(20)},
		{"large block", "set k 0 0 100000\r\nab", Limits{}, incomplete(100020)},

		{"bad data chunk", setLine + "helloXX\r\n", Limits{}, refused(20, ErrBadDataChunk)},
		{"bad data chunk LF", setLine + "hello\nv", Limits{}, refused(20, ErrBadDataChunk)},
		{"bad data chunk noreply", "set k 0 0 5 noreply\r\nhelloXX", Limits{}, quietly(28, ErrBadDataChunk)},
		{"too large", "set k 0 0 2000000\r\nhello", Limits{}, refused(19+2000002, ErrTooLarge)},
		{"too large noreply", "set k 0 0 2000000 noreply\r\n", Limits{}, quietly(27+2000002, ErrTooLarge)},
		{"too large at the limit", "set k 0 0 11\r\n", Limits{MaxValue: 10}, refused(14+13, ErrTooLarge)},
		{"not too large at the limit", "set k 0 0 10\r\n", Limits{MaxValue: 10}, incomplete(26)},
		{"largest size", "set k 0 0 2147483645\r\n", Limits{}, refused(22+2147483647, ErrTooLarge)},
		{"MaxValue capped by memcached", "set k 0 0 2147483645\r\n", Limits{MaxValue: 1 << 40}, incomplete(22 + 2147483647)},

		{"too few tokens", "set k 0 0\r\nx\r\n", Limits{}, unknown("set k 0 0\r\n")},
		{"too many tokens", "set k 0 0 1 noreply extra\r\nx\r\n", Limits{}, unknown("set k 0 0 1 noreply extra\r\n")},
		{"cas without unique", "cas k 0 0 1\r\nx\r\n", Limits{}, unknown("cas k 0 0 1\r\n")},
		{"NUL hides tokens", "set a\x00b 0 0 1\r\nx\r\n", Limits{}, unknown("set a\x00b 0 0 1\r\n")},
		{"tab does not split", "set k\t0 0 1\r\nx\r\n", Limits{}, unknown("set k\t0 0 1\r\n")},
		{"long key", "set " + key(251) + " 0 0 1\r\nx\r\n", Limits{}, refused(263, ErrBadFormat)},
		{"long key noreply", "set " + key(251) + " 0 0 1 noreply\r\nx\r\n", Limits{}, quietly(271, ErrBadFormat)},
		{"flags letters", "set k abc 0 5\r\nhello\r\n", Limits{}, badFormat("set k abc 0 5\r\n")},
		{"flags negative", "set k -1 0 1\r\nx\r\n", Limits{}, badFormat("set k -1 0 1\r\n")},
		{"flags hex", "set k 0x1 0 1\r\nx\r\n", Limits{}, badFormat("set k 0x1 0 1\r\n")},
		{"flags overflow", "set k 18446744073709551616 0 1\r\n", Limits{}, badFormat("set k 18446744073709551616 0 1\r\n")},
		{"exptime overflow", "set k 0 9223372036854775808 1\r\n", Limits{}, badFormat("set k 0 9223372036854775808 1\r\n")},
		{"bytes negative", "set k 0 0 -1\r\nx\r\n", Limits{}, badFormat("set k 0 0 -1\r\n")},
		{"bytes over INT_MAX-2", "set k 0 0 2147483646\r\n", Limits{}, badFormat("set k 0 0 2147483646\r\n")},
		{"bytes noreply", "set k 0 0 noreply\r\nhello\r\n", Limits{}, quietly(19, ErrBadFormat)},
		{"flags noreply", "set k abc 0 5 noreply\r\nhello\r\n", Limits{}, quietly(23, ErrBadFormat)},
		{"cas negative", "cas k 0 0 1 -1\r\nx\r\n", Limits{}, badFormat("cas k 0 0 1 -1\r\n")},
		{"cas noreply as unique", "cas k 0 0 1 noreply\r\nx\r\n", Limits{}, quietly(21, ErrBadFormat)},
	})
}

func TestParseRequestOneLine(t *testing.T) {
	long := key(251)
	runParseCases(t, []parseCase{
		{"delete", "delete k\r\n", Limits{}, ok(10, `delete keys=["k"]`)},
		{"delete 0", "delete k 0\r\n", Limits{}, ok(12, `delete keys=["k"]`)},
		{"delete noreply", "delete k noreply\r\n", Limits{}, ok(18, `delete keys=["k"] noreply`)},
		{"delete 0 noreply", "delete k 0 noreply\r\n", Limits{}, ok(20, `delete keys=["k"] noreply`)},
		{"delete", "delete\r\n", Limits{}, unknown("delete\r\n")},
		{"delete 5 tokens", "delete k x y z\r\n", Limits{}, unknown("delete k x y z\r\n")},
		{"delete 1", "delete k 1\r\n", Limits{}, lineRefused("delete k 1\r\n", ErrDeleteUsage)},
		{"delete 00", "delete k 00\r\n", Limits{}, lineRefused("delete k 00\r\n", ErrDeleteUsage)},
		{"delete 1 noreply", "delete k 1 noreply\r\n", Limits{}, quietly(20, ErrDeleteUsage)},
		{"delete noreply 0", "delete k noreply 0\r\n", Limits{}, lineRefused("delete k noreply 0\r\n", ErrDeleteUsage)},
		{"delete long key", "delete " + long + "\r\n", Limits{}, refused(260, ErrBadFormat)},
		{"delete long key noreply", "delete " + long + " noreply\r\n", Limits{}, quietly(268, ErrBadFormat)},

		{"incr", "incr k 5\r\n", Limits{}, ok(10, `incr keys=["k"] delta=5`)},
		{"decr noreply", "decr k 5 noreply\r\n", Limits{}, ok(18, `decr keys=["k"] delta=5 noreply`)},
		{"incr max", "incr k 18446744073709551615\r\n", Limits{}, ok(29, `incr keys=["k"] delta=18446744073709551615`)},
		{"incr fourth token ignored", "incr k 1 2\r\n", Limits{}, ok(12, `incr keys=["k"] delta=1`)},
		{"incr", "incr k\r\n", Limits{}, unknown("incr k\r\n")},
		{"incr letters", "incr k x\r\n", Limits{}, lineRefused("incr k x\r\n", ErrBadDelta)},
		{"incr negative", "incr k -1\r\n", Limits{}, lineRefused("incr k -1\r\n", ErrBadDelta)},
		{"incr overflow", "incr k 18446744073709551616\r\n", Limits{}, lineRefused("incr k 18446744073709551616\r\n", ErrBadDelta)},
		{"incr letters noreply", "incr k x noreply\r\n", Limits{}, quietly(18, ErrBadDelta)},
		{"incr noreply as delta", "incr k noreply\r\n", Limits{}, quietly(16, ErrBadDelta)},
		{"incr long key", "incr " + long + " x\r\n", Limits{}, refused(260, ErrBadFormat)},

		{"touch", "touch k 10\r\n", Limits{}, ok(12, `touch keys=["k"] exptime=10`)},
		{"touch noreply", "touch k 10 noreply\r\n", Limits{}, ok(20, `touch keys=["k"] exptime=10 noreply`)},
		{"touch", "touch k\r\n", Limits{}, unknown("touch k\r\n")},
		{"touch letters", "touch k x\r\n", Limits{}, lineRefused("touch k x\r\n", ErrBadExptime)},
		{"touch letters noreply", "touch k x noreply\r\n", Limits{}, quietly(19, ErrBadExptime)},
		{"touch long key", "touch " + long + " x\r\n", Limits{}, refused(261, ErrBadFormat)},

		{"flush_all", "flush_all\r\n", Limits{}, ok(11, `flush_all`)},
		{"flush_all delay", "flush_all 10\r\n", Limits{}, ok(14, `flush_all exptime=10`)},
		{"flush_all noreply", "flush_all noreply\r\n", Limits{}, ok(19, `flush_all noreply`)},
		{"flush_all delay noreply", "flush_all -1 noreply\r\n", Limits{}, ok(22, `flush_all exptime=-1 noreply`)},
		{"flush_all third token ignored", "flush_all 0 x\r\n", Limits{}, ok(15, `flush_all`)},
		{"flush_all letters", "flush_all x\r\n", Limits{}, lineRefused("flush_all x\r\n", ErrBadExptime)},
		{"flush_all letters noreply", "flush_all x noreply\r\n", Limits{}, quietly(21, ErrBadExptime)},
		{"flush_all 4 tokens", "flush_all 0 0 0\r\n", Limits{}, unknown("flush_all 0 0 0\r\n")},

		{"verbosity", "verbosity 1\r\n", Limits{}, ok(13, `verbosity`)},
		{"verbosity noreply", "verbosity 1 noreply\r\n", Limits{}, ok(21, `verbosity noreply`)},
		{"verbosity third token ignored", "verbosity 1 2\r\n", Limits{}, ok(15, `verbosity`)},
		{"verbosity", "verbosity\r\n", Limits{}, unknown("verbosity\r\n")},
		{"verbosity 4 tokens", "verbosity 1 2 3\r\n", Limits{}, unknown("verbosity 1 2 3\r\n")},
		{"verbosity letters", "verbosity x\r\n", Limits{}, lineRefused("verbosity x\r\n", ErrBadFormat)},
		{"verbosity noreply only", "verbosity noreply\r\n", Limits{}, quietly(19, ErrBadFormat)},

		{"version", "version\r\n", Limits{}, ok(9, `version`)},
		{"version ignores tokens", "version junk\r\n", Limits{}, ok(14, `version`)},
		{"versions", "versions\r\n", Limits{}, unknown("versions\r\n")},
		{"quit", "quit\r\n", Limits{}, ok(6, `quit`)},
		{"stats", "stats\r\n", Limits{}, ok(7, `stats`)},
		{"stats args", "stats items\r\n", Limits{}, ok(13, `stats`)},
		{"shutdown", "shutdown\r\n", Limits{}, ok(10, `admin`)},
		{"lru_crawler", "lru_crawler sleep 10\r\n", Limits{}, ok(22, `admin`)},
	})
}

// TestParseRequestArgs checks that Args are split on spaces only and kept
// when the command is refused.
func TestParseRequestArgs(t *testing.T) {
	var req Request
	in := "  gat\t 5  a b\r\n"
	n, err := ParseRequest([]byte(in), &req, Limits{})
	if err != ErrUnknownCommand || n != len(in) {
		t.Fatalf("ParseRequest(%q): got %d, %v, want %d, ERROR", in, n, err, len(in))
	}
	if got, want := strs(req.Args), []string{"gat\t", "5", "a", "b"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Args: got %q, want %q", got, want)
	}
	if req.Kind != KindUnknown || string(req.Name) != "gat\t" {
		t.Errorf("got kind %v name %q, want unknown, %q", req.Kind, req.Name, "gat\t")
	}
}
