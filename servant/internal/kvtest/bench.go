package kvtest

import (
	"strconv"
	"testing"
)

// Doer runs redis commands, appending the reply to dst: what lcache.Cache
// and kvdb.DB share.
type Doer interface {
	Do(dst []byte, args [][]byte) []byte
}

// BenchGetHit measures GET of an existing 64-byte value of d into a reused
// buffer, and fails b if the last reply is not that value.
func BenchGetHit(b *testing.B, d Doer) {
	d.Do(nil, ToArgs([]string{"SET", "key:1", string(make([]byte, 64))}))
	args := ToArgs([]string{"GET", "key:1"})
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = d.Do(dst[:0], args)
	}
	if len(dst) != 64+len("$64\r\n\r\n") {
		b.Fatalf("GET reply %q", dst)
	}
}

// BenchSet measures SET of a 64-byte value of d over 1024 keys, and
// returns the last reply.
func BenchSet(b *testing.B, d Doer) []byte {
	cmds := make([][][]byte, 1024)
	for i := range cmds {
		cmds[i] = ToArgs([]string{"SET", "key:" + strconv.Itoa(i), string(make([]byte, 64))})
	}
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dst = d.Do(dst[:0], cmds[i%len(cmds)])
		i++
	}
	return dst
}
