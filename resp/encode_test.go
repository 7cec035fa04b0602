package resp

import (
	"testing"
)

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"simple", AppendSimple(nil, "OK"), "+OK\r\n"},
		{"simple with newlines", AppendSimple(nil, "a\r\nb"), "+a  b\r\n"},
		{"error", AppendError(nil, "ERR bad\nthing"), "-ERR bad thing\r\n"},
		{"int", AppendInt(nil, -12), ":-12\r\n"},
		{"bulk", AppendBulk(nil, []byte("a\r\nb")), "$4\r\na\r\nb\r\n"},
		{"nil bulk", AppendBulk(nil, nil), "$0\r\n\r\n"},
		{"bulk string", AppendBulkString(nil, "xyz"), "$3\r\nxyz\r\n"},
		{"null", AppendNull(nil), "$-1\r\n"},
		{"null array", AppendNullArray(nil), "*-1\r\n"},
		{"array header", AppendArrayHeader(nil, 2), "*2\r\n"},
		{"command", AppendCommand(nil, []byte("GET"), []byte("k")), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"},
		{"appends", AppendInt([]byte("+OK\r\n"), 1), "+OK\r\n:1\r\n"},
	}
	for _, tc := range tests {
		if string(tc.got) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// TestAppendRoundTrip checks that what the encoders write, the parsers read.
func TestAppendRoundTrip(t *testing.T) {
	args := [][]byte{[]byte("SET"), []byte("k\r\n"), {}, {0, 0xff}}
	req := AppendCommand(nil, args...)
	n, got, err := ParseRequest(req, nil, Limits{})
	if err != nil || n != len(req) || len(got) != len(args) {
		t.Fatalf("ParseRequest(%q): got n=%d args=%q err=%v, want all of it back", req, n, got, err)
	}
	for i := range args {
		if string(got[i]) != string(args[i]) {
			t.Errorf("arg %d: got %q, want %q", i, got[i], args[i])
		}
	}
	var reply []byte
	reply = AppendArrayHeader(reply, 5)
	reply = AppendSimple(reply, "OK")
	reply = AppendError(reply, "ERR x")
	reply = AppendInt(reply, 7)
	reply = AppendNull(reply)
	reply = AppendNullArray(reply)
	if n, err := ReplyLen(reply); err != nil || n != len(reply) {
		t.Errorf("ReplyLen(%q): got %d, %v, want %d", reply, n, err, len(reply))
	}
	elems, ok := ArrayElems(reply, nil)
	if !ok || len(elems) != 5 {
		t.Fatalf("ArrayElems: got %q, %v, want 5 elements", elems, ok)
	}
	if v, ok := ParseInt(elems[2]); !ok || v != 7 {
		t.Errorf("ParseInt(%q): got %d, %v, want 7, true", elems[2], v, ok)
	}
}
