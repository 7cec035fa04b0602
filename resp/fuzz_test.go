package resp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

var requestSeeds = []string{
	"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nxx\r\n",
	"*0\r\n*-1\r\n*1\r\n$0\r\n\r\n",
	"*1\rx$4\rxPINGxy",
	"*1\r\n$4\x00\r\nPING\r\n",
	"*x\r\n", "*1\r\n:1\r\n", "*1\r\n$-1\r\n", "*99999999999999999999\r\n",
	"GET k\r\nSET k \"a\\x41\\n\" 'b\\'c'\n\r\n\n",
	"ECHO \"a\"b\r\n", "ECHO 'abc\r\n", "a\vb\fc\rd\r\n",
	"a\x00b\n", "   \t\r\n",
	"*20\r\n", "$5\r\nhello\r\n",
}

var replySeeds = []string{
	"+OK\r\n", "-ERR x\r\n", ":42\r\n", ":-1\r\n",
	"$3\r\nabc\r\n", "$-1\r\n", "$0\r\n\r\n",
	"*3\r\n$1\r\nx\r\n$-1\r\n$2\r\nyz\r\n",
	"*2\r\n*1\r\n:1\r\n*-1\r\n", "*0\r\n",
	"*1\r\n*1\r\n*1\r\n*1\r\n+deep\r\n",
	"%1\r\n", "_\r\n", "+a\rb\r\n", "$3\r\nabcd\r\n", "$9223372036854775807\r\n",
}

type outcome struct {
	n    int
	args [][]byte
	err  error
}

func (o outcome) String() string { return verdict(o.n, o.args, o.err) }

func parseOutcome(t *testing.T, buf []byte, lim Limits) outcome {
	t.Helper()
	orig := bytes.Clone(buf)
	n, args, err := ParseRequest(buf, nil, lim)
	if !bytes.Equal(buf, orig) {
		t.Fatalf("ParseRequest(%q) changed its input to %q", orig, buf)
	}
	var pe *ProtocolError
	switch {
	case err == nil && (n < 1 || n > len(buf)):
		t.Fatalf("ParseRequest(%q): got n=%d, want 1..%d", buf, n, len(buf))
	case errors.Is(err, ErrIncomplete) && n <= len(buf):
		t.Fatalf("ParseRequest(%q): got incomplete with need=%d, want more than %d", buf, n, len(buf))
	case err != nil && !errors.Is(err, ErrIncomplete) && !errors.As(err, &pe):
		t.Fatalf("ParseRequest(%q): got error %v, want ErrIncomplete or *ProtocolError", buf, err)
	}
	return outcome{n, args, err}
}

// FuzzParseRequest parses data as a stream of requests, first whole and then
// fed in random pieces as a session would read it, and checks that the two
// agree and that every ErrIncomplete length is a true lower bound.
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
		avail := 0
		for off := 0; off < len(data); {
			whole := parseOutcome(t, data[off:], lim)
			for {
				avail = min(len(data), avail+1+rng.IntN(8))
				part := parseOutcome(t, data[off:avail], lim)
				if errors.Is(part.err, ErrIncomplete) {
					checkNeed(t, data[off:], avail-off, part.n, whole, lim)
					if avail < len(data) {
						continue
					}
				}
				if part.String() != whole.String() {
					t.Fatalf("fed %q of %q: got %s, want %s as for the whole", data[off:avail], data[off:], part, whole)
				}
				break
			}
			if whole.err != nil {
				return
			}
			off += whole.n
			avail = max(avail, off)
		}
	})
}

// checkNeed checks that need, from parsing rest[:have], is a lower bound:
// the outcome cannot change before rest holds need bytes.
func checkNeed(t *testing.T, rest []byte, have, need int, whole outcome, lim Limits) {
	t.Helper()
	if whole.err == nil && need > whole.n {
		t.Fatalf("fed %q: got need=%d, but %q completes at %d", rest[:have], need, rest, whole.n)
	}
	if need-1 <= len(rest) && need-1 > have {
		if o := parseOutcome(t, rest[:need-1], lim); !errors.Is(o.err, ErrIncomplete) {
			t.Fatalf("fed %q: got need=%d, but %q already gives %s", rest[:have], need, rest[:need-1], o)
		}
	}
}

// FuzzReplyLen measures data whole and fed in random pieces, and checks
// ReadReply, ArrayElems and ParseInt against ReplyLen.
func FuzzReplyLen(f *testing.F) {
	for _, s := range replySeeds {
		f.Add([]byte(s), uint64(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		wn, werr := replyOutcome(t, data)
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		for l := 0; l <= len(data); l += 1 + rng.IntN(8) {
			n, err := replyOutcome(t, data[:l])
			switch {
			case errors.Is(err, ErrIncomplete):
				if werr == nil && n > wn {
					t.Fatalf("ReplyLen(%q): got need=%d, but %q completes at %d", data[:l], n, data, wn)
				}
				if n-1 <= len(data) && n-1 > l {
					if m, err := replyOutcome(t, data[:n-1]); !errors.Is(err, ErrIncomplete) {
						t.Fatalf("ReplyLen(%q): got need=%d, but %q gives %s", data[:l], n, data[:n-1], replyVerdict(m, err))
					}
				}
			case replyVerdict(n, err) != replyVerdict(wn, werr):
				t.Fatalf("ReplyLen(%q): got %s, want %s as for %q", data[:l], replyVerdict(n, err), replyVerdict(wn, werr), data)
			}
		}
		checkReadReply(t, data, wn, werr)
		if werr != nil {
			return
		}
		reply := data[:wn]
		if elems, ok := ArrayElems(reply, nil); ok {
			if got := bytes.Join(elems, nil); !bytes.HasSuffix(reply, got) || reply[0] != '*' {
				t.Fatalf("ArrayElems(%q): got %q, want the array's tail", reply, elems)
			}
		} else if reply[0] == '*' && reply[1] != '-' {
			t.Fatalf("ArrayElems(%q): got ok=false for an array", reply)
		}
		if _, ok := ParseInt(reply); ok != (reply[0] == ':') {
			t.Fatalf("ParseInt(%q): got ok=%v", reply, ok)
		}
	})
}

func replyOutcome(t *testing.T, buf []byte) (int, error) {
	t.Helper()
	n, err := ReplyLen(buf)
	var pe *ProtocolError
	switch {
	case err == nil && (n < 1 || n > len(buf)):
		t.Fatalf("ReplyLen(%q): got n=%d, want 1..%d", buf, n, len(buf))
	case errors.Is(err, ErrIncomplete) && n <= len(buf):
		t.Fatalf("ReplyLen(%q): got incomplete with need=%d, want more than %d", buf, n, len(buf))
	case err != nil && !errors.Is(err, ErrIncomplete) && !errors.As(err, &pe):
		t.Fatalf("ReplyLen(%q): got %v, want ErrIncomplete or *ProtocolError", buf, err)
	}
	return n, err
}

func checkReadReply(t *testing.T, data []byte, wn int, werr error) {
	t.Helper()
	got, err := ReadReply(bufio.NewReaderSize(bytes.NewReader(data), 16))
	switch {
	case werr == nil && (err != nil || !bytes.Equal(got, data[:wn])):
		t.Fatalf("ReadReply(%q): got %q, %v, want %q", data, got, err, data[:wn])
	case errors.Is(werr, ErrIncomplete) && err != io.EOF && err != io.ErrUnexpectedEOF:
		t.Fatalf("ReadReply(%q): got %q, %v, want an EOF error", data, got, err)
	case werr != nil && err == nil:
		t.Fatalf("ReadReply(%q): got %q, want an error like %v", data, got, werr)
	}
}
