package memcache

import (
	"testing"
)

func TestAppendReplies(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"line", AppendLine(nil, "STORED"), "STORED\r\n"},
		{"line with newlines", AppendLine(nil, "a\r\nb"), "a  b\r\n"},
		{"error", AppendError(nil), "ERROR\r\n"},
		{"client error", AppendClientError(nil, "bad data chunk"), "CLIENT_ERROR bad data chunk\r\n"},
		{"server error", AppendServerError(nil, "out of\nmemory"), "SERVER_ERROR out of memory\r\n"},
		{"end", AppendEnd(nil), "END\r\n"},
		{"value", AppendValue(nil, []byte("k"), 5, []byte("a\r\nb")), "VALUE k 5 4\r\na\r\nb\r\n"},
		{"value cas", AppendValueCas(nil, []byte("k"), 0, 12, nil), "VALUE k 0 0 12\r\n\r\n"},
		{"uint", AppendUint(nil, 18446744073709551615), "18446744073709551615\r\n"},
		{"appends", AppendEnd([]byte("x")), "xEND\r\n"},
		{"error reply", ErrBadDataChunk.AppendReply(nil), "CLIENT_ERROR bad data chunk\r\n"},
		{"noreply error reply", refuse(ErrBadDataChunk, true).AppendReply([]byte("x")), "x"},
		{"close error reply", ErrLineTooLong.AppendReply(nil), ""},
	}
	for _, tc := range tests {
		if string(tc.got) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestAppendRequests(t *testing.T) {
	tests := []struct {
		name string
		fn   func(*Request) []byte
		in   string
		want string
	}{
		{"canonical get", func(r *Request) []byte { return AppendRequest(nil, r) }, "  get  a b\n", "get a b\r\n"},
		{"canonical set", func(r *Request) []byte { return AppendRequest(nil, r) }, "set k 01 0 2 noreply\nab\r\n", "set k 01 0 2 noreply\r\nab\r\n"},
		{"canonical ms", func(r *Request) []byte { return AppendRequest(nil, r) }, "ms  k 2 q\r\nab\r\n", "ms k 2 q\r\nab\r\n"},
		{"no quiet ms", func(r *Request) []byte { return AppendRequestNoQuiet(nil, r) }, "ms k 2 q T1 qq\r\nab\r\n", "ms k 2 T1\r\nab\r\n"},
		{"no quiet keeps key", func(r *Request) []byte { return AppendRequestNoQuiet(nil, r) }, "mg q q v\r\n", "mg q v\r\n"},
		{"no quiet unchanged", func(r *Request) []byte { return AppendRequestNoQuiet(nil, r) }, "mg k v\r\n", "mg k v\r\n"},
		{"get part", func(r *Request) []byte { return AppendGet(nil, r, r.Keys[1:]) }, "gets a b c\r\n", "gets b c\r\n"},
		{"gat part", func(r *Request) []byte { return AppendGet(nil, r, r.Keys[:1]) }, "gat 30 a b\r\n", "gat 30 a\r\n"},
		{"storage", func(r *Request) []byte { return AppendStorage(nil, r) }, "set k 4294967297 -5 1\r\nx\r\n", "set k 1 -5 1\r\nx\r\n"},
		{"storage cas noreply", func(r *Request) []byte { return AppendStorage(nil, r) }, "cas k 0 0 0 7 noreply\r\n\r\n", "cas k 0 0 0 7 noreply\r\n\r\n"},
	}
	for _, tc := range tests {
		req := mustParse(t, tc.in)
		if got := string(tc.fn(req)); got != tc.want {
			t.Errorf("%s: from %q got %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestAppendRoundTrip checks that what the encoders write, the parsers read.
func TestAppendRoundTrip(t *testing.T) {
	req := &Request{Kind: KindAdd, Keys: [][]byte{[]byte("key")}, Flags: 3, Exptime: 60, Value: []byte("v\r\nw")}
	wire := AppendStorage(nil, req)
	var got Request
	n, err := ParseRequest(wire, &got, Limits{})
	if err != nil || n != len(wire) {
		t.Fatalf("ParseRequest(%q): got %d, %v", wire, n, err)
	}
	if describe(&got) != describe(req) {
		t.Errorf("round trip of %q: got %s, want %s", wire, describe(&got), describe(req))
	}
	reply := AppendValueCas(AppendValue(nil, []byte("a"), 1, []byte("x")), []byte("b"), 2, 3, []byte("yz"))
	reply = AppendEnd(reply)
	get := mustParse(t, "gets a b\r\n")
	if n, err := ReplyLen(reply, get); err != nil || n != len(reply) {
		t.Errorf("ReplyLen(%q): got %d, %v, want %d", reply, n, err, len(reply))
	}
}
