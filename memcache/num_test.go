package memcache

import "testing"

// TestParseNumbers checks the safe_strto* equivalents on the inputs whose
// glibc results are easy to get wrong.
func TestParseNumbers(t *testing.T) {
	type result struct {
		u32   uint32
		u32ok bool
		i32   int32
		i32ok bool
		u64   uint64
		u64ok bool
	}
	tests := []struct {
		in   string
		want result
	}{
		{"0", result{0, true, 0, true, 0, true}},
		{"12", result{12, true, 12, true, 12, true}},
		{"007", result{7, true, 7, true, 7, true}},
		{"+5", result{5, true, 5, true, 5, true}},
		{"-0", result{0, true, 0, true, 0, true}},
		{"-1", result{0, false, -1, true, 0, false}},
		{"\t\v\f\r9", result{9, true, 9, true, 9, true}},
		{"9\t", result{9, true, 9, true, 9, true}},
		{"9\tjunk", result{9, true, 9, true, 9, true}},
		{"9x", result{}},
		{"0x10", result{}},
		{"", result{}},
		{"+", result{}},
		{"-", result{}},
		{"\t", result{}},
		{"+-1", result{}},
		{"1 ", result{1, true, 1, true, 1, true}},
		{"4294967296", result{0, true, 0, true, 4294967296, true}},
		{"4294967297", result{1, true, 1, true, 4294967297, true}},
		{"2147483648", result{2147483648, true, -2147483648, true, 2147483648, true}},
		{"9223372036854775807", result{4294967295, true, -1, true, 9223372036854775807, true}},
		{"9223372036854775808", result{0, true, 0, false, 1 << 63, true}}, // strtol ERANGE; no '-', so unsigned passes
		{"-9223372036854775808", result{0, false, 0, true, 0, false}},
		{"-9223372036854775809", result{4294967295, true, 0, false, 1<<63 - 1, true}},
		{"18446744073709551615", result{4294967295, true, 0, false, 18446744073709551615, true}},
		{"18446744073709551616", result{}},
		{"-18446744073709551615", result{1, true, 0, false, 1, true}},
		{"-18446744073709551616", result{}},
		{"99999999999999999999999", result{}},
	}
	for _, tc := range tests {
		var got result
		got.u32, got.u32ok = parseUint32([]byte(tc.in))
		got.i32, got.i32ok = parseInt32([]byte(tc.in))
		got.u64, got.u64ok = parseUint64([]byte(tc.in))
		if got != tc.want {
			t.Errorf("parse %q: got %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
