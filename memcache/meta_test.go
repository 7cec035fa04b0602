package memcache

import (
	"fmt"
	"testing"
)

func TestParseRequestMeta(t *testing.T) {
	long := key(251)
	msLine := "ms k 5\r\n"
	runParseCases(t, []parseCase{
		{"mg", "mg k v\r\n", Limits{}, ok(8, `mg keys=["k"] mflags=["v"]`)},
		{"mg no flags", "mg k\r\n", Limits{}, ok(6, `mg keys=["k"]`)},
		{"mg flags", "mg k q O123 b T30 v\r\n", Limits{}, ok(21, `mg keys=["k"] mflags=["q" "O123" "b" "T30" "v"] quiet opaque="123" base64`)},
		{"mg empty opaque", "mg k O\r\n", Limits{}, ok(8, `mg keys=["k"] mflags=["O"] opaque=""`)},
		{"mg first opaque", "mg k O1 O2\r\n", Limits{}, ok(12, `mg keys=["k"] mflags=["O1" "O2"] opaque="1"`)},
		{"mg flag by first byte", "mg k quiet bx\r\n", Limits{}, ok(15, `mg keys=["k"] mflags=["quiet" "bx"] quiet base64`)},
		{"mg bad flags pass", "mg k z v v Tx\r\n", Limits{}, ok(15, `mg keys=["k"] mflags=["z" "v" "v" "Tx"]`)},
		{"mg 19 tokens", "mg k" + metaFlags(17) + "\r\n", Limits{}, ok(40, fmt.Sprintf(`mg keys=["k"] mflags=%q`, repeat("v", 17)))},
		{"mg 20 tokens", "mg k" + metaFlags(18) + "\r\n", Limits{}, refused(42, ErrGetFlagsTooLong)},
		{"mg long key first", "mg " + long + metaFlags(18) + "\r\n", Limits{}, refused(292, ErrBadFormat)},
		{"mg", "mg\r\n", Limits{}, unknown("mg\r\n")},
		{"mg long key", "mg " + long + " v\r\n", Limits{}, refused(258, ErrBadFormat)},
		{"mx", "mx k\r\n", Limits{}, unknown("mx k\r\n")},
		{"m", "m\r\n", Limits{}, unknown("m\r\n")},
		{"mgg", "mgg k\r\n", Limits{}, unknown("mgg k\r\n")},

		{"ms", msLine + "hello\r\n", Limits{}, ok(15, `ms keys=["k"] value="hello"`)},
		{"ms flags", "ms k 5 T0 F3 q Oab\r\nhello\r\n", Limits{}, ok(27, `ms keys=["k"] value="hello" mflags=["T0" "F3" "q" "Oab"] quiet opaque="ab"`)},
		{"ms base64", "ms aGVsbG8= 5 b\r\nhello\r\n", Limits{}, ok(24, `ms keys=["aGVsbG8="] value="hello" mflags=["b"] base64`)},
		{"ms size low 32 bits", "ms k 4294967297\r\nx\r\n", Limits{}, ok(20, `ms keys=["k"] value="x"`)},
		{"ms bad flags pass", "ms k 5 z MX\r\nhello\r\n", Limits{}, ok(20, `ms keys=["k"] value="hello" mflags=["z" "MX"]`)},
		{"ms incomplete", msLine + "he", Limits{}, incomplete(15)},
		{"ms", "ms\r\n", Limits{}, unknown("ms\r\n")},
		{"ms no size", "ms k\r\nhello\r\n", Limits{}, badFormat("ms k\r\n")},
		{"ms size letters", "ms k x\r\nhello\r\n", Limits{}, badFormat("ms k x\r\n")},
		{"ms size negative", "ms k -1\r\nhello\r\n", Limits{}, badFormat("ms k -1\r\n")},
		{"ms size over INT_MAX-2", "ms k 2147483646\r\nx\r\n", Limits{}, badFormat("ms k 2147483646\r\n")},
		{"ms long key", "ms " + long + " 1\r\nx\r\n", Limits{}, refused(258, ErrBadFormat)},
		{"ms long key q", "ms " + long + " 1 q\r\nx\r\n", Limits{}, refused(260, ErrBadFormat)},
		{"ms 19 tokens", "ms k 1" + metaFlags(16) + "\r\nx\r\n", Limits{}, ok(43, fmt.Sprintf(`ms keys=["k"] value="x" mflags=%q`, repeat("v", 16)))},
		{"ms 20 tokens", "ms k 1" + metaFlags(17) + "\r\nx\r\n", Limits{}, refused(42, ErrFlagsTooLong)},
		{"ms bad data chunk", msLine + "helloXX\r\n", Limits{}, refused(15, ErrBadDataChunk)},
		{"ms bad data chunk q", "ms k 5 q\r\nhelloXX\r\n", Limits{}, refused(17, ErrBadDataChunk)},
		{"ms too large", "ms k 2000000\r\n", Limits{}, refused(14+2000002, ErrTooLarge)},
		{"ms too large q", "ms k 2000000 q\r\n", Limits{}, refused(16+2000002, ErrTooLarge)},

		{"md", "md k q\r\n", Limits{}, ok(8, `md keys=["k"] mflags=["q"] quiet`)},
		{"md", "md\r\n", Limits{}, unknown("md\r\n")},
		{"md 20 tokens", "md k" + metaFlags(18) + "\r\n", Limits{}, refused(42, ErrFlagsTooLong)},
		{"md long key", "md " + long + "\r\n", Limits{}, refused(256, ErrBadFormat)},
		{"ma", "ma k D5 MD v\r\n", Limits{}, ok(14, `ma keys=["k"] mflags=["D5" "MD" "v"]`)},
		{"ma 20 tokens", "ma k" + metaFlags(18) + "\r\n", Limits{}, refused(42, ErrFlagsTooLong)},
		{"ma", "ma\r\n", Limits{}, unknown("ma\r\n")},
		{"me", "me k\r\n", Limits{}, ok(6, `me keys=["k"]`)},
		{"me b", "me aw== b\r\n", Limits{}, ok(11, `me keys=["aw=="] mflags=["b"] base64`)},
		{"me b only right after the key", "me k x b\r\n", Limits{}, ok(10, `me keys=["k"] mflags=["x" "b"]`)},
		{"me many tokens", "me k" + metaFlags(30) + "\r\n", Limits{}, ok(66, fmt.Sprintf(`me keys=["k"] mflags=%q`, repeat("v", 30)))},
		{"me", "me\r\n", Limits{}, badFormat("me\r\n")},
		{"me long key", "me " + long + "\r\n", Limits{}, refused(256, ErrBadFormat)},
		{"mn", "mn\r\n", Limits{}, ok(4, `mn`)},
		{"mn ignores tokens", "mn a b\r\n", Limits{}, ok(8, `mn mflags=["a" "b"]`)},
	})
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestOmitted(t *testing.T) {
	tests := []struct {
		req, reply string
		want       bool
	}{
		{"mg k q v\r\n", "EN\r\n", true},
		{"mg k q v\r\n", "HD\r\n", false},
		{"mg k q v\r\n", "VA 1 q\r\nx\r\n", false},
		{"mg k v\r\n", "EN\r\n", false},
		{"mg k q\r\n", "ENX\r\n", false},
		{"ms k 1 q\r\nx\r\n", "HD\r\n", true},
		{"ms k 1 q O5\r\nx\r\n", "HD O5\r\n", true},
		{"ms k 1 q\r\nx\r\n", "NS\r\n", false},
		{"md k q\r\n", "HD\r\n", true},
		{"md k q\r\n", "NF\r\n", false},
		{"ma k q\r\n", "HD\r\n", true},
		{"ma k q\r\n", "NF\r\n", false},
		{"ma k q\r\n", "CLIENT_ERROR bad command line format\r\n", false},
		{"mn q\r\n", "MN\r\n", false},
	}
	var req Request
	for _, tc := range tests {
		if _, err := ParseRequest([]byte(tc.req), &req, Limits{}); err != nil {
			t.Fatalf("ParseRequest(%q): %v", tc.req, err)
		}
		if got := Omitted(&req, []byte(tc.reply)); got != tc.want {
			t.Errorf("Omitted(%q, %q): got %v, want %v", tc.req, tc.reply, got, tc.want)
		}
	}
}
