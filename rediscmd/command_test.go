package rediscmd

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// split turns "eval s 2 a b" into request arguments.
func split(s string) [][]byte {
	var args [][]byte
	for _, f := range strings.Fields(s) {
		if f == `""` {
			f = ""
		}
		args = append(args, []byte(f))
	}
	return args
}

func mustLookup(t testing.TB, name string) *Command {
	t.Helper()
	c := Lookup([]byte(name))
	if c == nil {
		t.Fatalf("Lookup(%q) = nil, want a command", name)
	}
	return c
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		req  string
		kind Kind
		want []int
	}{
		{"get", "GET k", Single, []int{1}},
		{"set", "SET k v EX 10", Single, []int{1}},
		{"mget", "MGET a b c", Multi, []int{1, 2, 3}},
		{"mset", "MSET a 1 b 2", Multi, []int{1, 3}},
		{"mset odd", "MSET a 1 b", Multi, []int{1, 3}},
		{"del", "DEL a b", Multi, []int{1, 2}},
		{"eval numkeys 0", "EVAL s 0 x y", SameServer, nil},
		{"eval numkeys 2", "EVAL s 2 a b x", SameServer, []int{3, 4}},
		{"eval numkeys not a number", "EVAL s x a b", SameServer, nil},
		{"eval numkeys negative", "EVAL s -1 a b", SameServer, nil},
		{"eval numkeys too many", "EVAL s 5 a b", SameServer, []int{3, 4}},
		{"eval numkeys huge", "EVAL s 99999999999999999999 a", SameServer, []int{3}},
		{"eval numkeys missing", "EVAL s", SameServer, nil},
		{"evalsha_ro", "EVALSHA_RO sha 1 a", SameServer, []int{3}},
		{"fcall", "FCALL f 2 a b c", SameServer, []int{3, 4}},
		{"zunionstore", "ZUNIONSTORE d 2 a b WEIGHTS 1 2", SameServer, []int{1, 3, 4}},
		{"zunionstore bad numkeys", "ZUNIONSTORE d x a b", SameServer, []int{1}},
		{"zinter", "ZINTER 2 a b WITHSCORES", SameServer, []int{2, 3}},
		{"lmpop", "LMPOP 2 a b LEFT", SameServer, []int{2, 3}},
		{"xread streams", "XREAD COUNT 2 STREAMS a b 0 0", SameServer, []int{4, 5}},
		{"xread block", "xread block 0 streams a $", SameServer, []int{4}},
		{"xread odd", "XREAD STREAMS a b 0", SameServer, []int{2}},
		{"xread no streams", "XREAD COUNT 1", SameServer, nil},
		{"xread unknown option", "XREAD FOO STREAMS a 0", SameServer, nil},
		{"xreadgroup", "XREADGROUP GROUP g c COUNT 1 NOACK STREAMS s1 s2 > >", SameServer, []int{8, 9}},
		{"sort", "SORT k", SameServer, []int{1}},
		{"sort store", "SORT k BY w_* LIMIT 0 10 GET # STORE d", SameServer, []int{1, 10}},
		{"sort store twice", "SORT k STORE d1 STORE d2", SameServer, []int{1, 5}},
		{"sort get store", "SORT k GET store", SameServer, []int{1}},
		{"sort_ro", "SORT_RO k BY x", Single, []int{1}},
		{"georadius store", "GEORADIUS k 1 2 3 m STORE a STOREDIST b", SameServer, []int{1, 7, 9}},
		{"georadiusbymember", "GEORADIUSBYMEMBER k m 3 km", SameServer, []int{1}},
		{"object encoding", "OBJECT ENCODING k", Single, []int{2}},
		{"object help", "OBJECT HELP", Single, nil},
		{"xinfo stream", "XINFO STREAM k FULL", Single, []int{2}},
		{"xgroup create", "XGROUP CREATE k g $ MKSTREAM", Single, []int{2}},
		{"xgroup help", "XGROUP HELP", Single, nil},
		{"blpop", "BLPOP a b 0", Unsupported, []int{1, 2}},
		{"blmpop", "BLMPOP 0 2 a b LEFT", Unsupported, []int{3, 4}},
		{"bitop", "BITOP AND d a b", SameServer, []int{2, 3, 4}},
		{"rename", "RENAME a b", SameServer, []int{1, 2}},
		{"memory usage", "MEMORY USAGE k", Unsupported, []int{2}},
		{"migrate", "MIGRATE h 1 k 0 5", Unsupported, []int{3}},
		{"migrate keys", `MIGRATE h 1 "" 0 5 AUTH2 u p KEYS a b`, Unsupported, []int{10, 11}},
		{"ping", "PING", Local, nil},
		{"keys", "KEYS *", Unsupported, nil},
		{"get without key", "GET", Single, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := split(tt.req)
			c := mustLookup(t, string(args[0]))
			if c.Kind != tt.kind {
				t.Errorf("Kind = %v, want %v", c.Kind, tt.kind)
			}
			if got := c.Keys(args, nil); !slices.Equal(got, tt.want) {
				t.Errorf("Keys(%q) = %v, want %v", tt.req, got, tt.want)
			}
			// dst is reset, not appended to.
			if got := c.Keys(args, []int{42}); !slices.Equal(got, tt.want) {
				t.Errorf("Keys(%q, [42]) = %v, want %v", tt.req, got, tt.want)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		reason string
	}{
		{"ping", Local, ""}, {"echo", Local, ""}, {"quit", Local, ""}, {"auth", Local, ""},
		{"select", Local, ""}, {"command", Local, ""}, {"info", Local, ""}, {"hello", Local, ""},
		{"client", Local, ""},
		{"get", Single, ""}, {"hset", Single, ""}, {"pfadd", Single, ""},
		{"mget", Multi, ""}, {"mset", Multi, ""}, {"del", Multi, ""}, {"unlink", Multi, ""},
		{"exists", Multi, ""}, {"touch", Multi, ""},
		{"msetnx", SameServer, ""}, {"smove", SameServer, ""}, {"sinterstore", SameServer, ""},
		{"eval", SameServer, ""}, {"evalsha", SameServer, ""}, {"copy", SameServer, ""},
		{"geosearchstore", SameServer, ""}, {"xread", SameServer, ""}, {"pfmerge", SameServer, ""},
		{"blpop", Unsupported, reasonBlocking}, {"wait", Unsupported, reasonBlocking},
		{"subscribe", Unsupported, reasonPubSub}, {"spublish", Unsupported, reasonPubSub},
		{"multi", Unsupported, reasonTransactions}, {"watch", Unsupported, reasonTransactions},
		{"keys", Unsupported, reasonKeyspace}, {"flushall", Unsupported, reasonKeyspace},
		{"move", Unsupported, reasonDatabases}, {"swapdb", Unsupported, reasonDatabases},
		{"config", Unsupported, reasonAdmin}, {"monitor", Unsupported, reasonAdmin},
		{"memory", Unsupported, reasonAdmin}, {"cluster", Unsupported, reasonCluster},
		{"time", Unsupported, reasonNoKey}, {"script", Unsupported, reasonNoKey},
		{"reset", Unsupported, reasonReset},
	}
	for _, tt := range tests {
		c := mustLookup(t, tt.name)
		if c.Kind != tt.kind || c.Reason != tt.reason {
			t.Errorf("%s: got %v %q, want %v %q", tt.name, c.Kind, c.Reason, tt.kind, tt.reason)
		}
	}
}

// TestTableInvariants checks the rules the table must follow whatever its
// contents.
func TestTableInvariants(t *testing.T) {
	multi := []string{"del", "exists", "mget", "mset", "touch", "unlink"}
	local := []string{"auth", "client", "command", "echo", "hello", "info", "ping", "quit", "select"}
	cmds := All()
	if len(cmds) != len(table) {
		t.Fatalf("All() has %d commands, want %d", len(cmds), len(table))
	}
	for i, c := range cmds {
		if i > 0 && cmds[i-1].Name >= c.Name {
			t.Errorf("All() not sorted or duplicated: %q before %q", cmds[i-1].Name, c.Name)
		}
		if c.Name != strings.ToLower(c.Name) || len(c.Name) > maxNameLen {
			t.Errorf("%s: name must be lower case and at most %d bytes", c.Name, maxNameLen)
		}
		if (c.Kind == Unsupported) != (c.Reason != "") {
			t.Errorf("%s: Kind %v with Reason %q", c.Name, c.Kind, c.Reason)
		}
		if got := c.Kind == Multi; got != slices.Contains(multi, c.Name) {
			t.Errorf("%s: Kind %v; Multi is exactly %v", c.Name, c.Kind, multi)
		}
		if got := c.Kind == Local; got != slices.Contains(local, c.Name) {
			t.Errorf("%s: Kind %v; Local is exactly %v", c.Name, c.Kind, local)
		}
		fixed := c.keys == nil && c.First > 0
		switch {
		case c.Kind == Local && (c.First != 0 || c.keys != nil):
			t.Errorf("%s: local command with keys", c.Name)
		case c.Kind == Single && fixed && c.First != c.Last:
			t.Errorf("%s: Single with keys %d..%d", c.Name, c.First, c.Last)
		case c.Kind == Single && !fixed && c.keys == nil:
			t.Errorf("%s: Single without keys", c.Name)
		case c.Kind == SameServer && fixed && c.First == c.Last:
			t.Errorf("%s: SameServer with one key; want Single", c.Name)
		case c.blocks == blocksAlways && c.Reason != reasonBlocking:
			t.Errorf("%s: always blocks but is not rejected as blocking", c.Name)
		}
		if c.Step < 0 || (c.First > 0) != (c.Step > 0) {
			t.Errorf("%s: bad key range %d %d %d", c.Name, c.First, c.Last, c.Step)
		}
		if Lookup([]byte(c.Name)) != c {
			t.Errorf("Lookup(%q) does not return the table entry", c.Name)
		}
	}
	cmds[0] = nil
	if All()[0] == nil {
		t.Error("All() returned a slice shared with the package")
	}
}

func TestLookup(t *testing.T) {
	get := mustLookup(t, "get")
	for _, name := range []string{"GET", "Get", "gEt"} {
		if c := Lookup([]byte(name)); c != get {
			t.Errorf("Lookup(%q) = %v, want the get command", name, c)
		}
	}
	if c := mustLookup(t, "RESTORE-ASKING"); c.Name != "restore-asking" {
		t.Errorf("Lookup(RESTORE-ASKING).Name = %q", c.Name)
	}
	for _, name := range []string{"", "nosuch", "ge", "gett", "get\x00", "georadiusbymember_ro_and_more", "object|encoding", "GET\xc0"} {
		if c := Lookup([]byte(name)); c != nil {
			t.Errorf("Lookup(%q) = %s, want nil", name, c.Name)
		}
	}
}

func TestLookupAllocs(t *testing.T) {
	names := [][]byte{[]byte("GET"), []byte("zunionstore"), []byte("GeoRadiusByMember_RO"), []byte("nosuch"), bytes.Repeat([]byte("x"), 100)}
	allocs := testing.AllocsPerRun(100, func() {
		for _, n := range names {
			Lookup(n)
		}
	})
	if allocs != 0 {
		t.Errorf("Lookup allocates %v times per run, want 0", allocs)
	}
}

func TestKeysAllocs(t *testing.T) {
	reqs := [][][]byte{
		split("MGET a b c d"), split("EVAL s 2 a b"), split("XREADGROUP GROUP g c STREAMS a b > >"),
		split("SORT k LIMIT 0 1 STORE d"), split("OBJECT ENCODING k"), split("ZUNIONSTORE d 2 a b"),
	}
	cmds := make([]*Command, len(reqs))
	for i, r := range reqs {
		cmds[i] = mustLookup(t, string(r[0]))
	}
	dst := make([]int, 0, 8)
	allocs := testing.AllocsPerRun(100, func() {
		for i, r := range reqs {
			dst = cmds[i].Keys(r, dst)
		}
	})
	if allocs != 0 {
		t.Errorf("Keys allocates %v times per run, want 0", allocs)
	}
}

func TestArityOK(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want bool
	}{
		{"get", 2, true}, {"get", 1, false}, {"get", 3, false},
		{"set", 3, true}, {"set", 2, false}, {"set", 7, true},
		{"ping", 1, true}, {"ping", 2, true}, {"ping", 0, false},
	}
	for _, tt := range tests {
		if got := mustLookup(t, tt.name).ArityOK(tt.n); got != tt.want {
			t.Errorf("%s.ArityOK(%d) = %v, want %v", tt.name, tt.n, got, tt.want)
		}
	}
}

func TestBlocking(t *testing.T) {
	tests := []struct {
		req  string
		want bool
	}{
		{"BLPOP a 0", true}, {"BZMPOP 0 1 a MIN", true}, {"WAIT 1 0", true}, {"BLMOVE a b LEFT LEFT 0", true},
		{"LPOP a", false}, {"GET a", false},
		{"XREAD STREAMS a 0", false},
		{"XREAD COUNT 1 BLOCK 0 STREAMS a 0", true},
		{"xread block 10 streams a $", true},
		{"XREAD STREAMS block 0", false},
		{"XREADGROUP GROUP g c BLOCK 5 STREAMS a >", true},
		{"XREADGROUP GROUP g block STREAMS a >", false},
		{"XREADGROUP GROUP g c STREAMS a >", false},
	}
	for _, tt := range tests {
		args := split(tt.req)
		if got := mustLookup(t, string(args[0])).Blocking(args); got != tt.want {
			t.Errorf("Blocking(%q) = %v, want %v", tt.req, got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Unsupported: "unsupported", Local: "local", Single: "single", Multi: "multi", SameServer: "same-server", 7: "kind(7)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

// FuzzKeys feeds arbitrary requests to every command's key finder and checks
// that indexes are in range and increasing.
func FuzzKeys(f *testing.F) {
	for _, s := range []string{"EVAL s 2 a b", "XREAD BLOCK 0 STREAMS a b 0 0", "SORT k STORE", "MIGRATE h p  0 5 KEYS a", "GEORADIUS k 1 2 3 m STORE", "ZUNIONSTORE d 9 a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := bytes.Split([]byte(s), []byte(" "))
		var dst []int
		for _, c := range all {
			args[0] = []byte(c.Name)
			dst = c.Keys(args, dst)
			for i, k := range dst {
				if k < 1 || k >= len(args) || (i > 0 && dst[i-1] >= k) {
					t.Fatalf("%s.Keys(%q) = %v: index out of range or not increasing", c.Name, s, dst)
				}
			}
			c.Blocking(args)
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	name := []byte("ZUNIONSTORE")
	b.ReportAllocs()
	for b.Loop() {
		Lookup(name)
	}
}

func BenchmarkKeys(b *testing.B) {
	for _, req := range []string{"GET k", "MGET a b c d e f g h", "EVAL s 2 a b", "XREAD COUNT 1 STREAMS a b 0 0"} {
		args := split(req)
		c := mustLookup(b, string(args[0]))
		dst := make([]int, 0, 16)
		b.Run(string(args[0]), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dst = c.Keys(args, dst)
			}
		})
	}
}
