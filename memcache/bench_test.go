package memcache

import (
	"fmt"
	"strings"
	"testing"
)

func get100() []byte {
	var b strings.Builder
	b.WriteString("get")
	for i := range 100 {
		fmt.Fprintf(&b, " k%d", i+1)
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

func set100() []byte {
	return []byte("set key:000123 0 3600 100\r\n" + strings.Repeat("v", 100) + "\r\n")
}

func get100Reply() []byte {
	var reply []byte
	for i := range 100 {
		reply = AppendValue(reply, fmt.Appendf(nil, "k%d", i+1), 0, []byte(strings.Repeat("v", 32)))
	}
	return AppendEnd(reply)
}

func benchParse(b *testing.B, buf []byte) {
	var req Request
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		rest := buf
		for len(rest) > 0 {
			n, err := ParseRequest(rest, &req, Limits{})
			if err != nil {
				b.Fatal(err)
			}
			rest = rest[n:]
		}
	}
}

// BenchmarkParseGet100 parses "get k1 ... k100".
func BenchmarkParseGet100(b *testing.B) { benchParse(b, get100()) }

// BenchmarkParseSet100 parses a set with a 100-byte value.
func BenchmarkParseSet100(b *testing.B) { benchParse(b, set100()) }

// BenchmarkParsePipelined parses a read's worth of 16 pipelined gets.
func BenchmarkParsePipelined(b *testing.B) {
	benchParse(b, []byte(strings.Repeat("get key:000123\r\n", 16)))
}

// BenchmarkParseMetaGet parses a typical mg.
func BenchmarkParseMetaGet(b *testing.B) { benchParse(b, []byte("mg key:000123 v f t c q O12345\r\n")) }

// BenchmarkReplyLenGet100 measures the reply to a 100-key get.
func BenchmarkReplyLenGet100(b *testing.B) {
	reply := get100Reply()
	req := mustParse(b, string(get100()))
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := ReplyLen(reply, req); err != nil || n != len(reply) {
			b.Fatalf("got %d, %v", n, err)
		}
	}
}

// BenchmarkNextValueGet100 splits the reply to a 100-key get into blocks.
func BenchmarkNextValueGet100(b *testing.B) {
	reply := get100Reply()
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	for b.Loop() {
		rest, blocks := reply, 0
		for {
			_, _, r, ok := NextValue(rest)
			if !ok {
				break
			}
			rest, blocks = r, blocks+1
		}
		if blocks != 100 {
			b.Fatalf("got %d blocks", blocks)
		}
	}
}

// TestHotPathAllocs asserts what the benchmarks report: parsing, measuring
// and encoding allocate nothing once buffers are warm, refusals included.
func TestHotPathAllocs(t *testing.T) {
	get, set, reply := get100(), set100(), get100Reply()
	ms, refused, unknownCmd := []byte("ms k 1 q T0\r\nx\r\n"), []byte("set k x 0 1 noreply\r\n"), []byte("GET k\r\n")
	badValue := []byte("VALUE a 0 x\r\n")
	getReq := mustParse(t, string(get))
	var req Request
	dst := make([]byte, 0, 4096)
	tests := []struct {
		name string
		fn   func()
	}{
		{"ParseRequest get100", func() { _, _ = ParseRequest(get, &req, Limits{}) }},
		{"ParseRequest set100", func() { _, _ = ParseRequest(set, &req, Limits{}) }},
		{"ParseRequest ms", func() { _, _ = ParseRequest(ms, &req, Limits{}) }},
		{"ParseRequest incomplete", func() { _, _ = ParseRequest(set[:40], &req, Limits{}) }},
		{"ParseRequest refused", func() { _, _ = ParseRequest(refused, &req, Limits{}) }},
		{"ParseRequest unknown", func() { _, _ = ParseRequest(unknownCmd, &req, Limits{}) }},
		{"ReplyLen get100", func() { _, _ = ReplyLen(reply, getReq) }},
		{"ReplyLen incomplete", func() { _, _ = ReplyLen(reply[:100], getReq) }},
		{"ReplyLen malformed", func() { _, _ = ReplyLen(badValue, getReq) }},
		{"NextValue", func() { _, _, _, _ = NextValue(reply) }},
		{"AppendGet", func() { dst = AppendGet(dst[:0], getReq, getReq.Keys[:50]) }},
		{"AppendRequest", func() { dst = AppendRequest(dst[:0], getReq) }},
	}
	for _, tc := range tests {
		if got := testing.AllocsPerRun(100, tc.fn); got != 0 {
			t.Errorf("%s: got %v allocs per run, want 0", tc.name, got)
		}
	}
}
