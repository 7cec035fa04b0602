package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/resp"
)

// BenchmarkPipelinedGET measures the whole proxy path: a client sends 16
// pipelined GETs per round, faed routes them over 4 redis-servers and writes
// the replies back. Allocations are counted for the whole process (the client
// loop itself allocates nothing), so allocs/op divided by 16 is faed's
// allocations per request.
func BenchmarkPipelinedGET(b *testing.B) {
	benchPipeline(b, 16, func(i int) string { return fmt.Sprintf("bench:%d", i%64) })
}

// BenchmarkPipelinedGETNoStack is BenchmarkPipelinedGET with the client
// stack off: the difference is the stack's cost per request.
func BenchmarkPipelinedGETNoStack(b *testing.B) {
	benchPipelineExtra(b, 16, "client_stack = false\n", func(i int) string { return fmt.Sprintf("bench:%d", i%64) })
}

// BenchmarkPipelinedGETNoMetrics is BenchmarkPipelinedGET without the
// per-command counters ([server] metrics = false).
func BenchmarkPipelinedGETNoMetrics(b *testing.B) {
	benchPipelineExtra(b, 16, "\n[server]\nmetrics = false\n", func(i int) string { return fmt.Sprintf("bench:%d", i%64) })
}

// BenchmarkPipelinedGETServant is the same path served by lcache.
func BenchmarkPipelinedGETServant(b *testing.B) {
	cfg := "[pools.p]\nlisten = \"127.0.0.1:0\"\nservant = \"lcache\"\n"
	benchPipelineConfig(b, cfg, 16, func(i int) string { return fmt.Sprintf("bench:%d", i%64) })
}

func benchPipeline(b *testing.B, depth int, key func(int) string) {
	benchPipelineExtra(b, depth, "", key)
}

func benchPipelineExtra(b *testing.B, depth int, extra string, key func(int) string) {
	rs := make([]string, 4)
	for i := range rs {
		rs[i] = fmt.Sprintf("%q", startRedisB(b)+":1")
	}
	cfg := fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nhash = \"md5\"\nservers = [%s]\n%s", strings.Join(rs, ","), extra)
	benchPipelineConfig(b, cfg, depth, key)
}

func benchPipelineConfig(b *testing.B, cfg string, depth int, key func(int) string) {
	addr := startProxyB(b, cfg)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	var req []byte
	for i := 0; i < depth; i++ {
		k := key(i)
		req = resp.AppendCommand(req, []byte("SET"), []byte(k), []byte("0123456789abcdef"))
	}
	var get []byte
	for i := 0; i < depth; i++ {
		get = resp.AppendCommand(get, []byte("GET"), []byte(key(i)))
	}
	r := bufio.NewReaderSize(nc, 64<<10)
	roundTrip(b, nc, r, req, depth)
	want := depth * len("$16\r\n0123456789abcdef\r\n")
	buf := make([]byte, want)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := nc.Write(get); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if string(buf[:5]) != "$16\r\n" {
		b.Fatalf("unexpected reply %q", buf[:20])
	}
}

func roundTrip(b *testing.B, nc net.Conn, r *bufio.Reader, req []byte, n int) {
	if _, err := nc.Write(req); err != nil {
		b.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := 0; i < n; i++ {
		if _, err := resp.ReadReply(r); err != nil {
			b.Fatal(err)
		}
	}
	_ = nc.SetReadDeadline(time.Time{})
}
