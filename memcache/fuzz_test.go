package memcache

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

var small = Limits{MaxValue: 10, MaxKeys: 3, MaxLine: 32}

var requestSeeds = []string{
	"get a b c\r\nset k 0 0 5\r\nhello\r\nmg k v q O1\r\n",
	"gat 10 a\r\ngats x b\r\nbget c\r\nget\r\n",
	"set k 0 0 5 noreply\r\nhelloXX\r\nversion\r\n",
	"set k 0 0 2000000\r\nhello\r\nversion\r\n",
	"cas k 1 2 3 4 noreply\r\nabc\r\nincr k 5\r\ndecr k x noreply\r\n",
	"delete k 0 noreply\r\ndelete k 1\r\ntouch k 10\r\nflush_all 0 x\r\nverbosity 1 2\r\n",
	"ms k 5 q T0\r\nhello\r\nms k 2147483646\r\nmd k q\r\nma k D1 v\r\nmn\r\nme k b\r\n",
	"stats items\r\nquit\r\nshutdown\r\nGET k\r\n\r\n\n   \r\nx\r\n",
	"set k -18446744073709551615 4294967297 \t1\tjunk\r\nx\r\n",
	"get a\x00b\r\nget a\tb\r\nget a\rb\r\r\n",
	"                                                                                                   get aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"set kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk 0 0 1\r\nx\r\n",
}

var replySeeds = []string{
	"VALUE a 0 5\r\nhello\r\nVALUE b 1 1 99\r\nx\r\nEND\r\n",
	"END\r\n", "STORED\r\n", "CLIENT_ERROR bad data chunk\r\n", "ERROR\r\n",
	"STAT pid 1\r\nSTAT uptime 5\r\nEND\r\n", "ITEM a [1 b; 0 s]\r\nEND\r\n", "RESET\r\n",
	"VA 5 f0 t-1\r\nhello\r\n", "VA 2\r\n10\r\n", "HD\r\n", "EN\r\n", "MN\r\n",
	"VALUE a 0 x\r\n", "VA 99999999999999\r\n", "END\n", "\r\n",
}

// replyRequests are the requests FuzzReplyLen measures replies to.
var replyRequests = []string{
	"get a b\r\n", "gets a\r\n", "gat 1 a\r\n", "set k 0 0 1\r\nx\r\n", "set k 0 0 1 noreply\r\nx\r\n",
	"stats\r\n", "mg k v\r\n", "ma k v\r\n", "ms k 1\r\nx\r\n", "md k\r\n", "mn\r\n", "me k\r\n",
	"version\r\n", "quit\r\n", "incr k 1\r\n",
}

type outcome struct {
	n    int
	desc string
	err  error
}

func (o outcome) String() string {
	if o.err == nil {
		return fmt.Sprintf("n=%d %s", o.n, o.desc)
	}
	return verdict(o.n, nil, o.err)
}

// parseOutcome parses buf and checks the invariants of any outcome.
// With checkInput, it also checks that ParseRequest left buf unchanged.
func parseOutcome(t *testing.T, buf []byte, lim Limits, checkInput bool) outcome {
	t.Helper()
	var orig []byte
	if checkInput {
		orig = bytes.Clone(buf)
	}
	var req Request
	n, err := ParseRequest(buf, &req, lim)
	if checkInput && !bytes.Equal(buf, orig) {
		t.Fatalf("ParseRequest(%q) changed its input to %q", orig, buf)
	}
	var e *Error
	switch {
	case err == nil && (n < 1 || n > len(buf)):
		t.Fatalf("ParseRequest(%q): got n=%d, want 1..%d", buf, n, len(buf))
	case errors.Is(err, ErrIncomplete):
		if n <= len(buf) {
			t.Fatalf("ParseRequest(%q): got incomplete with need=%d, want more than %d", buf, n, len(buf))
		}
	case err != nil && !errors.As(err, &e):
		t.Fatalf("ParseRequest(%q): got error %v, want ErrIncomplete or *Error", buf, err)
	case e != nil && e.Close && n != 0:
		t.Fatalf("ParseRequest(%q): got n=%d with %v, want 0", buf, n, err)
	case e != nil && !e.Close && (n < 1 || (n > len(buf) && !errors.Is(err, ErrTooLarge))):
		t.Fatalf("ParseRequest(%q): got n=%d with %v, want 1..%d", buf, n, err, len(buf))
	}
	if err == nil {
		checkCanonical(t, buf[:n], &req, lim)
	}
	return outcome{n, describe(&req), err}
}

// checkCanonical checks that the canonical form of an accepted request
// parses to the same request.
func checkCanonical(t *testing.T, raw []byte, req *Request, lim Limits) {
	t.Helper()
	canon := AppendRequest(nil, req)
	lim.MaxLine = max(lim.MaxLine, DefaultMaxLine) + 1 // a bare "\n" became "\r\n"
	var again Request
	n, err := ParseRequest(canon, &again, lim)
	if err != nil || n != len(canon) || describe(&again) != describe(req) {
		t.Fatalf("canonical form %q of %q: got %s, want %s", canon, raw, verdict(n, &again, err), describe(req))
	}
}

// FuzzParseRequest parses data as a stream of requests, whole and fed in
// random pieces as a session would read it, and checks that the two agree
// and that every ErrIncomplete length is a true lower bound.
func FuzzParseRequest(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add([]byte(s), uint64(1), false)
		f.Add([]byte(s), uint64(2), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, useSmall bool) {
		lim := Limits{}
		if useSmall {
			lim = small
		}
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		for off := 0; off < len(data); {
			rest := data[off:]
			whole := parseOutcome(t, rest, lim, true)
			end := len(rest)
			if whole.err == nil || (whole.n > 0 && whole.n < end) {
				end = whole.n
			}
			for range cutsPerRequest {
				have := rng.IntN(end + 1)
				part := parseOutcome(t, rest[:have], lim, false)
				if errors.Is(part.err, ErrIncomplete) {
					checkNeed(t, rest, have, part.n, whole, lim)
				} else if part.String() != whole.String() {
					t.Fatalf("fed %q of %q: got %s, want %s as for the whole", rest[:have], rest, part, whole)
				}
			}
			if whole.err != nil && (errors.Is(whole.err, ErrIncomplete) || whole.n == 0 || whole.n > len(rest)) {
				return
			}
			off += whole.n
		}
	})
}

// cutsPerRequest is how many random prefixes of each request the fuzz
// targets try, besides the whole.
const cutsPerRequest = 8

// checkNeed checks that need, from parsing rest[:have], is a lower bound:
// the outcome cannot change before rest holds need bytes.
func checkNeed(t *testing.T, rest []byte, have, need int, whole outcome, lim Limits) {
	t.Helper()
	if !errors.Is(whole.err, ErrIncomplete) && whole.n > 0 && need > whole.n {
		t.Fatalf("fed %q: got need=%d, but %q gives %s", rest[:have], need, rest, whole)
	}
	if need-1 <= len(rest) && need-1 > have {
		if o := parseOutcome(t, rest[:need-1], lim, false); !errors.Is(o.err, ErrIncomplete) {
			t.Fatalf("fed %q: got need=%d, but %q already gives %s", rest[:have], need, rest[:need-1], o)
		}
	}
}

// FuzzReplyLen measures data as the reply to one of replyRequests, whole
// and cut at random points, and checks NextValue against ReplyLen.
func FuzzReplyLen(f *testing.F) {
	for i, s := range replySeeds {
		f.Add([]byte(s), uint8(i), uint64(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8, seed uint64) {
		req := mustParse(t, replyRequests[int(which)%len(replyRequests)])
		wn, werr := replyOutcome(t, data, req)
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		for range cutsPerRequest {
			l := rng.IntN(len(data) + 1)
			n, err := replyOutcome(t, data[:l], req)
			switch {
			case errors.Is(err, ErrIncomplete):
				if werr == nil && n > wn {
					t.Fatalf("ReplyLen(%q): got need=%d, but %q completes at %d", data[:l], n, data, wn)
				}
				if n-1 <= len(data) && n-1 > l {
					if m, err := replyOutcome(t, data[:n-1], req); !errors.Is(err, ErrIncomplete) {
						t.Fatalf("ReplyLen(%q): got need=%d, but %q gives %s", data[:l], n, data[:n-1], replyVerdict(m, err))
					}
				}
			case replyVerdict(n, err) != replyVerdict(wn, werr):
				t.Fatalf("ReplyLen(%q): got %s, want %s as for %q", data[:l], replyVerdict(n, err), replyVerdict(wn, werr), data)
			}
		}
		if werr == nil && req.Kind.IsFetch() {
			checkNextValue(t, data[:wn])
		}
	})
}

func replyOutcome(t *testing.T, buf []byte, req *Request) (int, error) {
	t.Helper()
	n, err := ReplyLen(buf, req)
	switch {
	case err == nil && (n < 0 || n > len(buf) || (n == 0 && !req.NoReply && req.Kind != KindQuit)):
		t.Fatalf("ReplyLen(%q): got n=%d, want 1..%d", buf, n, len(buf))
	case errors.Is(err, ErrIncomplete) && n <= len(buf):
		t.Fatalf("ReplyLen(%q): got incomplete with need=%d, want more than %d", buf, n, len(buf))
	case err != nil && !errors.Is(err, ErrIncomplete) && !errors.Is(err, ErrMalformedReply):
		t.Fatalf("ReplyLen(%q): got %v, want ErrIncomplete or ErrMalformedReply", buf, err)
	}
	return n, err
}

// checkNextValue walks a complete get reply with NextValue: the blocks must
// be followed by exactly one line.
func checkNextValue(t *testing.T, reply []byte) {
	t.Helper()
	rest := reply
	for {
		key, block, r, ok := NextValue(rest)
		if !ok {
			break
		}
		if !bytes.HasPrefix(block, append([]byte("VALUE "), key...)) || len(block)+len(r) != len(rest) {
			t.Fatalf("NextValue(%q): got key %q block %q rest %q", rest, key, block, r)
		}
		rest = r
	}
	if end, err := replyLine(rest, 0); err != nil || end != len(rest) || bytes.HasPrefix(rest, []byte("VALUE ")) {
		t.Fatalf("NextValue over %q: left %q, want one final line", reply, rest)
	}
}
