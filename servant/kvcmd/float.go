package kvcmd

import (
	"bytes"
	"math/big"
)

// INCRBYFLOAT in redis computes with C long double, which on x86-64 is the
// x87 80-bit format: a 64-bit mantissa, finite below 2^16384, subnormal below
// 2^-16382. Its parser is glibc's strtold and its formatter is
// snprintf("%.17Lf") with the trailing zeros cut (util.c ld2string,
// LD_STR_HUMAN). This file reproduces that with math/big: big.Float rounds
// every operation correctly to the precision asked, as the x87 unit and
// glibc do, and formats the exact binary value.

const (
	// ldPrec is the mantissa width of an x87 long double.
	ldPrec = 64
	// ldMaxExp is the largest exponent, as big.Float.MantExp returns it, of a
	// finite long double.
	ldMaxExp = 16384
	// ldMinExp is the smallest such exponent that strtold does not round to
	// zero: half of the smallest subnormal, 2^-16446, has MantExp -16445.
	ldMinExp = -16445
	// maxLongDoubleChars is redis's MAX_LONG_DOUBLE_CHARS: string2ld rejects
	// strings of this length or longer.
	maxLongDoubleChars = 5 * 1024
	// tinyExp is the MantExp below which a value prints as zero with 17
	// decimals.
	tinyExp = -57
	// expLimit saturates parsed exponents, far beyond any finite value.
	expLimit = 1 << 30
)

// zeroLongDouble returns +0.
func zeroLongDouble() *big.Float { return new(big.Float).SetPrec(ldPrec) }

// parseLongDouble parses s as redis's string2ld: glibc strtold over the whole
// string (decimal or hexadecimal, "inf" and "infinity" in any case), with no
// leading space, no NUL byte, no NaN and no result that overflows or
// underflows to zero. An infinity parses; adding it fails later.
func parseLongDouble(s []byte) (*big.Float, bool) {
	if len(s) == 0 || len(s) >= maxLongDoubleChars || isCSpace(s[0]) || bytes.IndexByte(s, 0) >= 0 {
		return nil, false
	}
	neg := s[0] == '-'
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	var f *big.Float
	ok := false
	switch {
	case is(s, "inf") || is(s, "infinity"):
		f, ok = new(big.Float).SetInf(false), true
	case len(s) > 2 && s[0] == '0' && s[1]|0x20 == 'x':
		f, ok = parseHexFloat(s[2:])
	default:
		f, ok = parseDecFloat(s)
	}
	if !ok {
		return nil, false
	}
	if neg {
		f.Neg(f)
	}
	return f, true
}

// isCSpace is C's isspace in the C locale.
func isCSpace(ch byte) bool {
	return ch == ' ' || ('\t' <= ch && ch <= '\r')
}

// scanMantissa splits s into the digits of a mantissa (without its point),
// the number of them after the point, and what follows. ok is false without
// any digit.
func scanMantissa(s []byte, isDigit func(byte) bool) (digits []byte, frac int, rest []byte, ok bool) {
	point := false
	i := 0
	for ; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
			digits = append(digits, s[i])
			if point {
				frac++
			}
		case s[i] == '.' && !point:
			point = true
		default:
			return digits, frac, s[i:], len(digits) > 0
		}
	}
	return digits, frac, nil, len(digits) > 0
}

// scanExponent parses what follows an exponent letter: an optional sign and
// at least one decimal digit, up to the end of s. The value saturates at
// ±expLimit.
func scanExponent(s []byte) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	var e int64
	for _, ch := range s {
		if !isDecDigit(ch) {
			return 0, false
		}
		e = min(e*10+int64(ch-'0'), expLimit)
	}
	if neg {
		e = -e
	}
	return e, true
}

func isDecDigit(ch byte) bool { return '0' <= ch && ch <= '9' }

func isHexDigit(ch byte) bool {
	return isDecDigit(ch) || ('a' <= ch|0x20 && ch|0x20 <= 'f')
}

// parseMantExp parses a mantissa and an optional exponent introduced by
// letter, returning the integer mantissa, its digit count after the point
// and the exponent.
func parseMantExp(s []byte, isDigit func(byte) bool, letter byte, base int) (*big.Int, int64, bool) {
	digits, frac, rest, ok := scanMantissa(s, isDigit)
	if !ok {
		return nil, 0, false
	}
	var exp int64
	if len(rest) > 0 {
		if rest[0]|0x20 != letter {
			return nil, 0, false
		}
		if exp, ok = scanExponent(rest[1:]); !ok {
			return nil, 0, false
		}
	}
	m, _ := new(big.Int).SetString(string(digits), base)
	return m, exp - int64(frac)*int64(bitsPerDigit(base)), true
}

// bitsPerDigit returns how much the exponent moves per fractional digit: one
// power of ten for decimal, four powers of two for hexadecimal.
func bitsPerDigit(base int) int {
	if base == 16 {
		return 4
	}
	return 1
}

// parseDecFloat parses an unsigned decimal float: m × 10^e rounded to a long
// double.
func parseDecFloat(s []byte) (*big.Float, bool) {
	m, e, ok := parseMantExp(s, isDecDigit, 'e', 10)
	if !ok {
		return nil, false
	}
	if m.Sign() == 0 {
		return zeroLongDouble(), true
	}
	// The value lies in [10^(nd-1+e), 10^(nd+e)): far outside the range of a
	// long double (max ~1.19e4932, zero below ~1.8e-4951) it is rejected
	// without computing a huge power.
	nd := int64(len(m.String()))
	if nd-1+e > 4933 || nd+e < -4952 {
		return nil, false
	}
	f := zeroLongDouble()
	if e >= 0 {
		f.SetInt(m.Mul(m, pow10(e)))
	} else {
		f.Quo(new(big.Float).SetInt(m), new(big.Float).SetInt(pow10(-e)))
	}
	return f, inLongDoubleRange(f)
}

// parseHexFloat parses an unsigned hexadecimal float after its "0x":
// m × 2^e rounded to a long double.
func parseHexFloat(s []byte) (*big.Float, bool) {
	m, e, ok := parseMantExp(s, isHexDigit, 'p', 16)
	if !ok {
		return nil, false
	}
	if m.Sign() == 0 {
		return zeroLongDouble(), true
	}
	top := int64(m.BitLen()) + e // the value lies in [2^(top-1), 2^top)
	if top-1 >= ldMaxExp || top < ldMinExp {
		return nil, false
	}
	f := new(big.Float).SetInt(m)
	f.SetMantExp(f, int(e))
	f.SetPrec(ldPrec)
	return f, inLongDoubleRange(f)
}

// pow10 returns 10^n for n >= 0.
func pow10(n int64) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil)
}

// inLongDoubleRange reports whether f, rounded to 64 bits, is what strtold
// returns without overflow and without underflow to zero. Subnormals are
// kept at full precision, which changes no digit that %.17Lf prints.
func inLongDoubleRange(f *big.Float) bool {
	exp := f.MantExp(nil)
	if exp > ldMaxExp || exp < ldMinExp {
		return false
	}
	// Exactly half the smallest subnormal rounds to even, which is zero.
	half := new(big.Float).SetMantExp(big.NewFloat(0.5), ldMinExp)
	return !(f.Acc() == big.Exact && new(big.Float).Abs(f).Cmp(half) == 0)
}

// addLongDouble returns a+b rounded to a long double, or false when the sum
// is not finite (redis: "increment would produce NaN or Infinity").
func addLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	sum := zeroLongDouble().Add(a, b)
	if sum.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return sum, true
}

// formatLongDouble formats f as ld2string(LD_STR_HUMAN): "%.17Lf", trailing
// zeros after the point removed, then the point if nothing follows it, and
// "-0" turned into "0".
func formatLongDouble(f *big.Float) []byte {
	if f.Sign() != 0 && f.MantExp(nil) < tinyExp {
		// Below 2^-58 < 5e-18 every printed digit is zero. Formatting such a
		// value exactly would cost up to ~16k digits for nothing.
		return []byte("0")
	}
	b := f.Append(nil, 'f', 17)
	if bytes.IndexByte(b, '.') >= 0 {
		b = bytes.TrimRight(b, "0")
		b = bytes.TrimSuffix(b, []byte("."))
	}
	if string(b) == "-0" {
		b = append(b[:0], '0')
	}
	return b
}
