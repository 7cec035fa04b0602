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
	mcDiffSeed  = flag.Uint64("kvdb.mcseed", 20251121, "seed of the memcache differential test's request stream")
	mcDiffCount = flag.Int("kvdb.mccount", 10000, "number of requests in the memcache differential test's stream")
)

// TestDifferentialMemcache sends one seeded random request stream (lcache's
// generator: classic and meta commands, flags, exptimes, cas with right and
// wrong uniques, items at the size limit) to an lcache.Cache and to a DB,
// with a redis command of lcache's stream in between one time in five, and
// requires identical replies, cas uniques included: both count them from 1
// the same way. Only the seconds of a meta t flag may differ by one.
func TestDifferentialMemcache(t *testing.T) {
	count := *mcDiffCount
	if testing.Short() {
		count = min(count, 2000)
	}
	db := newTestDB(t, Config{})
	c := newTestCache(t)
	g := kvtest.NewMCGen(*mcDiffSeed, time.Now().Unix())
	rg := kvtest.NewGen(*mcDiffSeed, time.Now().UnixMilli())
	seen := kvtest.MCSide{}
	var history []string
	tally := map[string]int{}
	for i := range count {
		if g.Rand().IntN(5) == 0 {
			for _, cmd := range rg.Next() {
				args := toArgs(cmd)
				history = append(history, "R "+quoteArgs(args))
				want, got := c.Do(nil, args), db.Do(nil, args)
				if !sameReply(args, want, got) {
					t.Fatalf("seed %d, request %d: %s\n got  %s\n want %s", *mcDiffSeed, i+1, history[len(history)-1], clip(got), clip(want))
				}
			}
			continue
		}
		st := g.Next()
		req := seen.Resolve(st, 1<<61+g.Rand().Uint64N(1<<32))
		history = append(history, describe(req))
		want := c.DoMemcache(nil, req)
		got := db.DoMemcache(nil, req)
		if !sameMCReply(got, want) {
			t.Fatalf("seed %d, request %d: %s\n got  %s\n want %s\nlast requests on its keys:\n%s",
				*mcDiffSeed, i+1, history[len(history)-1], clip(got), clip(want), mcKeyHistory(history, req, 15))
		}
		seen.Record(req, want)
		tally[st.Req.Cmd+" "+mcReplyKind(want)]++
	}
	t.Logf("seed %d: %d requests matched", *mcDiffSeed, count)
	for _, k := range slices.Sorted(maps.Keys(tally)) {
		t.Logf("%-40s %6d", k, tally[k])
	}
}

// sameMCReply compares replies exactly but for the seconds left of a meta t
// flag, which may differ by one: each servant reads its own clock.
func sameMCReply(got, want []byte) bool {
	if bytes.Equal(got, want) {
		return true
	}
	g := strings.Split(string(got), "\r\n")
	w := strings.Split(string(want), "\r\n")
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		gt, wt := strings.Split(g[i], " "), strings.Split(w[i], " ")
		if len(gt) != len(wt) {
			return false
		}
		for j := range gt {
			if gt[j] != wt[j] && !closeTTL(gt[j], wt[j]) {
				return false
			}
		}
	}
	return true
}

// closeTTL reports whether a and b are t flags one second apart at most.
func closeTTL(a, b string) bool {
	if !strings.HasPrefix(a, "t") || !strings.HasPrefix(b, "t") {
		return false
	}
	x, err1 := strconv.ParseInt(a[1:], 10, 64)
	y, err2 := strconv.ParseInt(b[1:], 10, 64)
	return err1 == nil && err2 == nil && x >= y-1 && x <= y+1
}

// describe renders a request for a failure message.
func describe(r *MC) string {
	s := fmt.Sprintf("%s %q flags=%d exptime=%d cas=%d delta=%d meta=%q noreply=%t value=%s",
		r.Cmd, r.Keys, r.Flags, r.Exptime, r.Cas, r.Delta, r.Meta, r.NoReply, clip(r.Value))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// mcReplyKind names a reply for the coverage tally.
func mcReplyKind(reply []byte) string {
	switch {
	case len(reply) == 0:
		return "(none)"
	case bytes.HasPrefix(reply, []byte("VALUE ")):
		return "VALUE"
	case reply[0] >= '0' && reply[0] <= '9':
		return "number"
	}
	line, _, _ := strings.Cut(string(reply), "\r\n")
	if f := strings.Fields(line); len(f) > 0 && kvtest.IsMetaCode(f[0]) {
		return f[0]
	}
	return line
}

// mcKeyHistory returns the last n requests of history on a key of r, numbered.
func mcKeyHistory(history []string, r *MC, n int) string {
	var out []string
	for i := len(history) - 1; i >= 0 && len(out) < n; i-- {
		if slices.ContainsFunc(r.Keys, func(k []byte) bool {
			return strings.Contains(history[i], fmt.Sprintf("%q", k))
		}) || strings.HasPrefix(history[i], "flush_all") || strings.HasPrefix(history[i], "R ") {
			out = append(out, fmt.Sprintf("%6d %s", i+1, history[i]))
		}
	}
	slices.Reverse(out)
	return strings.Join(out, "\n")
}
