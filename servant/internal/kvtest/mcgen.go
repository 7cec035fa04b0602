package kvtest

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/fae-dev/fae/servant/kvcmd"
)

// MCGen produces the request stream. Nothing it sends expires during the
// test: an exptime is 0, at least 1000 s ahead, or already passed.
type MCGen struct {
	r   *rand.Rand
	now int64 // unix seconds at the start
	// queued is a request to send next: the cas after a gets.
	queued *MCStep
}

func (g *MCGen) chance(p int) bool { return g.r.IntN(1000) < p }

// key returns one of 20 short keys, rarely the longest key memcached takes,
// and when long is set, rarely one longer.
func (g *MCGen) key(long bool) string {
	switch {
	case long && g.chance(10):
		return Key251
	case g.chance(15):
		return Key250
	case g.chance(15):
		return "k:\xc3\xa9\x01"
	}
	return "k" + strconv.Itoa(g.r.IntN(20))
}

// mcValuePool holds no value of white space only: memcached's incr would
// read past its end, into whatever memory follows.
var mcValuePool = []string{
	"0", "1", "9", "10", "99", "100", "42", "1000", "18446744073709551615", "18446744073709551614",
	"18446744073709551616", "-1", "-0", " 5", "5 ", "+5", "\t7", "12\r\nab", "3\x00x", "0x10",
	"abc", "", "hello world", "\r\nx", "VALUE x 0 1", "END", "1.5", "00042",
}

// value returns a data block for key. Only a block that replaces the value
// (joining is false) may be about the size of a slab chunk: memcached
// 1.6.18 corrupts the result of an append or prepend whose block alone is
// chunked (its own flags counting) while the result is not.
func (g *MCGen) value(key string, flags uint32, joining bool) string {
	switch {
	case g.chance(3):
		n := MaxValue(len(key), flags != 0) + g.r.IntN(2)
		return strings.Repeat("v", n)
	case !joining && g.chance(3):
		n := kvcmd.ChunkMax - kvcmd.ItemHeader - len(key) + g.r.IntN(3) - 1
		if flags != 0 {
			n -= 4
		}
		return "7" + strings.Repeat(" ", n-1)
	case g.chance(20):
		return strings.Repeat(string(rune('a'+g.r.IntN(26))), 1+g.r.IntN(3000))
	case g.chance(250):
		return strconv.FormatUint(g.r.Uint64N(1<<uint(1+g.r.IntN(63))), 10)
	}
	return mcValuePool[g.r.IntN(len(mcValuePool))]
}

func (g *MCGen) flags() uint32 {
	switch g.r.IntN(10) {
	case 0:
		return math.MaxUint32
	case 1:
		return g.r.Uint32()
	case 2, 3:
		return uint32(1 + g.r.IntN(100))
	}
	return 0
}

func (g *MCGen) exptime() int64 {
	switch g.r.IntN(30) {
	case 0:
		return -1 - int64(g.r.IntN(1000))
	case 1:
		return kvcmd.RelativeMax
	case 2:
		return kvcmd.RelativeMax + 1 + int64(g.r.IntN(1000)) // 1970: passed
	case 3:
		return g.now + 1_000_000
	case 4:
		return 1_000_000_000 // 2001: passed
	case 5, 6, 7:
		return 1000 + int64(g.r.IntN(100000))
	}
	return 0
}

func (g *MCGen) delta() uint64 {
	switch g.r.IntN(10) {
	case 0:
		return math.MaxUint64
	case 1:
		return 1 << 63
	case 2:
		return g.r.Uint64()
	case 3:
		return 0
	}
	return uint64(g.r.IntN(200))
}

func (g *MCGen) keys(long bool) [][]byte {
	keys := make([][]byte, 1+g.r.IntN(4))
	for i := range keys {
		keys[i] = []byte(g.key(long))
	}
	return keys
}

var mcStoreCmds = []string{"set", "set", "set", "add", "replace", "append", "prepend", "cas", "cas"}

// Next returns the next request: mostly classic, a meta one one time in four.
func (g *MCGen) Next() MCStep {
	if st := g.queued; st != nil {
		g.queued = nil
		return *st
	}
	if g.chance(250) {
		return g.nextMeta()
	}
	st := MCStep{Req: &kvcmd.MC{}, MetaCas: -1}
	r := st.Req
	n := g.r.IntN(100)
	switch {
	case g.chance(3):
		r.Cmd = "flush_all"
		if g.r.IntN(2) == 0 {
			r.Exptime = -int64(g.r.IntN(2)) // 0 or -1: at once
		}
	case n < 45:
		r.Cmd = mcStoreCmds[g.r.IntN(len(mcStoreCmds))]
		key := g.key(false)
		r.Keys = [][]byte{[]byte(key)}
		r.Flags = g.flags()
		r.Exptime = g.exptime()
		r.Value = []byte(g.value(key, r.Flags, r.Cmd == "append" || r.Cmd == "prepend"))
		st.Cas = CasChoice(g.r.IntN(4))
		if g.r.IntN(2) == 0 {
			st.Cas = CasLatest
		}
		if r.Cmd == "cas" && g.chance(300) {
			// gets then cas, as a client does
			g.queued = &st
			return MCStep{Req: &kvcmd.MC{Cmd: "gets", Keys: r.Keys}, MetaCas: -1}
		}
	case n < 65:
		r.Cmd = []string{"get", "gets", "gets", "gat", "gats"}[g.r.IntN(5)]
		r.Keys = g.keys(true)
		if r.Cmd[:2] == "ga" {
			r.Exptime = g.exptime()
			if g.chance(20) {
				r.Keys = nil
			}
		}
	case n < 72:
		r.Cmd = "delete"
		r.Keys = [][]byte{[]byte(g.key(true))}
	case n < 90:
		r.Cmd = []string{"incr", "decr"}[g.r.IntN(2)]
		r.Keys = [][]byte{[]byte(g.key(true))}
		r.Delta = g.delta()
	default:
		r.Cmd = "touch"
		r.Keys = [][]byte{[]byte(g.key(true))}
		r.Exptime = g.exptime()
	}
	if r.Cmd != "get" && r.Cmd != "gets" && r.Cmd[:2] != "ga" && g.chance(100) {
		r.NoReply = true
	}
	return st
}

// metaExptime returns a T or N argument: 0, at least 1000 s ahead, or (when
// past) already passed. A passed one is not asked with flag t, whose echo
// would then be memcached's unsigned wrap-around of a clock it does not show.
func (g *MCGen) metaExptime(past bool) string {
	e := g.exptime()
	for !past && e != 0 && kvcmd.Deadline(e, g.now*1000) < g.now*1000 {
		e = g.exptime()
	}
	return strconv.FormatInt(e, 10)
}

// opaque returns an O flag, rarely one too long.
func (g *MCGen) opaque() string {
	n := g.r.IntN(8)
	if g.chance(20) {
		n = 31 + g.r.IntN(2)
	}
	return "O" + strings.Repeat(string(rune('a'+g.r.IntN(26))), n)
}

// metaFlagSet picks flags from pool in random order, each with probability
// one half.
func (g *MCGen) metaFlagSet(pool []string) []string {
	var out []string
	for _, i := range g.r.Perm(len(pool)) {
		if g.r.IntN(2) == 0 {
			out = append(out, pool[i])
		}
	}
	if len(out) > 0 && g.chance(10) {
		out = append(out, out[0]) // a duplicate
	}
	return out
}

// nextMeta returns a meta request.
func (g *MCGen) nextMeta() MCStep {
	st := MCStep{Req: &kvcmd.MC{}, MetaCas: -1}
	r := st.Req
	key := g.key(false)
	r.Keys = [][]byte{[]byte(key)}
	var flags []string
	switch n := g.r.IntN(100); {
	case n < 35:
		r.Cmd = "mg"
		flags = g.metaFlagSet([]string{"v", "f", "t", "c", "s", "k", "q", g.opaque(), "u"})
		if g.chance(200) {
			past := !slices.Contains(flags, "t")
			flags = append(flags, "T"+g.metaExptime(past))
		}
	case n < 70:
		r.Cmd = "ms"
		flags = g.metaFlagSet([]string{"c", "k", "q", g.opaque(), "C", "M" + string("SEAPR"[g.r.IntN(5)])})
		if g.r.IntN(2) == 0 {
			flags = append(flags, "F"+strconv.FormatUint(uint64(g.flags()), 10))
		}
		if g.r.IntN(2) == 0 {
			flags = append(flags, "T"+g.metaExptime(true))
		}
		r.Value = []byte(g.value(key, 1, slices.Contains(flags, "MA") || slices.Contains(flags, "MP")))
	case n < 80:
		r.Cmd = "md"
		flags = g.metaFlagSet([]string{"q", "k", g.opaque(), "C"})
	case n < 97:
		r.Cmd = "ma"
		mode := string("ID+-"[g.r.IntN(4)])
		flags = g.metaFlagSet([]string{"q", "c", "t", "v", "k", g.opaque(), "C", "M" + mode,
			"D" + strconv.FormatUint(g.delta(), 10), "J" + strconv.FormatUint(g.delta(), 10),
			"N" + g.metaExptime(false)})
		if (mode == "D" || mode == "-") && slices.Contains(flags, "M"+mode) && g.r.IntN(2) == 0 {
			// memcached 1.6.18 loses T when the number grows into a new
			// item (it sets the TTL of the old one): on decr only
			flags = append(flags, "T"+g.metaExptime(false))
		}
	default:
		r.Cmd, r.Keys = "mn", nil
	}
	for i, f := range flags {
		if f == "C" {
			st.MetaCas = i
			st.Cas = CasChoice(g.r.IntN(4))
		}
		r.Meta = append(r.Meta, []byte(f))
	}
	return st
}
