package kvcmd_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/fae-dev/fae/servant/internal/kvtest"
	"github.com/fae-dev/fae/servant/kvcmd"
)

// FuzzParseLongDouble checks that parsing never panics, and that a decimal
// float that strconv reads is accepted with the same value, give or take the
// double rounding through 64 mantissa bits.
func FuzzParseLongDouble(f *testing.F) {
	for _, s := range kvtest.FloatPool {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ld, ok := kvcmd.ParseLongDouble([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || want == 0 || strings.ContainsAny(s, "xXiInN_") {
			return
		}
		if !ok {
			t.Fatalf("kvcmd.ParseLongDouble(%q) rejected a float strconv reads as %v", s, want)
		}
		got, _ := ld.Float64()
		if got != want && math.Nextafter(got, want) != want {
			t.Fatalf("kvcmd.ParseLongDouble(%q) = %v, strconv = %v", s, got, want)
		}
	})
}
