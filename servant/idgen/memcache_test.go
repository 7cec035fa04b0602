package idgen

import (
	"testing"
	"time"

	"github.com/fae-dev/fae/memcache"
)

// TestDoMemcache checks the exact reply to each command on a fresh Gen of
// worker 0 whose clock reads 1 ms after the epoch: IDs 4194304 and up.
func TestDoMemcache(t *testing.T) {
	tests := []struct {
		name    string
		kind    memcache.Kind
		keys    []string
		noreply bool
		want    string
	}{
		{"get", memcache.KindGet, []string{"id"}, false, "VALUE id 0 7\r\n4194304\r\nEND\r\n"},
		{"get two keys", memcache.KindGet, []string{"a", "b"}, false,
			"VALUE a 0 7\r\n4194304\r\nVALUE b 0 7\r\n4194305\r\nEND\r\n"},
		{"get same key twice", memcache.KindGet, []string{"a", "a"}, false,
			"VALUE a 0 7\r\n4194304\r\nVALUE a 0 7\r\n4194305\r\nEND\r\n"},
		{"gets", memcache.KindGets, []string{"id"}, false, "VALUE id 0 7 4194304\r\n4194304\r\nEND\r\n"},
		{"gat", memcache.KindGat, []string{"id"}, false, "VALUE id 0 7\r\n4194304\r\nEND\r\n"},
		{"gats", memcache.KindGats, []string{"id"}, false, "VALUE id 0 7 4194304\r\n4194304\r\nEND\r\n"},
		{"gat no keys", memcache.KindGat, nil, false, "END\r\n"},
		{"incr", memcache.KindIncr, []string{"id"}, false, "4194304\r\n"},
		{"incr noreply", memcache.KindIncr, []string{"id"}, true, ""},
		{"mn", memcache.KindMetaNoop, nil, false, "MN\r\n"},
		{"set", memcache.KindSet, []string{"k"}, false,
			"SERVER_ERROR idgen: unsupported command 'set' (use get, gets or incr)\r\n"},
		{"decr", memcache.KindDecr, []string{"k"}, false,
			"SERVER_ERROR idgen: unsupported command 'decr' (use get, gets or incr)\r\n"},
		{"delete noreply", memcache.KindDelete, []string{"k"}, true, ""},
		{"mg", memcache.KindMetaGet, []string{"k"}, false,
			"SERVER_ERROR idgen: unsupported command 'mg' (use get, gets or incr)\r\n"},
		{"version", memcache.KindVersion, nil, false,
			"SERVER_ERROR idgen: unsupported command 'version' (use get, gets or incr)\r\n"},
		{"unknown", memcache.KindUnknown, nil, false, "ERROR\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := fakeGen(t, 0, 1)
			got := g.DoMemcache([]byte("prefix"), tt.kind, toArgs(tt.keys...), tt.noreply)
			if want := "prefix" + tt.want; string(got) != want {
				t.Fatalf("DoMemcache(%v %q noreply=%v) = %q, want %q", tt.kind, tt.keys, tt.noreply, got, want)
			}
		})
	}
}

// TestDoMemcacheClockBackwards checks that a failure replaces the whole
// reply, even after some keys got their IDs.
func TestDoMemcacheClockBackwards(t *testing.T) {
	const want = "prefixSERVER_ERROR idgen: clock moved backwards: 6s behind the last ID (limit 5s)\r\n"
	for _, kind := range []memcache.Kind{memcache.KindGet, memcache.KindGets, memcache.KindIncr} {
		g, clk := fakeGen(t, 0, 10_000)
		mustNext(t, g)
		clk.set(4_000)
		if got := g.DoMemcache([]byte("prefix"), kind, toArgs("a", "b"), false); string(got) != want {
			t.Fatalf("DoMemcache(%v) = %q, want %q", kind, got, want)
		}
	}

	// The clock steps back after the first key's ID.
	clk := newFakeClock(10_000)
	calls := 0
	g := newGen(t, Config{Now: func() time.Time {
		calls++
		if calls > 1 {
			clk.set(4_000)
		}
		return clk.Now()
	}})
	if got := g.DoMemcache([]byte("prefix"), memcache.KindGet, toArgs("a", "b"), false); string(got) != want {
		t.Fatalf("get a b with the clock stepping back = %q, want %q", got, want)
	}
}
