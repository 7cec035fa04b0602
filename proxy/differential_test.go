package proxy

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fae-dev/fae/resp"
	"github.com/fae-dev/fae/testkit"
)

var diffSeed = flag.Uint64("proxy.seed", 0, "seed of TestDifferential's command stream (0: a new one, logged)")

const (
	diffCommands      = 20000 // commands per differential run
	diffCommandsShort = 3000  // with -short
	maxMismatches     = 5     // the run stops after mismatches in this many command names
)

// TestDifferential sends one long seeded random command stream to a
// redis-server directly and to faed over one or four other redis-servers,
// and requires byte-identical replies, except that TTL and EXPIRETIME may
// differ by 1 s and PTTL and PEXPIRETIME by 1 s in milliseconds. Batches go
// one command at a time and pipelined in turn; some commands are sent in
// the inline form. Afterwards every key must read the same both ways.
func TestDifferential(t *testing.T) {
	for _, tc := range []struct {
		name     string
		backends int
	}{
		{"1 backend", 1},
		{"4 backends", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := testkit.StartRedis(t)
			rs := startRedises(t, tc.backends)
			// md5 spreads these short key names; fnv1a_64, the default, puts
			// most of them on one or two of the four servers.
			_, addr := startProxy(t, poolTOML(rs, "hash = \"md5\"\nhash_tag = \"{}\"\ntimeout = \"2s\""))
			seed := *diffSeed
			if seed == 0 {
				seed = uint64(time.Now().UnixNano())
			}
			t.Logf("seed %d (repeat with -proxy.seed=%d)", seed, seed)
			d := &differ{t: t, seed: seed, direct: dial(t, ref.Addr), proxied: dial(t, addr),
				reported: map[string]bool{}, kinds: map[byte]int{}, errs: map[string]int{}}
			g := newCmdGen(seed)
			n := diffCommands
			if testing.Short() {
				n = diffCommandsShort
			}
			for i, pipelined := 0, false; i < n; pipelined = !pipelined {
				batch := make([]diffCmd, min(g.batchSize(pipelined), n-i))
				for j := range batch {
					batch[j] = g.next()
				}
				d.run(i, batch, pipelined)
				i += len(batch)
			}
			d.compareKeys(g.keys)
			t.Logf("%d commands, %d mismatches; replies matched by type: %s; errors by code: %v",
				n, d.mismatches, d.kindStats(), d.errs)
			checkBackends(t, ref, rs, n)
		})
	}
}

// diffCmd is one generated command and how it goes on the wire.
type diffCmd struct {
	args   []string
	inline string // the inline form to send instead, if not empty
}

func (c diffCmd) wire() []byte {
	if c.inline != "" {
		return []byte(c.inline)
	}
	b := make([][]byte, len(c.args))
	for i, a := range c.args {
		b[i] = []byte(a)
	}
	return resp.AppendCommand(nil, b...)
}

func (c diffCmd) String() string {
	if c.inline != "" {
		return fmt.Sprintf("inline %q", c.inline)
	}
	return fmt.Sprintf("%q", c.args)
}

// differ sends commands to redis directly and through faed and compares.
type differ struct {
	t               *testing.T
	seed            uint64
	direct, proxied *client
	last            []diffCmd       // recent commands, for failure messages
	mismatches      int             // replies that differed
	reported        map[string]bool // command names with a mismatch
	kinds           map[byte]int    // matching replies by their first byte
	errs            map[string]int  // matching error replies by code
}

// run sends batch, numbered from first, to both sides, one command at a
// time or all at once, and compares the replies in order.
func (d *differ) run(first int, batch []diffCmd, pipelined bool) {
	d.t.Helper()
	if !pipelined {
		for i, c := range batch {
			d.direct.raw(string(c.wire()))
			d.proxied.raw(string(c.wire()))
			d.compare(first+i, c, d.direct.read(), d.proxied.read())
		}
		return
	}
	var buf []byte
	for _, c := range batch {
		buf = append(buf, c.wire()...)
	}
	waitDirect := writeAsync(d.direct.nc, buf)
	waitProxied := writeAsync(d.proxied.nc, buf)
	want := make([]string, len(batch))
	for i := range batch {
		want[i] = d.direct.read()
	}
	for i, c := range batch {
		d.compare(first+i, c, want[i], d.proxied.read())
	}
	if err := waitDirect(); err != nil {
		d.t.Fatalf("write to redis: %v", err)
	}
	if err := waitProxied(); err != nil {
		d.t.Fatalf("write to faed: %v", err)
	}
}

// writeAsync writes buf to nc from a new goroutine, so that a long pipeline
// cannot block on replies that are not read yet. wait returns the write's
// error once it is done; the caller must call it.
func writeAsync(nc net.Conn, buf []byte) (wait func() error) {
	errc := make(chan error, 1)
	go func() {
		_ = nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		_, err := nc.Write(buf)
		errc <- err
	}()
	return func() error { return <-errc }
}

func (d *differ) compare(i int, c diffCmd, want, got string) {
	d.t.Helper()
	d.last = append(d.last, c)
	if len(d.last) > 10 {
		d.last = d.last[1:]
	}
	if got == want || ttlClose(c.args[0], want, got) {
		d.kinds[want[0]]++
		if want[0] == '-' {
			code, _, _ := strings.Cut(want[1:], " ")
			d.errs[code]++
		}
		return
	}
	d.mismatches++
	name := strings.ToLower(c.args[0])
	if strings.HasPrefix(want, "-ERR unknown command") {
		name = "(unknown)"
	}
	if d.reported[name] {
		d.t.Fail() // reported once per command name, unknown ones together
		return
	}
	d.reported[name] = true
	var hist strings.Builder
	for _, h := range d.last[:len(d.last)-1] {
		fmt.Fprintf(&hist, "\n  %s", clipText(h.String()))
	}
	d.t.Errorf("seed %d, command %d: %s\n direct:       %s\n through faed: %s\nthe commands before it:%s",
		d.seed, i, clipText(c.String()), clipText(fmt.Sprintf("%q", want)), clipText(fmt.Sprintf("%q", got)), hist.String())
	if len(d.reported) == maxMismatches {
		d.t.Fatalf("stopped after mismatches in %d commands", maxMismatches)
	}
}

// clipText shortens s for a failure message.
func clipText(s string) string {
	if len(s) <= 400 {
		return s
	}
	return fmt.Sprintf("%s ...(%d bytes)... %s", s[:300], len(s)-400, s[len(s)-100:])
}

// kindStats renders the reply counts by type, such as "+:10 -:3".
func (d *differ) kindStats() string {
	var parts []string
	for _, k := range "+-:$*" {
		parts = append(parts, fmt.Sprintf("%c:%d", k, d.kinds[byte(k)]))
	}
	return strings.Join(parts, " ")
}

// ttlClose reports whether two replies of a TTL-like command are integers
// close enough to be the same expiry read at slightly different times.
func ttlClose(name, want, got string) bool {
	var tol int64
	switch strings.ToLower(name) {
	case "ttl", "expiretime":
		tol = 1
	case "pttl", "pexpiretime":
		tol = 1000
	default:
		return false
	}
	w, ok1 := resp.ParseInt([]byte(want))
	g, ok2 := resp.ParseInt([]byte(got))
	return ok1 && ok2 && w >= 0 && g >= 0 && max(w-g, g-w) <= tol
}

// compareKeys reads every key of the key space both ways, by its type.
func (d *differ) compareKeys(keys []string) {
	d.t.Helper()
	for i, k := range keys {
		cmds := [][]string{{"TYPE", k}, {"TTL", k}}
		typ := strings.TrimSpace(strings.TrimPrefix(d.direct.do("TYPE", k), "+"))
		switch typ {
		case "string":
			cmds = append(cmds, []string{"GET", k})
		case "list":
			cmds = append(cmds, []string{"LRANGE", k, "0", "-1"})
		case "hash":
			cmds = append(cmds, []string{"HGETALL", k})
		case "set":
			cmds = append(cmds, []string{"SORT", k, "ALPHA"})
		case "zset":
			cmds = append(cmds, []string{"ZRANGE", k, "0", "-1", "WITHSCORES"})
		}
		for _, args := range cmds {
			c := diffCmd{args: args}
			d.compare(-1-i, c, d.direct.do(args...), d.proxied.do(args...))
		}
	}
}

// checkBackends checks that the backends together hold as many keys as
// the reference server, and that each backend served a fair share of the
// n commands.
func checkBackends(t *testing.T, ref *testkit.Process, rs []*testkit.Process, n int) {
	t.Helper()
	want := dial(t, ref.Addr).do("DBSIZE")
	var sum int64
	for i, r := range rs {
		c := dial(t, r.Addr)
		keys, _ := resp.ParseInt([]byte(c.do("DBSIZE")))
		sum += keys
		var done int
		if _, after, ok := strings.Cut(c.do("INFO", "stats"), "total_commands_processed:"); ok {
			line, _, _ := strings.Cut(after, "\r")
			done, _ = strconv.Atoi(line)
		}
		if done < n/(4*len(rs)) {
			t.Errorf("backend %d processed %d commands of %d", i, done, n)
		}
	}
	if got := string(resp.AppendInt(nil, sum)); got != want {
		t.Errorf("backends hold %q keys in all, the reference server %q", got, want)
	}
}

// diffKinds name the value types. Each has plain keys ("list:3") and a
// hash-tag group ("{list}a") that the commands of its type use most of the
// time, so that not every other reply is WRONGTYPE.
var diffKinds = []string{"str", "list", "hash", "set", "zset"}

// cmdGen generates the random command stream over a small key space: plain
// keys, and groups of keys sharing a hash tag for commands whose keys must
// live on one server.
type cmdGen struct {
	r      *rand.Rand
	plain  map[string][]string // by kind
	groups map[string][]string // by kind
	ofKind map[string][]string // plain and grouped, by kind
	keys   []string            // all of them
}

func newCmdGen(seed uint64) *cmdGen {
	g := &cmdGen{
		r:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		plain: map[string][]string{}, groups: map[string][]string{}, ofKind: map[string][]string{},
	}
	for _, kind := range diffKinds {
		for i := 0; i < 6; i++ {
			g.plain[kind] = append(g.plain[kind], fmt.Sprintf("%s:%d", kind, i))
		}
		for _, s := range []string{"a", "b", "c", "d"} {
			g.groups[kind] = append(g.groups[kind], fmt.Sprintf("{%s}%s", kind, s))
		}
		g.ofKind[kind] = append(slices.Clone(g.plain[kind]), g.groups[kind]...)
		g.keys = append(g.keys, g.ofKind[kind]...)
	}
	return g
}

func (g *cmdGen) n(k int) int              { return g.r.IntN(k) }
func (g *cmdGen) pick(xs ...string) string { return xs[g.n(len(xs))] }
func (g *cmdGen) key() string              { return g.keys[g.n(len(g.keys))] }
func (g *cmdGen) itoa(lo, hi int) string   { return strconv.Itoa(lo + g.n(hi-lo+1)) }

// keyOf returns a key meant for values of kind, or now and then any key.
func (g *cmdGen) keyOf(kind string) string {
	if g.n(16) == 0 {
		return g.key()
	}
	return g.pick(g.ofKind[kind]...)
}

// sameKeys returns n keys, maybe repeated, of the hash-tag group of kind,
// or now and then of another group.
func (g *cmdGen) sameKeys(kind string, n int) []string {
	if g.n(8) == 0 {
		kind = diffKinds[g.n(len(diffKinds))]
	}
	grp := g.groups[kind]
	out := make([]string, n)
	for i := range out {
		out[i] = grp[g.n(len(grp))]
	}
	return out
}

// manyKeys returns 1 to most keys of the whole key space, maybe repeated.
func (g *cmdGen) manyKeys(most int) []string { return g.several(1+g.n(most), g.key) }

// several returns n results of f.
func (g *cmdGen) several(n int, f func() string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f()
	}
	return out
}

// value returns a string value: mostly short words and numbers, some
// edge cases for the numeric commands and some binary bytes.
func (g *cmdGen) value() string {
	switch g.n(12) {
	case 0, 1:
		return g.itoa(-100, 100)
	case 2:
		return g.pick("", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
			"1.5", "-0", "007", " 1", "1e3", "0x10", "inf", "nan", "abc")
	case 3:
		return g.pick("a\r\nb", "\x00", "\x00\xff\r", "\"q'", "sp ace", "\\x41")
	}
	var b strings.Builder
	for i := 1 + g.n(8); i > 0; i-- {
		b.WriteByte(byte('a' + g.n(6)))
	}
	return b.String()
}

// bigValue returns a value of 1 KB to 300 KB that crosses faed's 4 KiB
// first read buffer, for strings only: in a hash it would turn the listpack
// into a hash table whose order depends on the server's hash seed.
func (g *cmdGen) bigValue() string {
	return strings.Repeat(g.pick("x", "\r\n", "*1\r\n$1"), 1000+g.n(100000))
}

// long returns a word of 50 to 150 letters, for messages that clip them.
func (g *cmdGen) long() string { return strings.Repeat(string(rune('a'+g.n(26))), 50+g.n(101)) }

// ttl returns a relative expiry in seconds (append "000" for one in
// milliseconds): long enough that nothing expires during the run, and
// spread so that GT and LT comparisons never hinge on the milliseconds
// between the two sides.
func (g *cmdGen) ttl() string { return g.itoa(1000, 1000000) }

func (g *cmdGen) member() string { return g.pick("a", "b", "c", "d", "e", "1", "2", "3", "10", "-5") }
func (g *cmdGen) field() string  { return g.pick("f0", "f1", "f2", "f3", "f4") }
func (g *cmdGen) score() string {
	return g.pick(g.itoa(-10, 10), g.itoa(-10, 10), "1.5", "-2.25", "inf", "-inf", "+inf", "1e3", "nan", "x", "(1")
}
func (g *cmdGen) index() string { return g.itoa(-6, 8) }

// batchSize returns how many commands to send in the next batch: a
// pipelined batch is sometimes longer than faed's 1024 pending requests.
func (g *cmdGen) batchSize(pipelined bool) int {
	switch {
	case !pipelined || g.n(10) < 7:
		return 50
	case g.n(3) > 0:
		return 1 + g.n(10)
	default:
		return 1100 + g.n(400)
	}
}

// next returns the next command, in random letter case, sometimes inline.
func (g *cmdGen) next() diffCmd {
	gens := [...]func() []string{g.stringCmd, g.stringCmd, g.listCmd, g.hashCmd, g.setCmd,
		g.zsetCmd, g.keyCmd, g.keyCmd, g.multiKeyCmd, g.sameServerCmd, g.oddCmd}
	args := gens[g.n(len(gens))]()
	if g.n(4) == 0 {
		args[0] = randomCase(g.r, args[0])
	}
	c := diffCmd{args: args}
	if g.n(10) == 0 && len(strings.Join(args, "")) < 1000 {
		c.inline = inlineForm(g.r, args)
	}
	return c
}

// randomCase lowers some of the upper-case letters of a command name.
func randomCase(r *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' && r.IntN(2) == 0 {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// inlineForm renders args as an inline request, quoting arguments that
// need it (and some that do not) the way sdssplitargs reads them.
func inlineForm(r *rand.Rand, args []string) string {
	var b strings.Builder
	if r.IntN(8) == 0 {
		b.WriteString([]string{"\r\n", "\n", " \t\r\n"}[r.IntN(3)]) // an empty request: no reply
	}
	for i, a := range args {
		if i > 0 || r.IntN(8) == 0 {
			b.WriteString([]string{" ", " ", "  ", "\t", " \t"}[r.IntN(5)])
		}
		plain := a != "" && !strings.ContainsAny(a, " \t\r\n\v\f\"'\x00\\")
		switch {
		case plain && r.IntN(4) > 0:
			b.WriteString(a)
		case !strings.ContainsAny(a, "'\\\x00\r\n") && r.IntN(2) == 0:
			b.WriteString("'" + a + "'")
		default:
			b.WriteByte('"')
			for j := 0; j < len(a); j++ {
				switch c := a[j]; {
				case c == '"' || c == '\\':
					b.WriteString("\\" + string(c))
				case c == '\n':
					b.WriteString(`\n`)
				case c < ' ' || c > '~':
					fmt.Fprintf(&b, `\x%02x`, c)
				default:
					b.WriteByte(c)
				}
			}
			b.WriteByte('"')
		}
	}
	if r.IntN(2) == 0 {
		return b.String() + "\n"
	}
	return b.String() + "\r\n"
}

// stringCmd, listCmd, hashCmd, setCmd and zsetCmd are commands on one key
// of their type, with edge cases: bad numbers, bad options, wrong types.
func (g *cmdGen) stringCmd() []string {
	k := g.keyOf("str")
	switch g.n(22) {
	case 0, 1:
		return []string{"GET", k}
	case 2, 3:
		return g.setWithOptions(k)
	case 4:
		return []string{"INCR", k}
	case 5:
		return []string{g.pick("INCRBY", "DECRBY"), k, g.pick(g.itoa(-1000, 1000), g.value())}
	case 6:
		return []string{"INCRBYFLOAT", k, g.pick("1.5", "-0.25", "1e2", g.value())}
	case 7:
		if g.n(20) == 0 { // plain keys only: LCS on two big values is slow
			return []string{g.pick("APPEND", "SET"), g.pick(g.plain["str"]...), g.bigValue()}
		}
		return []string{"APPEND", k, g.value()}
	case 8:
		return []string{"GETRANGE", k, g.index(), g.index()}
	case 9:
		return []string{"SETRANGE", k, g.pick(g.itoa(0, 20), "-1", "536870912", "x"), g.value()}
	case 10:
		return []string{"STRLEN", k}
	case 11:
		return []string{"GETDEL", k}
	case 12:
		return append([]string{"GETEX", k}, g.pickArgs(
			nil, []string{"EX", g.ttl()}, []string{"PX", g.ttl() + "000"}, []string{"PERSIST"},
			[]string{"EXAT", "4102444800"}, []string{"PXAT", "4102444800123"}, []string{"EX", "0"},
			[]string{"EX", g.ttl(), "PERSIST"})...)
	case 13:
		return []string{g.pick("SETNX", "GETSET"), k, g.value()}
	case 14:
		if g.n(2) == 0 {
			return []string{"PSETEX", k, g.pick(g.ttl()+"000", "0", "-5", "x"), g.value()}
		}
		return []string{"SETEX", k, g.pick(g.ttl(), "0", "-5", "x"), g.value()}
	case 15:
		return []string{"DECR", k}
	case 16:
		return []string{"SETBIT", k, g.itoa(0, 40), g.pick("0", "1", "2")}
	case 17:
		return []string{g.pick("GETBIT", "BITCOUNT"), k, g.itoa(0, 40)}
	case 18:
		return []string{"BITCOUNT", k}
	case 19:
		return []string{"SUBSTR", k, g.index(), g.index()}
	case 20:
		return []string{"OBJECT", "ENCODING", k}
	default:
		return []string{"SET", k, g.value()}
	}
}

// pickArgs returns one of the argument lists.
func (g *cmdGen) pickArgs(xs ...[]string) []string { return xs[g.n(len(xs))] }

// setWithOptions is SET with random options, some of them invalid together.
func (g *cmdGen) setWithOptions(k string) []string {
	args := []string{"SET", k, g.value()}
	opts := [][]string{
		{"EX", g.ttl()}, {"PX", g.ttl() + "000"}, {"KEEPTTL"}, {"NX"}, {"XX"}, {"GET"},
		{"EXAT", "4102444800"}, {"EX", g.pick("0", "-1", "x")},
	}
	for i := g.n(3); i > 0; i-- {
		args = append(args, opts[g.n(len(opts))]...)
	}
	return args
}

func (g *cmdGen) listCmd() []string {
	k := g.keyOf("list")
	switch g.n(16) {
	case 0, 1:
		return append([]string{g.pick("LPUSH", "RPUSH"), k}, g.several(1+g.n(3), g.value)...)
	case 2:
		return append([]string{g.pick("LPUSHX", "RPUSHX"), k}, g.several(1+g.n(2), g.value)...)
	case 3, 4:
		args := []string{g.pick("LPOP", "RPOP"), k}
		if g.n(2) == 0 {
			args = append(args, g.pick(g.itoa(0, 4), "-1", "x"))
		}
		return args
	case 5, 6:
		return []string{"LRANGE", k, g.index(), g.index()}
	case 7:
		return []string{"LLEN", k}
	case 8:
		return []string{"LINDEX", k, g.index()}
	case 9:
		return []string{"LSET", k, g.index(), g.value()}
	case 10:
		return []string{"LREM", k, g.itoa(-2, 2), g.value()}
	case 11:
		return []string{"LTRIM", k, g.itoa(0, 2), g.itoa(3, 12)}
	case 12:
		return []string{"LINSERT", k, g.pick("BEFORE", "AFTER", "NEAR"), g.value(), g.value()}
	case 13:
		return append([]string{"LPOS", k, g.value()}, g.pickArgs(nil, []string{"RANK", "-1"}, []string{"COUNT", "0"}, []string{"RANK", "0"})...)
	default:
		return []string{"LRANGE", k, "0", "-1"}
	}
}

func (g *cmdGen) hashCmd() []string {
	k := g.keyOf("hash")
	switch g.n(14) {
	case 0, 1:
		args := []string{g.pick("HSET", "HSET", "HMSET"), k}
		for i := 1 + g.n(3); i > 0; i-- {
			args = append(args, g.field(), g.value())
		}
		if g.n(10) == 0 {
			args = append(args, g.field()) // odd: an error
		}
		return args
	case 2, 3:
		return []string{"HGET", k, g.field()}
	case 4, 5:
		return []string{"HGETALL", k}
	case 6:
		return append([]string{"HDEL", k}, g.field(), g.field())
	case 7:
		return []string{"HINCRBY", k, g.field(), g.pick(g.itoa(-50, 50), "9223372036854775807", g.value())}
	case 8:
		return []string{"HINCRBYFLOAT", k, g.field(), g.pick("1.5", "-3", g.value())}
	case 9:
		return []string{g.pick("HLEN", "HKEYS", "HVALS"), k}
	case 10:
		return []string{g.pick("HEXISTS", "HSTRLEN"), k, g.field()}
	case 11:
		return []string{"HMGET", k, g.field(), g.field(), g.field()}
	case 12:
		return []string{"HSETNX", k, g.field(), g.value()}
	default:
		return []string{"HGETALL", k}
	}
}

// setCmd reads sets through SORT, SCARD and SISMEMBER only, never
// SMEMBERS: a set of strings is a hash table in Redis 7.0, whose order
// depends on the server's random hash seed.
func (g *cmdGen) setCmd() []string {
	k := g.keyOf("set")
	switch g.n(10) {
	case 0, 1, 2:
		return append([]string{"SADD", k}, g.several(1+g.n(3), g.member)...)
	case 3:
		return append([]string{"SREM", k}, g.several(1+g.n(2), g.member)...)
	case 4:
		return []string{"SCARD", k}
	case 5:
		return []string{"SISMEMBER", k, g.member()}
	case 6:
		return append([]string{"SMISMEMBER", k}, g.several(3, g.member)...)
	case 7:
		return []string{"SORT", k} // numeric: an error for words
	case 8:
		return []string{"SORT", k, "ALPHA", g.pick("ASC", "DESC"), "LIMIT", g.itoa(0, 2), g.itoa(-1, 4)}
	default:
		return []string{"SORT", k, "ALPHA"}
	}
}

func (g *cmdGen) zsetCmd() []string {
	k := g.keyOf("zset")
	switch g.n(14) {
	case 0, 1, 2:
		args := []string{"ZADD", k}
		for _, o := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
			if g.n(8) == 0 {
				args = append(args, o)
			}
		}
		for i := 1 + g.n(3); i > 0; i-- {
			args = append(args, g.score(), g.member())
		}
		return args
	case 3, 4:
		return []string{"ZRANGE", k, g.index(), g.index(), "WITHSCORES"}
	case 5:
		return []string{"ZRANGE", k, g.pick("-inf", "(0", "1", "x"), g.pick("+inf", "(5", "2"), "BYSCORE", "WITHSCORES"}
	case 6:
		return []string{"ZINCRBY", k, g.score(), g.member()}
	case 7:
		return []string{"ZSCORE", k, g.member()}
	case 8:
		return []string{g.pick("ZCARD", "ZPOPMIN", "ZPOPMAX"), k}
	case 9:
		return append([]string{"ZREM", k}, g.several(2, g.member)...)
	case 10:
		return []string{g.pick("ZRANK", "ZREVRANK"), k, g.member()}
	case 11:
		return []string{"ZCOUNT", k, g.pick("-inf", "0", "(1"), g.pick("+inf", "3", "x")}
	case 12:
		return append([]string{"ZMSCORE", k}, g.several(3, g.member)...)
	default:
		return []string{"ZREVRANGEBYSCORE", k, "+inf", "-inf", "WITHSCORES", "LIMIT", "0", g.itoa(-1, 3)}
	}
}

// keyCmd is a command on any key: type, existence, expiry.
func (g *cmdGen) keyCmd() []string {
	k := g.key()
	switch g.n(12) {
	case 0, 1:
		return []string{"TYPE", k}
	case 2:
		return []string{"EXISTS", k}
	case 3:
		args := []string{"EXPIRE", k, g.ttl()}
		if g.n(2) == 0 {
			args = []string{"PEXPIRE", k, g.ttl() + "000"}
		}
		return append(args, g.pickArgs(nil, nil, []string{"NX"}, []string{"XX"}, []string{"GT"}, []string{"LT"}, []string{"NX", "XX"})...)
	case 4:
		return []string{"EXPIRE", k, g.pick("0", "-1", "x", "9223372036854775807")}
	case 5, 6:
		return []string{"TTL", k}
	case 7:
		return []string{"PTTL", k}
	case 8:
		return []string{"PERSIST", k}
	case 9:
		return []string{g.pick("EXPIRETIME", "PEXPIRETIME"), k}
	case 10:
		return []string{"EXPIREAT", k, g.pick("4102444800", "4102444801", "1")}
	default:
		return []string{"DEL", k}
	}
}

// multiKeyCmd is one of the commands faed splits per server.
func (g *cmdGen) multiKeyCmd() []string {
	switch g.n(7) {
	case 0:
		return append([]string{"MGET"}, g.manyKeys(12)...)
	case 1:
		return append([]string{g.pick("MGET", "EXISTS")}, g.manyKeys(200)...)
	case 2:
		args := []string{"MSET"}
		for i := 1 + g.n(12); i > 0; i-- {
			args = append(args, g.keyOf("str"), g.value())
		}
		if g.n(10) == 0 {
			args = args[:len(args)-1] // odd: an error
		}
		return args
	case 3:
		return append([]string{"EXISTS"}, g.manyKeys(12)...)
	case 4:
		return append([]string{"TOUCH"}, g.manyKeys(12)...)
	case 5:
		return append([]string{"UNLINK"}, g.manyKeys(2)...)
	default:
		return append([]string{"DEL"}, g.manyKeys(3)...)
	}
}

// sameServerCmd is a command over several keys of one hash-tag group.
func (g *cmdGen) sameServerCmd() []string {
	switch g.n(16) {
	case 0:
		ks := g.sameKeys(g.pick(diffKinds...), 2)
		return []string{g.pick("RENAME", "RENAMENX"), ks[0], ks[1]}
	case 1:
		ks := g.sameKeys(g.pick(diffKinds...), 2)
		return append([]string{"COPY", ks[0], ks[1]}, g.pickArgs(nil, []string{"REPLACE"})...)
	case 2:
		ks := g.sameKeys("set", 2)
		return []string{"SMOVE", ks[0], ks[1], g.member()}
	case 3:
		return append([]string{g.pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE")}, g.sameKeys("set", 3)...)
	case 4:
		return append([]string{"SINTERCARD", "2"}, g.sameKeys("set", 2)...)
	case 5:
		ks := g.sameKeys("list", 2)
		return []string{"LMOVE", ks[0], ks[1], g.pick("LEFT", "RIGHT"), g.pick("LEFT", "RIGHT", "UP")}
	case 6:
		return append([]string{"RPOPLPUSH"}, g.sameKeys("list", 2)...)
	case 7:
		ks := g.sameKeys("zset", 3)
		return []string{g.pick("ZUNIONSTORE", "ZINTERSTORE"), ks[0], "2", ks[1], ks[2], "AGGREGATE", g.pick("SUM", "MIN", "MAX", "AVG")}
	case 8:
		return append(append([]string{"ZRANGESTORE"}, g.sameKeys("zset", 2)...), "0", "-1")
	case 9:
		ks := g.sameKeys("str", 2)
		return []string{"MSETNX", ks[0], g.value(), ks[1], g.value()}
	case 10:
		return append([]string{"LCS"}, g.sameKeys("str", 2)...)
	case 11:
		ks := g.sameKeys("set", 2)
		return []string{"SORT", ks[0], "ALPHA", "STORE", ks[1]}
	case 12:
		ks := g.sameKeys(g.pick(diffKinds...), 2)
		return []string{"EVAL", "return redis.call('TYPE', KEYS[1]).ok .. #KEYS", "2", ks[0], ks[1]}
	case 13:
		ks := g.sameKeys("zset", 3)
		return []string{"ZUNIONSTORE", ks[0], "2", ks[1], ks[2], "WEIGHTS", "2", g.pick("x", "0.5")}
	case 14:
		return append(append([]string{g.pick("ZINTER", "ZUNION", "ZDIFF"), "2"}, g.sameKeys("zset", 2)...), "WITHSCORES")
	default:
		return append(append([]string{"SINTERCARD", "2"}, g.sameKeys("set", 2)...), "LIMIT", g.itoa(0, 2))
	}
}

// oddCmd is an error or a command faed answers itself.
func (g *cmdGen) oddCmd() []string {
	k := g.key()
	switch g.n(12) {
	case 0:
		return []string{g.pick("GET", "SET", "LPUSH", "HSET", "ZADD", "MGET", "DEL", "EXPIRE", "RENAME")}
	case 1:
		return []string{g.pick("SET", "LPUSH", "HSET", "ZADD", "INCRBY", "GETRANGE"), k}
	case 2:
		return []string{"GET", k, k}
	case 3:
		return append([]string{g.pick("NOSUCH", "FOO", "gett")}, g.several(g.n(3), g.value)...)
	case 4:
		return []string{"ECHO", g.value()}
	case 5:
		return []string{"PING", g.value()}
	case 6:
		return []string{"PING", "a", "b"}[:1+g.n(3)]
	case 7:
		return []string{"LPUSH", k, "x"} // wrong type on strings, hashes
	case 8:
		return []string{"HGET", k, "f0"} // wrong type on strings, lists
	case 9:
		return []string{"NOSUCH", g.long(), g.long(), g.pick("a\r\nb", g.long())}
	case 10:
		return []string{"SELECT", g.pick("0", "0", "x", "00", "+0", "-0")}
	default:
		return []string{g.pick("GET", "HGETALL", "LLEN"), strings.Repeat("k", 100+g.n(100))}
	}
}
