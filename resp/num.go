package resp

// string2ll parses a decimal int64 exactly as redis' string2ll (util.c): an
// optional '-', no '+', no spaces, no leading zeros, at most 20 bytes.
// ParseInteger parses s as redis-server parses an integer argument
// (string2ll): optional '-', no '+', no leading zeros, no spaces, within
// int64.
func ParseInteger(s []byte) (int64, bool) { return string2ll(s) }

func string2ll(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
		if len(s) == 0 {
			return 0, false
		}
	}
	if s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1)/10 || v*10 > 1<<64-1-d {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
