package httpapi

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync/atomic"
)

// MaxRequestIDLen is the longest X-Request-Id taken from a request; a longer
// one is replaced by a generated id.
const MaxRequestIDLen = 128

// idGen generates request ids: 32 hex digits, a random prefix drawn once per
// Server followed by a counter, so ids are unique across restarts and sort by
// arrival within one process. Safe for concurrent use.
type idGen struct {
	prefix [16]byte // hex of 8 random bytes
	n      atomic.Uint64
}

// newIDGen returns a generator with a fresh random prefix.
func newIDGen() *idGen {
	var r [8]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails (Go 1.24+)
	g := &idGen{}
	hex.Encode(g.prefix[:], r[:])
	return g
}

// next returns a new id.
func (g *idGen) next() string {
	var b [32]byte
	var n [8]byte
	copy(b[:16], g.prefix[:])
	binary.BigEndian.PutUint64(n[:], g.n.Add(1))
	hex.Encode(b[16:], n[:])
	return string(b[:])
}

// saneRequestID reports whether a client's X-Request-Id can be used as it is:
// 1 to MaxRequestIDLen bytes of printable ASCII (space to tilde).
func saneRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}
