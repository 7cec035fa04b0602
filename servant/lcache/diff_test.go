package lcache

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/resp"
	"github.com/fae-dev/fae/testkit"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

var (
	diffSeed  = flag.Uint64("lcache.seed", 20240601, "seed of the differential test's command stream")
	diffCount = flag.Int("lcache.count", 20000, "number of commands in the differential test's stream")
)

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
	g := kvtest.NewGen(*diffSeed, time.Now().UnixMilli())
	r := bufio.NewReader(conn)
	var history []string
	var batch [][][]byte
	tally := map[string]int{}
	run := func() {
		wants := redisBatch(t, conn, r, batch)
		for i, args := range batch {
			history = append(history, quoteArgs(args))
			tally[strings.ToLower(string(args[0]))+" "+replyKind(wants[i])]++
			got := c.Do(nil, args)
			if !sameReply(args, wants[i], got) {
				t.Fatalf("seed %d, command %d: %s\n got  %q\n want %q\nlast commands on its key:\n%s",
					*diffSeed, len(history), history[len(history)-1], got, wants[i], keyHistory(history, args, 15))
			}
		}
		batch = batch[:0]
	}
	for range *diffCount {
		for _, cmd := range g.Next() {
			args := toArgs(cmd)
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
	t.Logf("seed %d: %d commands matched", *diffSeed, len(history))
	keys := slices.Sorted(maps.Keys(tally))
	for _, k := range keys {
		t.Logf("%-28s %6d", k, tally[k])
	}
}

// replyKind names the kind of a reply for the coverage tally: its type, or
// its text for an error.
func replyKind(reply []byte) string {
	switch {
	case reply[0] == '-':
		return strings.TrimSpace(string(reply))
	case bytes.Equal(reply, []byte("$-1\r\n")):
		return "null"
	}
	return string(reply[:1])
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
			t.Fatalf("read reply of %s: %v", quoteArgs(batch[i]), err)
		}
		wants[i] = w
	}
	return wants
}

// sameReply compares replies exactly, but the time left of TTL and PTTL with a
// tolerance: redis and the cache run the command at slightly different times.
func sameReply(args [][]byte, want, got []byte) bool {
	if bytes.Equal(want, got) {
		return true
	}
	if len(args) != 2 {
		return false
	}
	tolerance := map[string]int64{"ttl": 1, "pttl": 100}[strings.ToLower(string(args[0]))]
	w, okW := replyInt(want)
	g, okG := replyInt(got)
	return tolerance > 0 && okW && okG && w >= 0 && g >= 0 && abs(w-g) <= tolerance
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func toArgs(cmd []string) [][]byte {
	args := make([][]byte, len(cmd))
	for i, a := range cmd {
		args[i] = []byte(a)
	}
	return args
}

func quoteArgs(args [][]byte) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if len(a) > 60 {
			a = append(a[:40:40], "..."...)
		}
		b.WriteString(quote(a))
	}
	return b.String()
}

func quote(a []byte) string {
	s := string(a)
	if s != "" && !strings.ContainsAny(s, " \"\x00\r\n\t") {
		return s
	}
	return `"` + strings.NewReplacer("\x00", `\0`, "\r", `\r`, "\n", `\n`, `"`, `\"`).Replace(s) + `"`
}

// keyHistory returns the last n commands of history that name the key of
// args (all commands if it has none), numbered.
func keyHistory(history []string, args [][]byte, n int) string {
	var out []string
	for i := len(history) - 1; i >= 0 && len(out) < n; i-- {
		if len(args) < 2 || slices.Contains(strings.Fields(history[i])[1:], quote(args[1])) {
			out = append(out, fmt.Sprintf("%6d %s", i+1, history[i]))
		}
	}
	slices.Reverse(out)
	return strings.Join(out, "\n")
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
