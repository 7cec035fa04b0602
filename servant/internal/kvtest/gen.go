package kvtest

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Gen produces a seeded random stream of string commands over a small key
// space, with argument shapes that hit error paths: wrong arity, bad and
// overflowing integers, odd floats, option combinations, negative ranges.
//
// Deadlines are chosen so that the stream's outcome does not depend on timing:
// every valid deadline is "nominal", class×1e10 ms plus the command index
// ×1e5 ms from the start (relative ones from the moment they run), so any two
// deadlines set by different commands differ by at least 100 s minus the
// stream's running time, and GT/LT comparisons come out the same in redis and
// lcache. Nothing valid expires during the stream: deadlines are at least
// 1e10 ms away or already past (which deletes deterministically).
type Gen struct {
	r  *rand.Rand
	t0 int64 // unix ms when the stream starts
	i  int64 // index of the command being generated
}

// NewGen returns the generator of the stream of seed, whose deadlines count
// from t0, in unix milliseconds.
func NewGen(seed uint64, t0 int64) *Gen {
	return &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), t0: t0}
}

// pick returns one of xs.
func pick[T any](g *Gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// chance reports true with probability p/100.
func (g *Gen) chance(p int) bool { return g.r.IntN(100) < p }

func (g *Gen) key() string {
	switch {
	case g.chance(1):
		return ""
	case g.chance(1):
		return "k\x00bin"
	}
	return "k" + strconv.Itoa(g.r.IntN(20))
}

var valuePool = []string{
	"0", "1", "-1", "42", "100", "-7", "9223372036854775807", "-9223372036854775808",
	"9223372036854775806", "-9223372036854775807", "9223372036854775808", "+1", "01", "-0",
	" 1", "1 ", "1.5", "-0.25", "10.50", "5.0e3", "1e308", "inf", "nan", "0x1p4", ".5",
	"hello", "", "a\x00b", "\r\n", "world", "foo bar", "3.0000000000000000001",
}

func (g *Gen) value() string {
	switch {
	case g.chance(1):
		return strings.Repeat(pick(g, "x", "ab", "0"), 1+g.r.IntN(1000))
	case g.chance(10):
		return strconv.Itoa(g.r.IntN(2000) - 1000)
	}
	return pick(g, valuePool...)
}

var intPool = []string{
	"0", "1", "-1", "5", "100", "-100", "9223372036854775807", "-9223372036854775808",
	"9223372036854775806", "-9223372036854775807", "9223372036854775808", "-9223372036854775809",
	"abc", "1.5", "", "+1", "01", "-0", " 1", "1e3", "4611686018427387904",
}

func (g *Gen) intArg() string {
	if g.chance(40) {
		return strconv.Itoa(g.r.IntN(41) - 20)
	}
	return pick(g, intPool...)
}

// FloatPool holds the INCRBYFLOAT increments the stream picks from: odd
// spellings, limits of the x87 long double range, and invalid ones.
var FloatPool = []string{
	"0", "1", "-1", "0.1", "0.2", "-0.3", "10.50", "5.0e3", "-3.25", "1e10", "1e-10", "1e308",
	"-1e308", "1e4932", "1.1e4932", "1e5000", "1e-5000", "1e-4950", "inf", "-inf", "Infinity",
	"nan", "0x1p4", "0x1.8", "0x.8p1", "0X1P-2", "0x", "1e", "1e+", "abc", "", " 1", "1 ", ".5",
	"5.", "+2.5", "1e-20", "3.0000000000000000001", "0.000003814697265625",
	"123456789012345678901234567890", "9223372036854775807", "-9223372036854775808", "1\x00",
}

func (g *Gen) floatArg() string {
	if g.chance(30) {
		return strconv.FormatFloat(g.r.NormFloat64()*1000, pick(g, byte('g'), 'f', 'e'), -1, 64)
	}
	return pick(g, FloatPool...)
}

// nominal returns a deadline offset in ms that no other command shares.
func (g *Gen) nominal() int64 {
	return int64(1+g.r.IntN(5))*1e10 + g.i*1e5
}

// relTime returns the argument of EX/PX/EXPIRE/PEXPIRE: mostly nominal, else
// a value that is invalid or (for EXPIRE) already past.
func (g *Gen) relTime(seconds bool) string {
	if g.chance(80) {
		if seconds {
			return strconv.FormatInt(g.nominal()/1000, 10)
		}
		return strconv.FormatInt(g.nominal(), 10)
	}
	bad := []string{"0", "-1", "-100", "abc", "1.5", "", "+5", "9223372036854775807",
		"-9223372036854775808", "-9223372036854775807"}
	if seconds {
		bad = append(bad, "9223372036854775", "9223372036854776")
	}
	return pick(g, bad...)
}

// absTime returns the argument of EXAT/PXAT/EXPIREAT/PEXPIREAT: mostly
// nominal, else past, invalid or fixed far-future values.
func (g *Gen) absTime(seconds bool) string {
	if g.chance(70) {
		ms := g.t0 + g.nominal()
		if seconds {
			return strconv.FormatInt(ms/1000, 10)
		}
		return strconv.FormatInt(ms, 10)
	}
	past := g.t0 - 1e6
	if seconds {
		past /= 1000
	}
	return pick(g, "1", "100", "0", "-1", "abc", "9223372036854775807", "9223372036854775",
		"-9223372036854775808", strconv.FormatInt(past, 10))
}

// setOpts returns random SET options, and whether they include EXAT/PXAT.
func (g *Gen) setOpts() ([]string, bool) {
	if g.chance(40) {
		return nil, false
	}
	var opts []string
	abs := false
	for range 1 + g.r.IntN(3) {
		switch g.r.IntN(11) {
		case 0:
			opts = append(opts, pick(g, "NX", "nx"))
		case 1:
			opts = append(opts, pick(g, "XX", "xX"))
		case 2:
			opts = append(opts, pick(g, "GET", "get"))
		case 3:
			opts = append(opts, "KEEPTTL")
		case 4:
			opts = append(opts, pick(g, "EX", "ex"), g.relTime(true))
		case 5:
			opts = append(opts, "PX", g.relTime(false))
		case 6:
			opts, abs = append(opts, "EXAT", g.absTime(true)), true
		case 7:
			opts, abs = append(opts, "pxat", g.absTime(false)), true
		case 8:
			opts = append(opts, pick(g, "foo", "EX", "nx\x00zz", "KEEPTTL\x00"))
		default:
		}
	}
	return opts, abs
}

func (g *Gen) getexOpts() []string {
	var opts []string
	for range g.r.IntN(3) {
		switch g.r.IntN(7) {
		case 0:
			opts = append(opts, "EX", g.relTime(true))
		case 1:
			opts = append(opts, "px", g.relTime(false))
		case 2:
			opts = append(opts, "EXAT", g.absTime(true))
		case 3:
			opts = append(opts, "PXAT", g.absTime(false))
		case 4:
			opts = append(opts, pick(g, "PERSIST", "persist"))
		default:
			opts = append(opts, pick(g, "NX", "GET", "KEEPTTL", "bogus", "EX"))
		}
	}
	return opts
}

func (g *Gen) expireOpts() []string {
	var opts []string
	if g.chance(50) {
		return nil
	}
	for range 1 + g.r.IntN(2) {
		opts = append(opts, pick(g, "nx", "xx", "gt", "lt", "NX", "GT", "Lt", "foo", "lt\x00x"))
	}
	return opts
}

func (g *Gen) keys(max int) []string {
	ks := make([]string, 1+g.r.IntN(max))
	for i := range ks {
		ks[i] = g.key()
	}
	return ks
}

// Next returns the next commands: usually one, two when a SET with an
// absolute deadline is followed by EXISTS, which makes redis drop the key
// at once if the deadline has passed (as lcache does), so DBSIZE agrees.
func (g *Gen) Next() [][]string {
	g.i++
	name, args, probe := g.command()
	if g.chance(4) {
		args = g.corruptArity(args)
	}
	cmd := append([]string{g.caseOf(name)}, args...)
	if probe && len(args) > 0 {
		return [][]string{cmd, {"EXISTS", args[0]}}
	}
	return [][]string{cmd}
}

func (g *Gen) caseOf(name string) string {
	switch g.r.IntN(4) {
	case 0:
		return strings.ToUpper(name)
	case 1:
		return strings.ToUpper(name[:1]) + name[1:]
	}
	return name
}

func (g *Gen) corruptArity(args []string) []string {
	if len(args) > 0 && g.chance(60) {
		return args[:g.r.IntN(len(args))]
	}
	return append(args, g.value())
}

// command returns a command name, its arguments, and whether an EXISTS probe
// must follow.
func (g *Gen) command() (string, []string, bool) {
	k := g.key()
	switch n := g.r.IntN(100); {
	case n < 12:
		opts, abs := g.setOpts()
		return "set", append([]string{k, g.value()}, opts...), abs
	case n < 22:
		return "get", []string{k}, false
	case n < 26:
		return "getex", append([]string{k}, g.getexOpts()...), false
	case n < 28:
		return "getdel", []string{k}, false
	case n < 31:
		return "del", g.keys(4), false
	case n < 34:
		return "exists", g.keys(4), false
	case n < 37:
		return "mget", g.keys(4), false
	case n < 40:
		return pick(g, "mset", "msetnx"), g.pairs(), false
	case n < 47:
		return pick(g, "incr", "decr"), []string{k}, false
	case n < 53:
		return pick(g, "incrby", "decrby"), []string{k, g.intArg()}, false
	case n < 60:
		return "incrbyfloat", []string{k, g.floatArg()}, false
	case n < 64:
		return "append", []string{k, g.value()}, false
	case n < 66:
		return "strlen", []string{k}, false
	case n < 70:
		return "getrange", []string{k, g.index(), g.index()}, false
	case n < 74:
		return "setrange", []string{k, g.offset(), g.value()}, false
	case n < 84:
		return g.expireCommand(k)
	case n < 90:
		return pick(g, "ttl", "pttl"), []string{k}, false
	case n < 92:
		return "persist", []string{k}, false
	case n < 94:
		return "type", []string{k}, false
	case n < 96:
		return "dbsize", nil, false
	case n < 98:
		return pick(g, "ping", "echo"), g.keys(2)[:g.r.IntN(2)], false
	}
	if g.chance(10) {
		return "flushdb", []string{pick(g, "async", "SYNC", "bogus", "sync\x00")}[:g.r.IntN(2)], false
	}
	return "get", []string{k}, false
}

func (g *Gen) expireCommand(k string) (string, []string, bool) {
	var name, t string
	switch g.r.IntN(4) {
	case 0:
		name, t = "expire", g.relTime(true)
	case 1:
		name, t = "pexpire", g.relTime(false)
	case 2:
		name, t = "expireat", g.absTime(true)
	default:
		name, t = "pexpireat", g.absTime(false)
	}
	return name, append([]string{k, t}, g.expireOpts()...), false
}

func (g *Gen) pairs() []string {
	var args []string
	for range 1 + g.r.IntN(3) {
		args = append(args, g.key(), g.value())
	}
	if g.chance(5) {
		args = args[:len(args)-1]
	}
	return args
}

func (g *Gen) index() string {
	if g.chance(70) {
		return strconv.Itoa(g.r.IntN(31) - 15)
	}
	return pick(g, "9223372036854775807", "-9223372036854775808", "abc", "", "1.0")
}

func (g *Gen) offset() string {
	if g.chance(80) {
		return strconv.Itoa(g.r.IntN(30))
	}
	return pick(g, "-1", "abc", "536870912", "9223372036854775807", "9223372036854775800", "")
}

// TimeSensitive reports whether the reply or the effect of a command depends
// on the moment it runs: TTL, PTTL, and relative deadlines.
func TimeSensitive(args [][]byte) bool {
	switch strings.ToLower(string(args[0])) {
	case "ttl", "pttl", "expire", "pexpire":
		return true
	case "set", "getex":
		return slices.ContainsFunc(args[1:], func(a []byte) bool {
			return isOption(a, "ex") || isOption(a, "px")
		})
	}
	return false
}

// isOption reports whether option b is name in any case, compared as redis
// compares options: as a C string, which ends at its first NUL byte.
func isOption(b []byte, name string) bool {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.EqualFold(string(b), name)
}
