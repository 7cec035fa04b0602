package kvtest

import (
	"flag"
	"testing"
)

// Stream is the seed and the length of a differential test's random stream,
// both settable by flags.
type Stream struct {
	seed  *uint64
	count *int
}

// StreamFlags defines the flags prefix+"seed" and prefix+"count" (such as
// -lcache.mcseed and -lcache.mccount) of the stream of the test described
// as test, whose items are units, with the given defaults. Call it once per
// test binary and prefix, from a package-level variable.
func StreamFlags(prefix, test, unit string, seed uint64, count int) Stream {
	return Stream{
		seed:  flag.Uint64(prefix+"seed", seed, "seed of the "+test+"'s "+unit+" stream"),
		count: flag.Int(prefix+"count", count, "number of "+unit+"s in the "+test+"'s stream"),
	}
}

// Seed returns the seed of the stream.
func (s Stream) Seed() uint64 { return *s.seed }

// Count returns the length of the stream, at most short under -short
// (short 0: no cap).
func (s Stream) Count(short int) int {
	n := *s.count
	if short > 0 && testing.Short() {
		n = min(n, short)
	}
	return n
}
