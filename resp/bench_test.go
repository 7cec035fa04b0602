package resp

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseRequestPipelined parses a read's worth of 16 pipelined
// "GET key:000123" requests, reusing the args slice as a session does.
func BenchmarkParseRequestPipelined(b *testing.B) {
	var buf []byte
	for i := range 16 {
		buf = AppendCommand(buf, []byte("GET"), fmt.Appendf(nil, "key:%06d", 123+i))
	}
	args := make([][]byte, 0, 8)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		rest := buf
		for len(rest) > 0 {
			n, a, err := ParseRequest(rest, args, Limits{})
			if err != nil || len(a) != 2 {
				b.Fatalf("got %d args, %v", len(a), err)
			}
			args = a
			rest = rest[n:]
		}
	}
}

// BenchmarkParseRequestInline parses 16 pipelined inline GETs.
func BenchmarkParseRequestInline(b *testing.B) {
	buf := []byte(strings.Repeat("GET key:000123\r\n", 16))
	args := make([][]byte, 0, 8)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		rest := buf
		for len(rest) > 0 {
			n, a, err := ParseRequest(rest, args, Limits{})
			if err != nil || len(a) != 2 {
				b.Fatalf("got %d args, %v", len(a), err)
			}
			args = a
			rest = rest[n:]
		}
	}
}

func benchReplyLen(b *testing.B, reply []byte) {
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := ReplyLen(reply); err != nil || n != len(reply) {
			b.Fatalf("got %d, %v", n, err)
		}
	}
}

// BenchmarkReplyLenBulk measures a 16 KiB bulk reply: the payload is jumped
// over, so the cost does not grow with its size.
func BenchmarkReplyLenBulk(b *testing.B) {
	benchReplyLen(b, AppendBulk(nil, make([]byte, 16<<10)))
}

// BenchmarkReplyLenBulkIncomplete measures the first read of a 1 MiB bulk.
func BenchmarkReplyLenBulkIncomplete(b *testing.B) {
	reply := AppendBulk(nil, make([]byte, 1<<20))[:16<<10]
	b.ReportAllocs()
	for b.Loop() {
		if n, err := ReplyLen(reply); err != ErrIncomplete || n != 1<<20+12 {
			b.Fatalf("got %d, %v", n, err)
		}
	}
}

// BenchmarkReplyLenMGET measures an MGET reply of 16 values and 4 misses.
func BenchmarkReplyLenMGET(b *testing.B) {
	reply := AppendArrayHeader(nil, 20)
	for i := range 20 {
		if i%5 == 4 {
			reply = AppendNull(reply)
			continue
		}
		reply = AppendBulk(reply, fmt.Appendf(nil, "value-%032d", i))
	}
	benchReplyLen(b, reply)
}

// BenchmarkArrayElemsMGET splits the same MGET reply into its elements.
func BenchmarkArrayElemsMGET(b *testing.B) {
	reply := AppendArrayHeader(nil, 20)
	for i := range 20 {
		reply = AppendBulk(reply, fmt.Appendf(nil, "value-%032d", i))
	}
	elems := make([][]byte, 0, 20)
	b.ReportAllocs()
	for b.Loop() {
		var ok bool
		if elems, ok = ArrayElems(reply, elems[:0]); !ok || len(elems) != 20 {
			b.Fatalf("got %d, %v", len(elems), ok)
		}
	}
}

// TestHotPathAllocs asserts what the benchmarks report: parsing multibulk
// and plain inline requests and measuring replies allocate nothing.
func TestHotPathAllocs(t *testing.T) {
	req := AppendCommand(nil, []byte("GET"), []byte("key:000123"))
	req = append(req, "SET key:1 value\r\n"...)
	reply := []byte("*3\r\n$1\r\nx\r\n$-1\r\n*1\r\n:1\r\n")
	args := make([][]byte, 0, 8)
	elems := make([][]byte, 0, 8)
	tests := []struct {
		name string
		fn   func()
	}{
		{"ParseRequest", func() {
			rest := req
			for len(rest) > 0 {
				n, a, err := ParseRequest(rest, args, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				args, rest = a, rest[n:]
			}
		}},
		{"ParseRequest incomplete", func() { _, args, _ = ParseRequest(req[:20], args, Limits{}) }},
		{"ReplyLen", func() { _, _ = ReplyLen(reply) }},
		{"ReplyLen incomplete", func() { _, _ = ReplyLen(reply[:10]) }},
		{"ArrayElems", func() { elems, _ = ArrayElems(reply, elems[:0]) }},
		{"ParseInt", func() { _, _ = ParseInt([]byte(":12\r\n")) }},
	}
	for _, tc := range tests {
		if got := testing.AllocsPerRun(100, tc.fn); got != 0 {
			t.Errorf("%s: got %v allocs per run, want 0", tc.name, got)
		}
	}
}
