package kvdb

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/servant/lcache"
)

var (
	mcDiffSeed  = flag.Uint64("kvdb.mcseed", 20251121, "seed of the memcache differential test's request stream")
	mcDiffCount = flag.Int("kvdb.mccount", 10000, "number of requests in the memcache differential test's stream")
)

var (
	key250 = strings.Repeat("k", 250)
	key251 = strings.Repeat("k", 251)
)

// maxValue is the largest value memcached stores under a key of keyLen bytes
// with non-zero flags or not.
func maxValue(keyLen int, flags bool) int {
	n := lcache.MemcacheMaxItem - mcItemHeader - keyLen
	if flags {
		n -= 4
	}
	return n
}

// casChoice says which cas unique a cas command (or a meta C flag) sends,
// among those shown for the key.
type casChoice uint8

const (
	casLatest casChoice = iota // the last one shown
	casOlder                   // an earlier one, or the last if there is one only
	casJunk                    // one never given out
	casZero                    // 0
)

// mcStep is one request of the stream, its cas still to resolve.
type mcStep struct {
	req *MC
	cas casChoice
	// metaCas is the index in req.Meta of a C flag to resolve, or -1.
	metaCas int
}

// mcSide is the cas uniques shown so far, per key.
type mcSide map[string][]uint64

// resolve returns a copy of st.req with the cas uniques chosen.
func (s mcSide) resolve(st mcStep, junk uint64) *MC {
	r := *st.req
	if len(r.Keys) == 0 {
		return &r
	}
	seen := s[string(r.Keys[0])]
	var cas uint64
	switch {
	case st.cas == casZero:
	case st.cas == casJunk || len(seen) == 0:
		cas = junk
	case st.cas == casOlder:
		cas = seen[int(junk)%len(seen)]
	default:
		cas = seen[len(seen)-1]
	}
	r.Cas = cas
	if st.metaCas >= 0 {
		r.Meta = slices.Clone(r.Meta)
		r.Meta[st.metaCas] = strconv.AppendUint([]byte("C"), cas, 10)
	}
	return &r
}

// record notes the cas uniques of reply, an answer to r.
func (s mcSide) record(r *MC, reply []byte) {
	keys, cas := replyCas(reply)
	for i, k := range keys {
		if k == "" && len(r.Keys) > 0 {
			k = string(r.Keys[0])
		}
		s[k] = append(s[k], cas[i])
	}
}

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
	g := &mcGen{r: rand.New(rand.NewPCG(*mcDiffSeed, 7)), now: time.Now().Unix()}
	rg := newGen(*mcDiffSeed, time.Now().UnixMilli())
	seen := mcSide{}
	var history []string
	tally := map[string]int{}
	for i := range count {
		if g.r.IntN(5) == 0 {
			for _, cmd := range rg.next() {
				args := toArgs(cmd)
				history = append(history, "R "+quoteArgs(args))
				want, got := c.Do(nil, args), db.Do(nil, args)
				if !sameReply(args, want, got) {
					t.Fatalf("seed %d, request %d: %s\n got  %s\n want %s", *mcDiffSeed, i+1, history[len(history)-1], clip(got), clip(want))
				}
			}
			continue
		}
		st := g.next()
		req := seen.resolve(st, 1<<61+g.r.Uint64N(1<<32))
		history = append(history, describe(req))
		want := c.DoMemcache(nil, req)
		got := db.DoMemcache(nil, req)
		if !sameMCReply(got, want) {
			t.Fatalf("seed %d, request %d: %s\n got  %s\n want %s\nlast requests on its keys:\n%s",
				*mcDiffSeed, i+1, history[len(history)-1], clip(got), clip(want), mcKeyHistory(history, req, 15))
		}
		seen.record(req, want)
		tally[st.req.Cmd+" "+mcReplyKind(want)]++
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

// replyCas returns the cas uniques a reply shows, in order, with the key of
// each ("" when the reply does not name it).
func replyCas(reply []byte) (keys []string, cas []uint64) {
	rest := reply
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := rest[:i+1]
		rest = rest[i+1:]
		f := strings.Split(strings.TrimSuffix(string(line), "\r\n"), " ")
		switch {
		case f[0] == "VALUE" && len(f) == 5:
			keys, cas = append(keys, f[1]), append(cas, atou(f[4]))
		case isMetaCode(f[0]):
			for _, tok := range f[1:] {
				if len(tok) > 1 && tok[0] == 'c' {
					keys, cas = append(keys, ""), append(cas, atou(tok[1:]))
				}
			}
		}
		if n, ok := dataSize(f); ok && n+2 <= len(rest) {
			rest = rest[n+2:]
		}
	}
	return keys, cas
}

// dataSize returns the length of the data block a reply line announces:
// "VALUE key flags bytes [cas]" or "VA bytes flags...".
func dataSize(f []string) (int, bool) {
	var s string
	switch {
	case len(f) >= 4 && f[0] == "VALUE":
		s = f[3]
	case len(f) >= 2 && f[0] == "VA":
		s = f[1]
	default:
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func atou(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

// isMetaCode reports whether s is the status code of a meta reply.
func isMetaCode(s string) bool {
	switch s {
	case "HD", "VA", "EN", "NF", "NS", "EX":
		return true
	}
	return false
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
	if f := strings.Fields(line); len(f) > 0 && isMetaCode(f[0]) {
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
