package lcache

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/fae-dev/fae/resp"
	"github.com/fae-dev/fae/testkit"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

var diffStream = kvtest.StreamFlags("lcache.", "differential test", "command", 20240601, 20000)

// diffBatch is how many commands are pipelined to redis at a time.
const diffBatch = 200

// TestDifferential sends one long seeded random command stream to a real
// redis-server and to a Cache, and requires byte-identical replies, except
// that TTL may differ by 1 s and PTTL by 100 ms.
func TestDifferential(t *testing.T) {
	srv := testkit.StartRedis(t)
	conn, err := net.DialTimeout("tcp", srv.Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial redis: %v", err)
	}
	defer conn.Close()
	c := newTestCache(t, Config{})
	seed := diffStream.Seed()
	g := kvtest.NewGen(seed, time.Now().UnixMilli())
	r := bufio.NewReader(conn)
	var history []string
	var batch [][][]byte
	tally := kvtest.Tally{}
	run := func() {
		wants := redisBatch(t, conn, r, batch)
		for i, args := range batch {
			history = append(history, kvtest.QuoteArgs(args))
			tally.Count(args, wants[i])
			got := c.Do(nil, args)
			if !kvtest.SameReply(args, wants[i], got) {
				t.Fatalf("seed %d, command %d: %s\n got  %q\n want %q\nlast commands on its key:\n%s",
					seed, len(history), history[len(history)-1], got, wants[i], kvtest.KeyHistory(history, args, 15))
			}
		}
		batch = batch[:0]
	}
	for range diffStream.Count(0) {
		for _, cmd := range g.Next() {
			args := kvtest.ToArgs(cmd)
			if kvtest.TimeSensitive(args) {
				// Alone, so that redis and the cache run it within a
				// round trip of each other.
				run()
				batch = append(batch, args)
				run()
				continue
			}
			if batch = append(batch, args); len(batch) == diffBatch {
				run()
			}
		}
	}
	run()
	t.Logf("seed %d: %d commands matched", seed, len(history))
	tally.Log(t)
}

// redisBatch pipelines batch to redis and returns its replies, in order.
func redisBatch(t *testing.T, conn net.Conn, r *bufio.Reader, batch [][][]byte) [][]byte {
	t.Helper()
	var buf []byte
	for _, args := range batch {
		buf = resp.AppendCommand(buf, args...)
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write(buf); err != nil {
		t.Fatalf("write to redis: %v", err)
	}
	wants := make([][]byte, len(batch))
	for i := range batch {
		w, err := readReply(r)
		if err != nil {
			t.Fatalf("read reply of %s: %v", kvtest.QuoteArgs(batch[i]), err)
		}
		wants[i] = w
	}
	return wants
}

// newTestCache returns a Cache closed when the test ends.
func newTestCache(t testing.TB, cfg Config) *Cache {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
