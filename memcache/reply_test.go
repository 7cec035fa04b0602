package memcache

import (
	"errors"
	"fmt"
	"testing"
)

func replyVerdict(n int, err error) string {
	switch {
	case errors.Is(err, ErrIncomplete):
		return fmt.Sprintf("incomplete need=%d", n)
	case errors.Is(err, ErrMalformedReply):
		return "malformed"
	case err != nil:
		return "unexpected error " + err.Error()
	}
	return fmt.Sprintf("n=%d", n)
}

func mustParse(t testing.TB, in string) *Request {
	t.Helper()
	req := new(Request)
	if _, err := ParseRequest([]byte(in), req, Limits{}); err != nil {
		t.Fatalf("ParseRequest(%q): %v", in, err)
	}
	return req
}

func TestReplyLen(t *testing.T) {
	const (
		get   = "get a b\r\n"
		gets  = "gets a\r\n"
		set   = "set k 0 0 1\r\nx\r\n"
		stats = "stats\r\n"
		mg    = "mg k v\r\n"
		ma    = "ma k v\r\n"
	)
	value := "VALUE a 0 5\r\nhello\r\n"
	tests := []struct {
		name, req, reply string
		want             string
	}{
		{"get miss", get, "END\r\n", "n=5"},
		{"get hit", get, value + "END\r\n", "n=25"},
		{"get two hits", get, value + "VALUE b 1 0\r\n\r\nEND\r\n", "n=40"},
		{"gets hit", gets, "VALUE a 0 1 12\r\nx\r\nEND\r\n", "n=24"},
		{"data holding END", get, "VALUE a 0 5\r\nEND\r\n\r\nEND\r\n", "n=25"},
		{"binary data", get, "VALUE a 0 4\r\n\n\r\x00\xff\r\nEND\r\n", "n=24"},
		{"key with CR", get, "VALUE a\rb 0 1\r\nx\r\nEND\r\n", "n=23"},
		{"get error", get, "CLIENT_ERROR bad command line format\r\n", "n=38"},
		{"get server error", get, "SERVER_ERROR out of memory writing get response\r\nEND\r\n", "n=49"},
		{"trailing bytes", get, "END\r\nSTORED\r\n", "n=5"},
		{"get empty", get, "", "incomplete need=1"},
		{"get partial VALUE", get, "VAL", "incomplete need=4"},
		{"get partial header", get, "VALUE a 0 5", "incomplete need=12"},
		{"get partial data", get, "VALUE a 0 5\r\nhel", "incomplete need=20"},
		{"get large data", get, "VALUE a 0 100000\r\nab", "incomplete need=100020"},
		{"get before END", get, value, "incomplete need=21"},
		{"get partial END", get, value + "EN", "incomplete need=23"},
		{"get bad size", get, "VALUE a 0 x\r\nEND\r\n", "malformed"},
		{"get negative size", get, "VALUE a 0 -1\r\nEND\r\n", "malformed"},
		{"get two fields", get, "VALUE a 0\r\nEND\r\n", "malformed"},
		{"get five fields", get, "VALUE a 0 1 2 3\r\nx\r\nEND\r\n", "malformed"},
		{"get double space", get, "VALUE a  0 1\r\nx\r\nEND\r\n", "malformed"},
		{"get bad data end", get, "VALUE a 0 1\r\nxy\r\nEND\r\n", "malformed"},
		{"LF without CR", get, "END\n", "malformed"},
		{"lone LF", get, "\n", "malformed"},

		{"set", set, "STORED\r\n", "n=8"},
		{"set error", set, "SERVER_ERROR object too large for cache\r\n", "n=41"},
		{"set partial", set, "STORED\r", "incomplete need=8"},
		{"set noreply", "set k 0 0 1 noreply\r\nx\r\n", "", "n=0"},
		{"delete", "delete k\r\n", "NOT_FOUND\r\n", "n=11"},
		{"incr", "incr k 1\r\n", "42\r\n", "n=4"},
		{"touch", "touch k 1\r\n", "TOUCHED\r\n", "n=9"},
		{"flush_all", "flush_all\r\n", "OK\r\n", "n=4"},
		{"flush_all noreply", "flush_all noreply\r\n", "", "n=0"},
		{"version", "version\r\n", "VERSION 1.6.18\r\n", "n=16"},
		{"verbosity", "verbosity 1\r\n", "OK\r\n", "n=4"},
		{"quit", "quit\r\n", "", "n=0"},
		{"admin", "slabs automove 1\r\n", "OK\r\n", "n=4"},

		{"stats", stats, "STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n", "n=32"},
		{"stats items empty", stats, "END\r\n", "n=5"},
		{"stats reset", "stats reset\r\n", "RESET\r\n", "n=7"},
		{"stats cachedump", stats, "ITEM k [1 b; 0 s]\r\nEND\r\n", "n=24"},
		{"stats detail dump", stats, "PREFIX a get 1 hit 0 set 0 del 0\r\nEND\r\n", "n=39"},
		{"stats error", stats, "ERROR\r\n", "n=7"},
		{"stats partial", stats, "STAT pid 1\r\nST", "incomplete need=15"},
		{"stats partial PREFIX", stats, "PREF", "incomplete need=5"},

		{"mg hit", mg, "VA 5 f0\r\nhello\r\n", "n=16"},
		{"mg hit no flags", mg, "VA 1\r\nx\r\n", "n=9"},
		{"mg miss", mg, "EN\r\n", "n=4"},
		{"mg HD", "mg k\r\n", "HD f0\r\n", "n=7"},
		{"mg error", mg, "CLIENT_ERROR bad command line format\r\n", "n=38"},
		{"mg partial data", mg, "VA 5\r\nhel", "incomplete need=13"},
		{"mg bad VA", mg, "VA x\r\nhello\r\n", "malformed"},
		{"mg VA without size", mg, "VA \r\n", "malformed"},
		{"ma value", ma, "VA 2\r\n10\r\n", "n=10"},
		{"ms", "ms k 1 q\r\nx\r\n", "HD\r\n", "n=4"},
		{"ms VA is one line", "ms k 1\r\nx\r\n", "VA 1\r\n", "n=6"},
		{"md", "md k\r\n", "NF\r\n", "n=4"},
		{"mn", "mn\r\n", "MN\r\n", "n=4"},
		{"me", "me k\r\n", "ME k exp=-1 la=1 cas=2 fetch=no cls=1 size=63\r\n", "n=47"},
	}
	for _, tc := range tests {
		req := mustParse(t, tc.req)
		n, err := ReplyLen([]byte(tc.reply), req)
		if got := replyVerdict(n, err); got != tc.want {
			t.Errorf("%s: ReplyLen(%q) to %q: got %s, want %s", tc.name, tc.reply, tc.req, got, tc.want)
		}
	}
}

func TestReplyLenLongLine(t *testing.T) {
	req := mustParse(t, "version\r\n")
	long := make([]byte, maxReplyLine)
	for i := range long {
		long[i] = 'x'
	}
	if n, err := ReplyLen(long[:maxReplyLine-1], req); !errors.Is(err, ErrIncomplete) || n != maxReplyLine {
		t.Errorf("ReplyLen of %d bytes: got %d, %v, want incomplete need=%d", maxReplyLine-1, n, err, maxReplyLine)
	}
	if _, err := ReplyLen(long, req); !errors.Is(err, ErrMalformedReply) {
		t.Errorf("ReplyLen of %d bytes without LF: got %v, want malformed", maxReplyLine, err)
	}
}

func TestNextValue(t *testing.T) {
	reply := []byte("VALUE a 0 1\r\nx\r\nVALUE bb 3 2 99\r\nyz\r\nEND\r\n")
	var keys, blocks []string
	rest := reply
	for {
		key, block, r, ok := NextValue(rest)
		if !ok {
			break
		}
		keys, blocks, rest = append(keys, string(key)), append(blocks, string(block)), r
	}
	if fmt.Sprint(keys) != "[a bb]" || len(blocks) != 2 || blocks[1] != "VALUE bb 3 2 99\r\nyz\r\n" || string(rest) != "END\r\n" {
		t.Errorf("NextValue: got keys %q blocks %q rest %q", keys, blocks, rest)
	}
	for _, in := range []string{"END\r\n", "VALUE a 0 1\r\nx", "VALUE a 0 1\r\nxy\r\n", "ERROR\r\n", ""} {
		if _, _, r, ok := NextValue([]byte(in)); ok || string(r) != in {
			t.Errorf("NextValue(%q): got ok=%v rest=%q, want false and the input", in, ok, r)
		}
	}
}
