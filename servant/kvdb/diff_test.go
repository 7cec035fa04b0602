package kvdb

import (
	"flag"
	"testing"
	"time"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

var (
	diffStream  = kvtest.StreamFlags("kvdb.", "redis differential test", "command", 20240601, 20000)
	diffReopens = flag.Int("kvdb.reopens", 8, "how many times the redis differential test closes and reopens the DB")
)

// TestDifferentialRedis sends one long seeded random command stream (lcache's
// generator: every command, error paths, TTLs set, passed and compared) to
// an lcache.Cache and to a DB, and requires byte-identical replies, except
// that TTL may differ by 1 s and PTTL by 100 ms. The DB is closed and
// reopened on the same directory several times during the stream, so every
// later reply also checks what the store kept across a restart.
func TestDifferentialRedis(t *testing.T) {
	count := diffStream.Count(3000)
	seed := diffStream.Seed()
	cfg := Config{Dir: t.TempDir()}
	db := openTestDB(t, cfg, nil)
	c := newTestCache(t)
	g := kvtest.NewGen(seed, time.Now().UnixMilli())
	reopenEvery := max(count/(*diffReopens+1), 1)
	var history []string
	tally := kvtest.Tally{}
	for i := range count {
		if i > 0 && i%reopenEvery == 0 {
			if err := db.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			db = openTestDB(t, cfg, nil)
		}
		for _, cmd := range g.Next() {
			args := kvtest.ToArgs(cmd)
			history = append(history, kvtest.QuoteArgs(args))
			want := c.Do(nil, args)
			got := db.Do(nil, args)
			if !kvtest.SameReply(args, want, got) {
				t.Fatalf("seed %d, command %d: %s\n got  %s\n want %s\nlast commands on its key:\n%s",
					seed, len(history), history[len(history)-1], kvtest.Clip(got), kvtest.Clip(want), kvtest.KeyHistory(history, args, 15))
			}
			tally.Count(args, want)
		}
	}
	t.Logf("seed %d: %d commands matched", seed, len(history))
	tally.Log(t)
}
