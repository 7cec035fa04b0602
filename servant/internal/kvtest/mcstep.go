package kvtest

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/fae-dev/fae/servant/kvcmd"
)

// Keys at memcached's key length limit and one byte over it.
var (
	Key250 = strings.Repeat("k", 250)
	Key251 = strings.Repeat("k", 251)
)

// MaxValue is the largest value memcached stores under a key of keyLen
// bytes with non-zero flags or not.
func MaxValue(keyLen int, flags bool) int {
	n := kvcmd.MaxItem - kvcmd.ItemHeader - keyLen
	if flags {
		n -= 4
	}
	return n
}

// NewMCGen returns the generator of the request stream of seed, for a
// stream that starts at unix second now.
func NewMCGen(seed uint64, now int64) *MCGen {
	return &MCGen{r: rand.New(rand.NewPCG(seed, 7)), now: now}
}

// Rand returns the generator's source of randomness, for a test that draws
// more from the same stream.
func (g *MCGen) Rand() *rand.Rand { return g.r }

// CasChoice says which cas unique a cas command (or a meta C flag) sends:
// each side resolves it against the cas uniques it has shown for the key.
type CasChoice uint8

// The cas uniques a CasChoice picks.
const (
	CasLatest CasChoice = iota // the last one shown
	CasOlder                   // an earlier one, or the last if there is one only
	CasJunk                    // one never given out
	CasZero                    // 0
)

// MCStep is one request of the stream. Its cas is resolved per side.
type MCStep struct {
	// Req is the request, its cas unique still to resolve.
	Req *kvcmd.MC
	// Cas is the cas unique to send in Req.Cas or in a C flag.
	Cas CasChoice
	// MetaCas is the index in Req.Meta of a C flag to resolve, or -1.
	MetaCas int
}

// MCSide is the cas uniques one server has shown, per key.
type MCSide map[string][]uint64

// Resolve returns a copy of st.Req with the cas uniques this side chose;
// junk is the unique of CasJunk and picks the one of CasOlder.
func (s MCSide) Resolve(st MCStep, junk uint64) *kvcmd.MC {
	r := *st.Req
	if len(r.Keys) == 0 {
		return &r
	}
	seen := s[string(r.Keys[0])]
	var cas uint64
	switch {
	case st.Cas == CasZero:
	case st.Cas == CasJunk || len(seen) == 0:
		cas = junk
	case st.Cas == CasOlder:
		cas = seen[int(junk)%len(seen)]
	default:
		cas = seen[len(seen)-1]
	}
	r.Cas = cas
	if st.MetaCas >= 0 {
		r.Meta = slices.Clone(r.Meta)
		r.Meta[st.MetaCas] = strconv.AppendUint([]byte("C"), cas, 10)
	}
	return &r
}

// Record notes the cas uniques of reply, an answer to r.
func (s MCSide) Record(r *kvcmd.MC, reply []byte) {
	keys, cas := ReplyCas(reply)
	for i, k := range keys {
		if k == "" && len(r.Keys) > 0 {
			k = string(r.Keys[0])
		}
		s[k] = append(s[k], cas[i])
	}
}

// ReplyCas returns the cas uniques a reply shows, in order, with the key of
// each ("" when the reply does not name it).
func ReplyCas(reply []byte) (keys []string, cas []uint64) {
	ForEachLine(reply, func(f []string) {
		switch {
		case f[0] == "VALUE" && len(f) == 5:
			keys, cas = append(keys, f[1]), append(cas, atou(f[4]))
		case IsMetaCode(f[0]):
			for _, tok := range f[1:] {
				if len(tok) > 1 && tok[0] == 'c' {
					keys, cas = append(keys, ""), append(cas, atou(tok[1:]))
				}
			}
		}
	})
	return keys, cas
}

// ForEachLine calls f with the fields of each line of a memcache reply
// (split on spaces, as memcached joins them, without the line end),
// skipping the data blocks that the lines announce.
func ForEachLine(reply []byte, f func(fields []string)) {
	rest := reply
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return
		}
		fields := strings.Split(strings.TrimSuffix(string(rest[:i+1]), "\r\n"), " ")
		rest = rest[i+1:]
		f(fields)
		if n, ok := DataSize(fields); ok && n+2 <= len(rest) {
			rest = rest[n+2:]
		}
	}
}

// DataSize returns the length of the data block that the fields f of a reply
// line announce:
// "VALUE key flags bytes [cas]" or "VA bytes flags...".
func DataSize(f []string) (int, bool) {
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

// IsMetaCode reports whether s is the status code of a meta reply.
func IsMetaCode(s string) bool {
	switch s {
	case "HD", "VA", "EN", "NF", "NS", "EX":
		return true
	}
	return false
}
