package proxy

import (
	"bufio"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/testkit"
)

var (
	mcDiffSeed = flag.Uint64("proxy.mcseed", 0, "seed of TestMemcacheDifferential's request stream (0: a new one, logged)")
)

const (
	mcDiffRequests      = 20000 // requests per memcache differential run
	mcDiffRequestsShort = 3000  // with -short
	// mcTTLSlack is how many seconds a remaining TTL (meta t flag, me's
	// exp=) may differ by: each memcached ticks its clock on its own, and a
	// starved memcached (a loaded 2-core machine) was seen 12 s behind. A
	// forwarding bug (a relative time sent as absolute) is off by far more.
	mcTTLSlack = 30
	// mcReadTimeout bounds the wait for the replies to one batch.
	mcReadTimeout = 30 * time.Second
)

// The two sides of the memcache differential test.
const (
	mcRef  = 0 // a memcached, directly
	mcFaed = 1 // faed over other memcached
)

// TestMemcacheDifferential sends one seeded random request stream to a
// memcached directly and to faed over one or four other memcached, and
// requires byte-identical replies, except that cas uniques (VALUE lines of
// gets and gats, meta c flags, me's cas=) are masked and remaining TTLs may
// differ by mcTTLSlack seconds. Each side's cas requests carry the cas
// uniques that side showed (or a wrong one, the same on both). Requests go
// in groups, each followed by "mn", so that every group's replies end at
// its "MN"; batches of groups are sent one group at a time and pipelined
// in turn. After every batch, every key must read the same both ways.
func TestMemcacheDifferential(t *testing.T) {
	for _, tc := range []struct {
		name    string
		servers int
	}{
		{"1 server", 1},
		{"4 servers", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := testkit.StartMemcached(t, mcQuietArgs...)
			addr, ms := mcDiffPool(t, tc.servers)
			seed := *mcDiffSeed
			if seed == 0 {
				seed = uint64(time.Now().UnixNano())
			}
			t.Logf("seed %d (repeat with -proxy.mcseed=%d)", seed, seed)
			g := newMCGen(seed)
			d := &mcDiffer{t: t, seed: seed, g: g, reported: map[string]bool{}, lines: map[string]int{}}
			d.sides[mcRef], d.sides[mcFaed] = mcDial(t, ref.Addr), mcDial(t, addr)
			n := mcDiffRequests
			if testing.Short() {
				n = mcDiffRequestsShort
			}
			for i, pipelined := 0, false; i < n; pipelined = !pipelined {
				batch := g.batch(pipelined)
				d.run(batch, pipelined)
				i += batch.requests()
				d.compareKeys(g.allKeys())
			}
			t.Logf("%d requests in %d groups, %d mismatches; matching reply lines: %s",
				n, d.groups, d.mismatches, d.lineStats())
			checkMemcachedShares(t, ms, n)
		})
	}
}

// mcQuietArgs stop memcached's background threads that take references to
// items now and then: an incr or decr whose item is referenced elsewhere
// stores a new item rather than rewriting the number in place, and the
// value then differs in its padding (see arith).
var mcQuietArgs = []string{"-o", "no_lru_crawler,no_lru_maintainer"}

// mcDiffPool starts n memcached with mcQuietArgs and faed with a memcache
// pool over them, as mcPool does.
func mcDiffPool(t *testing.T, n int) (string, []*testkit.Process) {
	t.Helper()
	var ms []*testkit.Process
	var servers []string
	for i := 0; i < n; i++ {
		m := testkit.StartMemcached(t, mcQuietArgs...)
		ms = append(ms, m)
		servers = append(servers, fmt.Sprintf("%q", m.Addr+":1"))
	}
	_, addr := startProxy(t, fmt.Sprintf("[pools.p]\nlisten = \"127.0.0.1:0\"\nprotocol = \"memcache\"\nhash = \"md5\"\ntimeout = \"5s\"\nservers = [%s]\n",
		strings.Join(servers, ",")))
	return addr, ms
}

// mcReq is one generated request: its bytes for each side, which differ
// only in the cas uniques they carry.
type mcReq struct {
	wire [2]string // by side: mcRef, mcFaed
	key  string    // the key a meta c flag reports the cas unique of
	mns  int       // "mn" requests in wire, each answered "MN"
}

func both(wire string) mcReq { return mcReq{wire: [2]string{wire, wire}} }

// name is the request's command name, for grouping mismatches.
func (r mcReq) name() string {
	name, _, _ := strings.Cut(strings.TrimLeft(r.wire[mcRef], " "), " ")
	name, _, _ = strings.Cut(name, "\n")
	return clipText(strings.TrimSuffix(name, "\r"))
}

// mcGroup is requests sent together and followed by "mn": their replies
// are compared as one.
type mcGroup []mcReq

func (grp mcGroup) mns() int {
	n := 1 // the "mn" that ends the group
	for _, r := range grp {
		n += r.mns
	}
	return n
}

func (grp mcGroup) String() string {
	var b strings.Builder
	for i, r := range grp {
		if i > 0 {
			b.WriteString(" + ")
		}
		b.WriteString(short(fmt.Sprintf("%q", r.wire[mcRef])))
		if r.wire[mcFaed] != r.wire[mcRef] {
			b.WriteString(" (to faed: " + short(fmt.Sprintf("%q", r.wire[mcFaed])) + ")")
		}
	}
	return b.String()
}

type mcBatch []mcGroup

func (b mcBatch) requests() int {
	n := 0
	for _, grp := range b {
		n += len(grp)
	}
	return n
}

// mcDiffer sends request groups to both sides and compares the replies.
type mcDiffer struct {
	t          *testing.T
	seed       uint64
	g          *mcGen // told the cas uniques each side shows
	sides      [2]*mcClient
	groups     int             // groups compared
	last       []mcGroup       // recent groups, for failure messages
	mismatches int             // groups whose replies differed
	reported   map[string]bool // command names with a reported mismatch
	lines      map[string]int  // matching reply lines by status
}

// run sends batch to both sides, one group at a time or all at once.
func (d *mcDiffer) run(batch mcBatch, pipelined bool) {
	d.t.Helper()
	if !pipelined {
		for _, grp := range batch {
			d.exchange(mcBatch{grp})
		}
		return
	}
	d.exchange(batch)
}

// exchange writes batch to both sides, reads the replies of each group
// and compares them.
func (d *mcDiffer) exchange(batch mcBatch) {
	d.t.Helper()
	var replies [2][]string
	var waits [2]func() error
	for side, c := range d.sides {
		var buf []byte
		for _, grp := range batch {
			for _, r := range grp {
				buf = append(buf, r.wire[side]...)
			}
			buf = append(buf, "mn\r\n"...)
		}
		waits[side] = writeAsync(c.nc, buf)
	}
	for side, c := range d.sides {
		_ = c.nc.SetReadDeadline(time.Now().Add(mcReadTimeout))
		for i, grp := range batch {
			reply, err := readMCGroup(c.r, grp.mns())
			if err != nil {
				var before strings.Builder
				for _, h := range batch[max(0, i-8):i] {
					fmt.Fprintf(&before, "\n  %s", h)
				}
				d.t.Fatalf("seed %d, group %d: %s: reading the replies from %s: %v (read %q)\nthe groups before it:%s",
					d.seed, d.groups+i+1, grp, mcSideName(side), err, short(reply), before.String())
			}
			replies[side] = append(replies[side], reply)
		}
	}
	for side, wait := range waits {
		if err := wait(); err != nil {
			d.t.Fatalf("writing to %s: %v", mcSideName(side), err)
		}
	}
	for i, grp := range batch {
		d.compare(grp, replies[mcRef][i], replies[mcFaed][i])
	}
}

func mcSideName(side int) string {
	if side == mcRef {
		return "memcached"
	}
	return "faed"
}

// readMCGroup reads the replies of a group up to its n-th "MN" line,
// reading VALUE and VA data blocks whole, whatever they hold.
func readMCGroup(r *bufio.Reader, n int) (string, error) {
	var b strings.Builder
	for n > 0 {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		if line == "MN\r\n" {
			n--
			continue
		}
		if size, ok := mcBlockSize(line); ok {
			block := make([]byte, size+2)
			_, err := io.ReadFull(r, block)
			b.Write(block)
			if err != nil {
				return b.String(), err
			}
		}
	}
	return b.String(), nil
}

// mcBlockSize returns the size of the data block that follows a VALUE or
// VA line.
func mcBlockSize(line string) (int, bool) {
	f := strings.Split(strings.TrimSuffix(line, "\r\n"), " ")
	var tok string
	switch {
	case f[0] == "VALUE" && len(f) >= 4:
		tok = f[3]
	case f[0] == "VA" && len(f) >= 2:
		tok = f[1]
	default:
		return 0, false
	}
	size, err := strconv.Atoi(tok)
	return size, err == nil && size >= 0
}

// walkMCReply calls line for each line of reply that is not inside a data
// block and returns reply with each such line replaced by line's result.
func walkMCReply(reply string, line func(string) string) string {
	var b strings.Builder
	for reply != "" {
		i := strings.IndexByte(reply, '\n') + 1
		if i == 0 {
			i = len(reply)
		}
		l := reply[:i]
		reply = reply[i:]
		b.WriteString(line(l))
		if size, ok := mcBlockSize(l); ok {
			size = min(size+2, len(reply))
			b.WriteString(reply[:size])
			reply = reply[size:]
		}
	}
	return b.String()
}

// mcMetaCodes are the status codes of meta replies.
var mcMetaCodes = map[string]bool{"HD": true, "VA": true, "EN": true, "NF": true, "NS": true, "EX": true}

// normalizeMC masks the cas uniques in reply and the remaining TTLs,
// which it returns in order.
func normalizeMC(reply string) (string, []int64) {
	var ttls []int64
	norm := walkMCReply(reply, func(line string) string {
		f := strings.Split(strings.TrimSuffix(line, "\r\n"), " ")
		switch {
		case f[0] == "VALUE" && len(f) == 5:
			f[4] = "*"
		case mcMetaCodes[f[0]]:
			first := 1
			if f[0] == "VA" {
				first = 2 // after the size
			}
			for i := first; i < len(f); i++ {
				if _, ok := mcNumFlag(f[i], "c"); ok {
					f[i] = "c*"
				} else if v, ok := mcNumFlag(f[i], "t"); ok {
					f[i] = "t*"
					ttls = append(ttls, v)
				}
			}
		case f[0] == "ME":
			for i := 2; i < len(f); i++ {
				if v, ok := mcNumFlag(f[i], "exp="); ok {
					f[i] = "exp=*"
					ttls = append(ttls, v)
				} else if _, ok := mcNumFlag(f[i], "la="); ok {
					f[i] = "la=*"
				} else if _, ok := mcNumFlag(f[i], "cas="); ok {
					f[i] = "cas=*"
				}
			}
		default:
			return line
		}
		return strings.Join(f, " ") + line[len(strings.TrimSuffix(line, "\r\n")):]
	})
	return norm, ttls
}

// mcNumFlag returns the number after prefix in tok.
func mcNumFlag(tok, prefix string) (int64, bool) {
	s, ok := strings.CutPrefix(tok, prefix)
	if !ok || s == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// compare compares the replies to grp, and records the cas uniques each
// side showed.
func (d *mcDiffer) compare(grp mcGroup, want, got string) {
	d.t.Helper()
	d.groups++
	d.last = append(d.last, grp)
	if len(d.last) > 8 {
		d.last = d.last[1:]
	}
	d.recordCas(mcRef, grp, want)
	d.recordCas(mcFaed, grp, got)
	nw, tw := normalizeMC(want)
	ng, tg := normalizeMC(got)
	if nw == ng && ttlsClose(tw, tg) {
		d.countLines(want)
		return
	}
	d.mismatches++
	name := grp[0].name()
	if d.reported[name] {
		d.t.Fail()
		return
	}
	d.reported[name] = true
	var hist strings.Builder
	for _, h := range d.last[:len(d.last)-1] {
		fmt.Fprintf(&hist, "\n  %s", h)
	}
	d.t.Errorf("seed %d, group %d: %s\n memcached:    %q\n through faed: %q\nthe groups before it:%s",
		d.seed, d.groups, grp, short(want), short(got), hist.String())
	if len(d.reported) == maxMismatches {
		d.t.Fatalf("stopped after mismatches in %d commands", maxMismatches)
	}
}

func ttlsClose(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if max(a[i]-b[i], b[i]-a[i]) > mcTTLSlack || (a[i] < 0) != (b[i] < 0) {
			return false
		}
	}
	return true
}

// recordCas tells the generator the cas uniques in side's reply to grp:
// those of VALUE lines, and the c flag of a meta reply that names its key
// with k or answers a group of one request.
func (d *mcDiffer) recordCas(side int, grp mcGroup, reply string) {
	walkMCReply(reply, func(line string) string {
		f := strings.Split(strings.TrimSuffix(line, "\r\n"), " ")
		switch {
		case f[0] == "VALUE" && len(f) == 5:
			if cas, err := strconv.ParseUint(f[4], 10, 64); err == nil {
				d.g.sawCas(side, f[1], cas)
			}
		case mcMetaCodes[f[0]]:
			d.recordMetaCas(side, grp, f)
		}
		return line
	})
}

func (d *mcDiffer) recordMetaCas(side int, grp mcGroup, f []string) {
	key, cas := "", ""
	if len(grp) == 1 {
		key = grp[0].key
	}
	b64 := slices.Contains(f[1:], "b")
	for i, tok := range f[1:] {
		switch {
		case i == 0 && f[0] == "VA":
		case strings.HasPrefix(tok, "c"):
			cas = tok[1:]
		case strings.HasPrefix(tok, "k"):
			key = tok[1:]
			if b64 {
				dec, err := base64.StdEncoding.DecodeString(key)
				if err != nil {
					return
				}
				key = string(dec)
			}
		}
	}
	if v, err := strconv.ParseUint(cas, 10, 64); err == nil && key != "" {
		d.g.sawCas(side, key, v)
	}
}

// countLines counts the lines of a matching reply by status.
func (d *mcDiffer) countLines(reply string) {
	walkMCReply(reply, func(line string) string {
		status, _, _ := strings.Cut(strings.TrimSuffix(line, "\r\n"), " ")
		if strings.HasSuffix(status, "_ERROR") {
			status = strings.TrimSuffix(line, "\r\n")
		}
		d.lines[status]++
		return line
	})
}

// lineStats renders the counts of the most frequent statuses.
func (d *mcDiffer) lineStats() string {
	statuses := make([]string, 0, len(d.lines))
	for s := range d.lines {
		statuses = append(statuses, s)
	}
	slices.SortFunc(statuses, func(a, b string) int { return d.lines[b] - d.lines[a] })
	var parts []string
	for _, s := range statuses[:min(len(statuses), 30)] {
		parts = append(parts, fmt.Sprintf("%q:%d", s, d.lines[s]))
	}
	return strings.Join(parts, " ")
}

// compareKeys reads every key of the key space both ways.
func (d *mcDiffer) compareKeys(keys []string) {
	d.t.Helper()
	var batch mcBatch
	for _, k := range keys {
		batch = append(batch, mcGroup{both("gets " + k + "\r\n")}, mcGroup{both("mg " + k + " s f t v\r\n")})
	}
	d.exchange(batch)
}

// checkMemcachedShares checks that each of faed's memcached served a fair
// share of the n requests.
func checkMemcachedShares(t *testing.T, ms []*testkit.Process, n int) {
	t.Helper()
	for i, m := range ms {
		stats := mcDial(t, m.Addr).roundTrip("stats\r\n", "END\r\n")
		done := 0
		for _, name := range []string{"cmd_get", "cmd_set", "cmd_touch", "delete_hits", "delete_misses", "incr_hits", "incr_misses"} {
			if _, after, ok := strings.Cut(stats, "STAT "+name+" "); ok {
				v, _, _ := strings.Cut(after, "\r")
				k, _ := strconv.Atoi(v)
				done += k
			}
		}
		if done < n/(20*len(ms)) {
			t.Errorf("memcached %d served %d requests of %d", i, done, n)
		}
	}
}

// mcGen generates the request stream over a small key space. It keeps the
// cas uniques each side has shown for each key, so that a cas request can
// carry each side its own.
type mcGen struct {
	r    *rand.Rand
	keys []string               // plain keys
	nums []string               // keys that mostly hold numbers
	odd  []string               // keys with a tab, a CR, other bytes, 250 bytes
	grow []string               // keys whose numbers only grow (see arith)
	cas  [2]map[string][]uint64 // by side, key: the cas uniques shown, latest last
	long string                 // a key one byte too long
}

func newMCGen(seed uint64) *mcGen {
	g := &mcGen{
		r:    rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)),
		odd:  []string{"t\tab", "c\rd", "\xc3\xbc\xff", strings.Repeat("L", 250)},
		cas:  [2]map[string][]uint64{{}, {}},
		long: strings.Repeat("l", 251),
	}
	for i := 0; i < 16; i++ {
		g.keys = append(g.keys, fmt.Sprintf("k%d", i))
	}
	for i := 0; i < 6; i++ {
		g.nums = append(g.nums, fmt.Sprintf("n%d", i))
	}
	for i := 0; i < 3; i++ {
		g.grow = append(g.grow, fmt.Sprintf("p%d", i))
	}
	return g
}

func (g *mcGen) allKeys() []string {
	return slices.Concat(g.keys, g.nums, g.odd, g.grow)
}

// sawCas records a cas unique side showed for key.
func (g *mcGen) sawCas(side int, key string, cas uint64) {
	seen := append(g.cas[side][key], cas)
	if len(seen) > 8 {
		seen = seen[1:]
	}
	g.cas[side][key] = seen
}

func (g *mcGen) n(k int) int              { return g.r.IntN(k) }
func (g *mcGen) pick(xs ...string) string { return xs[g.n(len(xs))] }
func (g *mcGen) itoa(lo, hi int) string   { return strconv.Itoa(lo + g.n(hi-lo+1)) }

// key returns a key of the key space: mostly plain, some numeric, a few odd.
func (g *mcGen) key() string {
	switch n := g.n(20); {
	case n < 13:
		return g.pick(g.keys...)
	case n < 18:
		return g.pick(g.nums...)
	}
	return g.pick(g.odd...)
}

// numKey returns a key that mostly holds a number: the only keys incr,
// decr and ma change (see valueFor).
func (g *mcGen) numKey() string { return g.pick(g.nums...) }

// batch returns the next batch: groups of mostly one request; a pipelined
// batch is sometimes longer than faed's 1024 pending requests.
func (g *mcGen) batch(pipelined bool) mcBatch {
	size := 50
	switch {
	case !pipelined || g.n(10) < 7:
	case g.n(3) > 0:
		size = 1 + g.n(10)
	default:
		size = 1100 + g.n(400)
	}
	b := make(mcBatch, size)
	for i := range b {
		n := 1
		if g.n(4) == 0 {
			n = 2 + g.n(5)
		}
		for j := 0; j < n; j++ {
			b[i] = append(b[i], g.next(mcPos{first: i == 0 && j == 0, fresh: j == 0 && (i == 0 || !pipelined)}))
		}
	}
	return b
}

// mcPos is where a request goes in its batch.
type mcPos struct {
	// first: the first request of the batch. Only there may a get fail,
	// since memcached 1.6 then drops the replies it has not sent yet of the
	// requests before it.
	first bool
	// fresh: every reply before the request has been read, so memcached
	// holds no item for a reply in flight (see arith).
	fresh bool
}

// next returns the next request.
func (g *mcGen) next(pos mcPos) mcReq {
	if pos.first && g.n(8) == 0 {
		return both(g.badFetch())
	}
	n := g.n(100)
	switch {
	case n < 16:
		return both(g.fetch())
	case n < 30:
		return both(g.store())
	case n < 34:
		return g.cas1()
	case n < 38:
		return both(g.deleteReq())
	case n < 44:
		return both(g.arith(pos.fresh))
	case n < 47:
		return both(g.touch())
	case n < 57:
		return g.metaGet()
	case n < 66:
		return g.metaSet()
	case n < 70:
		return g.metaDelete()
	case n < 76:
		return g.metaArith(pos.fresh)
	case n < 78:
		return g.metaMisc()
	case n < 79 && g.n(5) == 0:
		return both(g.flush())
	case n < 92:
		return both(g.bad())
	case n < 95:
		k, v := g.pick(g.grow...), g.itoa(0, 999)
		return both(g.line("set", k, "0", "0", strconv.Itoa(len(v))) + v + "\r\n")
	}
	return both(g.store()) // numbers for incr and decr, mostly
}

// line joins tokens as a command line: mostly single spaces and CRLF,
// sometimes more spaces, leading spaces or a bare LF.
func (g *mcGen) line(tokens ...string) string {
	var b strings.Builder
	if g.n(30) == 0 {
		b.WriteString("  ")
	}
	for i, t := range tokens {
		if i > 0 {
			b.WriteString(g.pick(" ", " ", " ", " ", " ", " ", " ", "  ", "   "))
		}
		b.WriteString(t)
	}
	if g.n(15) == 0 {
		return b.String() + "\n"
	}
	return b.String() + "\r\n"
}

// exptime returns an expiry that does not pass during the run: none,
// long, already past (relative or absolute) or in the future (absolute).
func (g *mcGen) exptime() string {
	switch g.n(10) {
	case 0, 1, 2, 3:
		return "0"
	case 4:
		return g.pick("-1", "-1000", "1000000000", "2000000000", "2147483647")
	}
	return g.itoa(1000, 1000000)
}

func (g *mcGen) flags() string {
	return g.pick("0", "0", "0", "1", "42", "65535", "4294967295")
}

// value returns a data block: words, numbers, edge numbers, bytes that
// look like protocol, now and then a big one.
func (g *mcGen) value() string {
	switch g.n(20) {
	case 0, 1, 2:
		return g.itoa(0, 100)
	case 3:
		return g.pick("", "0", "18446744073709551615", "18446744073709551616", "-1", " 1", "1 ", "007",
			"12345678901234567890", "abc", "9 ")
	case 4:
		return g.pick("a\r\nb", "\x00", "\r\n", "END\r\n", "MN\r\n", "VALUE x 0 1\r\nx\r\n", "VA 1 ", "add 1 2 3 4",
			"\xff\xfe")
	case 5:
		if g.n(8) == 0 {
			return strings.Repeat(g.pick("x", "\r\n", "ab c"), 1000+g.n(120000))
		}
	}
	return g.word()
}

// valueFor returns a value for key. The value of a key that incr, decr
// or ma may change is never only white space: memcached 1.6 then reads the
// number past the end of the value, in whatever memory follows.
func (g *mcGen) valueFor(key string) string {
	for {
		v := g.value()
		if !slices.Contains(g.nums, key) || strings.TrimSpace(v) != "" {
			return v
		}
	}
}

// word returns 1 to 10 letters from a to f.
func (g *mcGen) word() string {
	var b strings.Builder
	for i := 1 + g.n(10); i > 0; i-- {
		b.WriteByte(byte('a' + g.n(6)))
	}
	return b.String()
}

// safeData returns the data block of a storage line that declares one
// byte and that memcached may refuse (and then read the block as a
// command) or accept: one byte that is no command.
func (g *mcGen) safeData() string {
	return g.pick("x", "b", "9", "\x00") + "\r\n"
}

// someKeys returns 1 to most keys, repeats and misses among them, that
// take at most room bytes with their spaces.
func (g *mcGen) someKeys(most, room int) []string {
	var ks []string
	for i := 1 + g.n(most); i > 0; i-- {
		k := g.key()
		switch g.n(20) {
		case 0, 1:
			k = "miss" + g.itoa(0, 9)
		case 2:
			k = g.pick(g.grow...)
		}
		if room -= len(k) + 3; room < 0 {
			break
		}
		ks = append(ks, k)
	}
	return ks
}

// fetch is get, gets, gat or gats. Only get and gets lines may be longer
// than 2048 bytes: memcached closes the connection for other long lines
// when they come in more than one read.
func (g *mcGen) fetch() string {
	switch g.n(10) {
	case 0:
		cmd := g.pick("get", "gets")
		return g.line(append([]string{cmd, g.key()}, g.someKeys(600, 1<<20)...)...) // often over 2048 bytes
	case 1, 2:
		ks := g.someKeys(8, 1900)
		if g.n(10) == 0 {
			ks = nil // no key: just END
		}
		return g.line(append([]string{g.pick("gat", "gats"), g.exptime()}, ks...)...)
	}
	cmd := g.pick("get", "get", "gets", "gets", "bget")
	return g.line(append([]string{cmd, g.key()}, g.someKeys(9, 1500)...)...)
}

// badFetch is a get, gets, gat or gats that memcached refuses.
func (g *mcGen) badFetch() string {
	switch g.n(5) {
	case 0:
		return g.line(g.pick("get", "gets"), g.key(), g.long, g.key())
	case 1:
		return g.line(g.pick("gat", "gats"), g.pick("x", "2147483648", "1.5", "k1"), g.key())
	case 2:
		return g.line(g.pick("gat", "gats"), "0", g.long)
	case 3:
		return g.line(g.pick("get", "gets", "gat", "gats"))
	}
	return g.line("get", g.key()+"\x00", g.key()) // NUL ends the line
}

func (g *mcGen) noreply(tokens []string) []string {
	if g.n(6) == 0 {
		return append(tokens, "noreply")
	}
	return tokens
}

// store is set, add, replace, append or prepend.
func (g *mcGen) store() string {
	cmd := g.pick("set", "set", "set", "add", "replace", "append", "prepend")
	k := g.key()
	v := g.valueFor(k)
	if slices.Contains(g.nums, k) && g.n(3) > 0 {
		v = g.pick(g.itoa(0, 1000), "18446744073709551610", "0", "5")
	}
	return g.line(g.noreply([]string{cmd, k, g.flags(), g.exptime(), strconv.Itoa(len(v))})...) + v + "\r\n"
}

// casArg returns the cas unique for key each side sends: the last it
// showed, an older one, 0, or one never given out.
func (g *mcGen) casArg(key string) [2]string {
	choice, older := g.n(10), g.n(8)
	junk := strconv.FormatUint(1<<40+g.r.Uint64N(1<<20), 10)
	var out [2]string
	for side := range out {
		seen := g.cas[side][key]
		switch {
		case choice == 0:
			out[side] = "0"
		case choice == 1 || len(seen) == 0:
			out[side] = junk
		case choice == 2:
			out[side] = strconv.FormatUint(seen[older%len(seen)], 10)
		default:
			out[side] = strconv.FormatUint(seen[len(seen)-1], 10)
		}
	}
	return out
}

func (g *mcGen) cas1() mcReq {
	k := g.key()
	v := g.valueFor(k)
	head := []string{"cas", k, g.flags(), g.exptime(), strconv.Itoa(len(v))}
	noreply := g.n(6) == 0
	var r mcReq
	for side, cas := range g.casArg(k) {
		tokens := append(slices.Clone(head), cas)
		if noreply {
			tokens = append(tokens, "noreply")
		}
		r.wire[side] = strings.Join(tokens, " ") + "\r\n" + v + "\r\n"
	}
	return r
}

func (g *mcGen) deleteReq() string {
	k := g.key()
	switch g.n(6) {
	case 0:
		return g.line("delete", k, "0")
	case 1:
		return g.line("delete", k, "noreply")
	case 2:
		return g.line("delete", k, "0", "noreply")
	}
	return g.line("delete", k)
}

func (g *mcGen) delta() string {
	switch g.n(10) {
	case 0:
		return g.pick("18446744073709551615", "9223372036854775808", "18446744073709551616", "-1", "x", "1.5", "+1", "01")
	case 1:
		return "0"
	}
	return g.itoa(1, 100)
}

// arith is incr or decr. When the new number is shorter, memcached
// writes it over the old one, padded with spaces, unless the item is also
// held by a reply in flight: then it stores a new item of the new length,
// and the value read later differs. So only fresh requests (see mcPos) may
// shorten a number; others increment the grow keys by a little.
func (g *mcGen) arith(fresh bool) string {
	if !fresh {
		return g.line(g.noreply([]string{"incr", g.pick(g.grow...), g.itoa(0, 100)})...)
	}
	return g.line(g.noreply([]string{g.pick("incr", "decr"), g.numKey(), g.delta()})...)
}

func (g *mcGen) touch() string {
	exp := g.exptime()
	if g.n(15) == 0 {
		exp = g.pick("x", "2147483648", "")
	}
	return g.line(g.noreply([]string{"touch", g.key(), exp})...)
}

// flush is flush_all without a delay in the future: one with a delay
// would flush at a time the two sides see differently.
func (g *mcGen) flush() string {
	return g.line(g.pick("flush_all", "flush_all 0", "flush_all -1", "flush_all noreply", "flush_all 0 noreply",
		"flush_all x", "flush_all 0 0 0"))
}

// metaKey returns a key for a meta command, as base64 with the b flag
// now and then, the key to record its cas unique under, and the flags.
func (g *mcGen) metaKey() (token, key string, flags []string) {
	return g.metaKeyOf(g.key())
}

// metaKeyOf is metaKey for key.
func (g *mcGen) metaKeyOf(key string) (token, _ string, flags []string) {
	if g.n(8) == 0 && len(key) < 180 { // memcached refuses a base64 key over 250 bytes
		return base64.StdEncoding.EncodeToString([]byte(key)), key, []string{"b"}
	}
	return key, key, nil
}

// someFlags returns a random subset of the flags in random order.
func (g *mcGen) someFlags(flags ...string) []string {
	var out []string
	for _, f := range flags {
		if g.n(3) == 0 {
			out = append(out, f)
		}
	}
	g.r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func (g *mcGen) opaque() string { return "O" + g.pick("1", "abc", "xyz123", "-") }

// metaReq builds a meta request; a flag "C" gets each side's cas unique.
func metaReq(cmd, tokenKey, key string, flags []string, cas [2]string, data *string) mcReq {
	r := mcReq{key: key}
	for side := range r.wire {
		tokens := []string{cmd, tokenKey}
		if data != nil {
			tokens = append(tokens, strconv.Itoa(len(*data)))
		}
		for _, f := range flags {
			if f == "C" {
				f += cas[side]
			}
			tokens = append(tokens, f)
		}
		r.wire[side] = strings.Join(tokens, " ") + "\r\n"
		if data != nil {
			r.wire[side] += *data + "\r\n"
		}
	}
	return r
}

func (g *mcGen) metaGet() mcReq {
	tok, key, flags := g.metaKey()
	vivify := "N" + g.exptime()
	if slices.Contains(g.nums, key) {
		vivify = "f" // N would store an empty value (see valueFor)
	}
	flags = append(flags, g.someFlags("v", "v", "f", "t", "s", "k", "c", "h", "q", g.opaque(),
		"T"+g.exptime(), vivify, "R30")...)
	return metaReq("mg", tok, key, flags, [2]string{}, nil)
}

func (g *mcGen) metaSet() mcReq {
	tok, key, flags := g.metaKey()
	v := g.valueFor(key)
	if g.n(4) == 0 {
		v = g.itoa(0, 1000)
	}
	flags = append(flags, g.someFlags("c", "k", "q", g.opaque(), "F"+g.flags(), "T"+g.exptime(),
		"M"+g.pick("E", "A", "P", "R", "S", "e", "a", "p", "r", "s"), "C", "I", "N"+g.exptime())...)
	return metaReq("ms", tok, key, flags, g.casArg(key), &v)
}

func (g *mcGen) metaDelete() mcReq {
	tok, key, flags := g.metaKey()
	flags = append(flags, g.someFlags("q", "k", g.opaque(), "C", "I", "T"+g.exptime(), "x")...)
	return metaReq("md", tok, key, flags, g.casArg(key), nil)
}

// metaArith is ma: like arith, it may shorten a number only when fresh.
func (g *mcGen) metaArith(fresh bool) mcReq {
	if !fresh {
		k := g.pick(g.grow...)
		flags := g.someFlags("k", g.opaque(), "N0", "J"+g.itoa(0, 20), "M"+g.pick("I", "i", "+"), "t", "c", "v")
		if g.n(2) == 0 {
			flags = append(flags, "q")
		}
		return metaReq("ma", k, k, append(flags, "D"+g.itoa(0, 100)), [2]string{}, nil)
	}
	tok, key, flags := g.metaKeyOf(g.numKey())
	if g.n(3) == 0 {
		flags = append(flags, "q")
	}
	flags = append(flags, g.someFlags("k", g.opaque(), "N"+g.exptime(), "J"+g.itoa(0, 20), "D"+g.delta(),
		"T"+g.exptime(), "M"+g.pick("I", "i", "+", "D", "d", "-"), "t", "c", "v", "v", "C")...)
	return metaReq("ma", tok, key, flags, g.casArg(key), nil)
}

// metaMisc is me, or mn with and without tokens.
func (g *mcGen) metaMisc() mcReq {
	switch g.n(3) {
	case 0:
		return mcReq{wire: [2]string{"mn\r\n", "mn\r\n"}, mns: 1}
	case 1:
		return mcReq{wire: [2]string{"mn a b\r\n", "mn a b\r\n"}, mns: 1}
	}
	tok, _, flags := g.metaKey()
	return both(g.line(append([]string{"me", tok}, flags...)...))
}

// bad returns a request memcached refuses, or one that reads oddly. What
// memcached then reads as commands is safe: no storage command that would
// swallow the "mn" ending the group.
func (g *mcGen) bad() string {
	k := g.key()
	switch g.n(14) {
	case 0:
		return g.pick("foo\r\n", "GET k1\r\n", "Get k1\r\n", "gett k1\r\n", "mx k1\r\n", "m\r\n", "x\r\n",
			"\r\n", "   \r\n", "sets k1 0 0 1\r\n", "verbose 1\r\n", "\n", "mgg k1 v\r\n")
	case 1:
		return g.pick("set k1 0 0\r\n", "incr k1\r\n", "incr k1 1 2 3\r\n", "touch k1\r\n", "delete\r\n",
			"delete k1 x y z\r\n", "decr\r\n", "cas k1 0 0 1\r\n", "append k1 0\r\n")
	case 2: // a refused storage line: its data block is read as commands
		return g.badStoreLine() + g.safeData()
	case 3:
		return g.badDataChunk()
	case 4:
		return g.line(g.pick("set", "add", "cas"), g.long, "0", "0", "1") + g.safeData()
	case 5:
		return g.line(g.pick("delete", "incr", "decr", "touch", "mg", "md", "ma", "me"), g.long, g.pick("1", "v", "0"))
	case 6:
		return g.line(g.noreply([]string{g.pick("incr", "decr"), k, g.pick("x", "-1", "18446744073709551616", "1x")})...)
	case 7:
		return g.line(g.noreply([]string{"touch", k, g.pick("x", "2147483648", "1x")})...)
	case 8:
		return g.line(g.noreply([]string{"delete", k, g.pick("1", "00", "x")})...) + g.pick("", "delete k1 noreply 0\r\n")
	case 9:
		return g.badMeta()
	case 10:
		return g.badMetaSet()
	case 11:
		return g.pick("delete k1\x00junk\r\n", "touch k2 1000\x00 x\r\n", "incr p1 1\x00 2\r\n", "mg k3 v\x00 z\r\n")
	case 12:
		return g.tooLarge()
	}
	return g.line("ms", g.long, "1") + g.safeData()
}

// badStoreLine is a storage line with a bad number or token count.
func (g *mcGen) badStoreLine() string {
	cmd := g.pick("set", "add", "replace", "append", "prepend")
	k := g.key()
	switch g.n(6) {
	case 0:
		return g.line(g.noreply([]string{cmd, k, g.pick("abc", "-1", "0x1", "18446744073709551616", "1.0"), "0", "1"})...)
	case 1:
		return g.line(g.noreply([]string{cmd, k, "0", g.pick("x", "2147483648", "1e3"), "1"})...)
	case 2:
		return g.line(g.noreply([]string{cmd, k, "0", "0", g.pick("-1", "x", "2147483646", "1x")})...)
	case 3:
		return g.line(g.noreply([]string{"cas", k, "0", "0", "1", g.pick("-1", "x", "18446744073709551616")})...)
	case 4:
		return g.line(cmd, k, "0", "0", "1", "noreply", "extra")
	}
	return g.line(cmd, k, "0", "0", "1", "extra")
}

// badDataChunk is a storage request whose data block does not end where
// its line says. The block sent is at least two bytes longer than
// declared, so that memcached never reads the next group's bytes.
func (g *mcGen) badDataChunk() string {
	data := g.pick("hello", "abcdef", "12345", "fe\nbc", "cb\rfe")
	size := g.n(len(data) - 1) // the block's end falls inside data, never on CRLF
	tail := g.pick("XX\r\n", "\n\r\n", "\r\r\n", "\r\n")
	if g.n(3) == 0 {
		return g.line("ms", g.key(), strconv.Itoa(size), g.pick("T0", "q", "k")) + data + tail
	}
	return g.line(g.noreply([]string{g.pick("set", "add", "append"), g.key(), "0", "0", strconv.Itoa(size)})...) + data + tail
}

func (g *mcGen) badMeta() string {
	k := g.key()
	switch g.n(5) {
	case 0:
		return g.line(g.pick("mg", "md", "ma", "me", "mg "+k+" z", "mg "+k+" v v", "mg "+k+" Tx", "mg "+k+" E5",
			"mg "+k+" Nx", "md "+k+" z", "md "+k+" Cx", "ma "+k+" Dx", "ma "+k+" z", "ma "+k+" MX", "ma "+k+" Jx",
			"mg "+k+" v noreply", "me "+k+" v", "mg "+k+" b", "md "+k+" b"))
	case 1:
		return g.line("mg", k, "O"+strings.Repeat("1", 40))
	case 2:
		flags := strings.Repeat(" v", 16+g.n(4))
		return g.line(g.pick("mg", "md", "ma") + " " + k + flags) // 19 tokens or more: too many
	case 3:
		return g.line(g.pick("mg", "md", "ma"), k, "q", "q", "v") // memcached: duplicate flag
	}
	return g.line("mg", "!!!", "b", "v") // not base64
}

// badMetaSet is an ms that memcached refuses, with a data block it reads
// as commands or swallows.
func (g *mcGen) badMetaSet() string {
	k := g.key()
	switch g.n(5) {
	case 0:
		return g.line(g.pick("ms", "ms "+k, "ms "+k+" x", "ms "+k+" -1", "ms "+k+" 2147483646")) + g.safeData()
	case 1: // a bad flag: memcached swallows the block
		return g.line("ms", k, "5", g.pick("z", "v v", "MX", "Fx", "E5", "Tx", "Cx", "O"+strings.Repeat("1", 40))) + "hello\r\n"
	case 2:
		return g.line("ms", "!!!", "1", "b") + "x\r\n"
	case 3:
		return g.line("ms", k, "1", "q", "q") + "x\r\n"
	}
	return g.line("ms "+k+" 1"+strings.Repeat(" T0", 16+g.n(3))) + "x\r\n"
}

// tooLarge is, now and then, a value too large for memcached's 1 MiB
// items: faed forwards one of 1 MiB (memcached refuses it) and refuses a
// larger one itself, deleting the key's old value as memcached does. Both
// swallow the value.
func (g *mcGen) tooLarge() string {
	if g.n(20) > 0 {
		return g.line("set", g.key(), "0", "0", g.pick("x", "-5")) + "bc\r\n"
	}
	size := g.pick("1048576", "1048400")
	if g.n(2) == 0 {
		size = "1100000"
	}
	n, _ := strconv.Atoi(size)
	data := strings.Repeat("z", n)
	if g.n(2) == 0 {
		return g.line("ms", g.key(), size, "T0") + data + "\r\n"
	}
	return g.line(g.noreply([]string{"set", g.key(), "0", "0", size})...) + data + "\r\n"
}
