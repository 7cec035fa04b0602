package memcache

// memcached reads the numbers of a command line with safe_strtoul,
// safe_strtol and safe_strtoull (util.c): glibc's strtoul, strtol or
// strtoull in base 10 on 64-bit longs, accepted when the digits end the token
// or are followed by a white-space byte. The functions here reproduce them,
// quirks included, so that fae accepts exactly the numbers memcached
// accepts and reads the same values from them:
//
//   - leading C white space (\t \v \f \r; a token holds no ' ' or '\n') and
//     one '+' or '-' are allowed, as are leading zeros;
//   - anything after the digits is allowed if it starts with white space
//     ("5\tjunk" is 5);
//   - a uint32 field (flags) takes the low 32 bits of a 64-bit value, and an
//     int32 field (exptime, bytes) the low 32 bits of the int64, so
//     "4294967297" bytes is 1 byte;
//   - strtoul negates a '-' value modulo 2^64, and safe_strtoul refuses it
//     only when the result looks negative as a signed number, so "-0" is 0
//     and "-18446744073709551615" is 1.

// isCSpace reports whether c is white space for C's isspace in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// scanNumber reads tok as strto* does in base 10. ok is false when there is
// no digit, when the magnitude overflows uint64 (ERANGE for every variant)
// or when the digits are followed by a byte other than white space.
func scanNumber(tok []byte) (mag uint64, neg, ok bool) {
	p := 0
	for p < len(tok) && isCSpace(tok[p]) {
		p++
	}
	if p < len(tok) && (tok[p] == '+' || tok[p] == '-') {
		neg = tok[p] == '-'
		p++
	}
	start := p
	for ; p < len(tok) && tok[p] >= '0' && tok[p] <= '9'; p++ {
		d := uint64(tok[p] - '0')
		if mag > (1<<64-1-d)/10 {
			return 0, false, false
		}
		mag = mag*10 + d
	}
	if p == start || (p < len(tok) && !isCSpace(tok[p])) {
		return 0, false, false
	}
	return mag, neg, true
}

// parseUint64 is safe_strtoull.
func parseUint64(tok []byte) (uint64, bool) {
	mag, neg, ok := scanNumber(tok)
	if !ok {
		return 0, false
	}
	v := mag
	if neg {
		v = -mag
	}
	if int64(v) < 0 && hasMinus(tok) {
		return 0, false
	}
	return v, true
}

// parseUint32 is safe_strtoul into a uint32: the low 32 bits of the value.
func parseUint32(tok []byte) (uint32, bool) {
	v, ok := parseUint64(tok)
	return uint32(v), ok
}

// parseInt32 is safe_strtol into an int32: strtol on a 64-bit long, then
// the low 32 bits.
func parseInt32(tok []byte) (int32, bool) {
	mag, neg, ok := scanNumber(tok)
	switch {
	case !ok:
		return 0, false
	case neg && mag > 1<<63, !neg && mag > 1<<63-1:
		return 0, false // ERANGE
	case neg:
		return int32(-int64(mag)), true // -int64(1<<63) wraps to MinInt64, as wanted
	}
	return int32(int64(mag)), true
}

func hasMinus(tok []byte) bool {
	for _, c := range tok {
		if c == '-' {
			return true
		}
	}
	return false
}

// parseSize reads the strict decimal length of a reply line ("VALUE k 0 12",
// "VA 12"): digits only, at most maxSize.
func parseSize(tok []byte) (int, bool) {
	if len(tok) == 0 || len(tok) > 12 {
		return 0, false
	}
	n := 0
	for _, c := range tok {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= maxSize
}
