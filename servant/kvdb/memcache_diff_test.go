package kvdb

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/servant/internal/kvtest"
)

var mcDiffStream = kvtest.StreamFlags("kvdb.mc", "memcache differential test", "request", 20251121, 10000)

// TestDifferentialMemcache sends one seeded random request stream (lcache's
// generator: classic and meta commands, flags, exptimes, cas with right and
// wrong uniques, items at the size limit) to an lcache.Cache and to a DB,
// with a redis command of lcache's stream in between one time in five, and
// requires identical replies, cas uniques included: both count them from 1
// the same way. Only the seconds of a meta t flag may differ by one.
func TestDifferentialMemcache(t *testing.T) {
	count := mcDiffStream.Count(2000)
	seed := mcDiffStream.Seed()
	db := newTestDB(t, Config{})
	c := newTestCache(t)
	g := kvtest.NewMCGen(seed, time.Now().Unix())
	rg := kvtest.NewGen(seed, time.Now().UnixMilli())
	seen := kvtest.MCSide{}
	var history []string
	tally := kvtest.Tally{}
	for i := range count {
		if g.Rand().IntN(5) == 0 {
			for _, cmd := range rg.Next() {
				args := kvtest.ToArgs(cmd)
				history = append(history, "R "+kvtest.QuoteArgs(args))
				want, got := c.Do(nil, args), db.Do(nil, args)
				if !kvtest.SameReply(args, want, got) {
					t.Fatalf("seed %d, request %d: %s\n got  %s\n want %s", seed, i+1, history[len(history)-1], kvtest.Clip(got), kvtest.Clip(want))
				}
			}
			continue
		}
		st := g.Next()
		req := seen.Resolve(st, 1<<61+g.Rand().Uint64N(1<<32))
		history = append(history, describe(req))
		want := c.DoMemcache(nil, req)
		got := db.DoMemcache(nil, req)
		if !kvtest.SameMCReply(got, want) {
			t.Fatalf("seed %d, request %d: %s\n got  %s\n want %s\nlast requests on its keys:\n%s",
				seed, i+1, history[len(history)-1], kvtest.Clip(got), kvtest.Clip(want), mcKeyHistory(history, req, 15))
		}
		seen.Record(req, want)
		tally.CountMC(st.Req.Cmd, want)
	}
	t.Logf("seed %d: %d requests matched", seed, count)
	tally.Log(t)
}

// describe renders a request for a failure message.
func describe(r *MC) string {
	s := fmt.Sprintf("%s %q flags=%d exptime=%d cas=%d delta=%d meta=%q noreply=%t value=%s",
		r.Cmd, r.Keys, r.Flags, r.Exptime, r.Cas, r.Delta, r.Meta, r.NoReply, kvtest.Clip(r.Value))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// mcKeyHistory returns the last n requests of history on a key of r, numbered.
func mcKeyHistory(history []string, r *MC, n int) string {
	return kvtest.History(history, n, func(h string) bool {
		return slices.ContainsFunc(r.Keys, func(k []byte) bool {
			return strings.Contains(h, fmt.Sprintf("%q", k))
		}) || strings.HasPrefix(h, "flush_all") || strings.HasPrefix(h, "R ")
	})
}
