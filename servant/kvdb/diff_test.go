package kvdb

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

var (
	diffSeed    = flag.Uint64("kvdb.seed", 20240601, "seed of the redis differential test's command stream")
	diffCount   = flag.Int("kvdb.count", 20000, "number of commands in the redis differential test's stream")
	diffReopens = flag.Int("kvdb.reopens", 8, "how many times the redis differential test closes and reopens the DB")
)

// TestDifferentialRedis sends one long seeded random command stream (lcache's
// generator: every command, error paths, TTLs set, passed and compared) to
// an lcache.Cache and to a DB, and requires byte-identical replies, except
// that TTL may differ by 1 s and PTTL by 100 ms. The DB is closed and
// reopened on the same directory several times during the stream, so every
// later reply also checks what the store kept across a restart.
func TestDifferentialRedis(t *testing.T) {
	count := *diffCount
	if testing.Short() {
		count = min(count, 3000)
	}
	cfg := Config{Dir: t.TempDir()}
	db := openTestDB(t, cfg, nil)
	c := newTestCache(t)
	g := kvtest.NewGen(*diffSeed, time.Now().UnixMilli())
	reopenEvery := max(count/(*diffReopens+1), 1)
	var history []string
	tally := map[string]int{}
	for i := range count {
		if i > 0 && i%reopenEvery == 0 {
			if err := db.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			db = openTestDB(t, cfg, nil)
		}
		for _, cmd := range g.Next() {
			args := toArgs(cmd)
			history = append(history, quoteArgs(args))
			want := c.Do(nil, args)
			got := db.Do(nil, args)
			if !sameReply(args, want, got) {
				t.Fatalf("seed %d, command %d: %s\n got  %s\n want %s\nlast commands on its key:\n%s",
					*diffSeed, len(history), history[len(history)-1], clip(got), clip(want), keyHistory(history, args, 15))
			}
			tally[strings.ToLower(string(args[0]))+" "+replyKind(want)]++
		}
	}
	t.Logf("seed %d: %d commands matched", *diffSeed, len(history))
	for _, k := range slices.Sorted(maps.Keys(tally)) {
		t.Logf("%-40s %6d", k, tally[k])
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

// sameReply compares replies exactly, but the time left of TTL and PTTL with a
// tolerance: the two servants run the command at slightly different times.
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
	return tolerance > 0 && okW && okG && w >= 0 && g >= 0 && max(w-g, g-w) <= tolerance
}

// replyInt returns the integer of an integer reply.
func replyInt(b []byte) (int64, bool) {
	if len(b) < 4 || b[0] != ':' || !bytes.HasSuffix(b, []byte("\r\n")) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[1:len(b)-2]), 10, 64)
	return n, err == nil
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
