package hashkit

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// twemPool is a pool of a nutcracker YAML config, as far as placement goes.
type twemPool struct {
	Listen       string   `yaml:"listen"`
	Hash         string   `yaml:"hash"`
	HashTag      string   `yaml:"hash_tag"`
	Distribution string   `yaml:"distribution"`
	Servers      []string `yaml:"servers"`
}

// parseServer splits a twemproxy server line "host:port:weight [name]".
func parseServer(t testing.TB, line string) Node {
	t.Helper()
	addr, name, _ := strings.Cut(line, " ")
	i := strings.LastIndexByte(addr, ':')
	j := strings.LastIndexByte(addr[:i], ':')
	port, err1 := strconv.Atoi(addr[j+1 : i])
	weight, err2 := strconv.Atoi(addr[i+1:])
	if err1 != nil || err2 != nil {
		t.Fatalf("server %q: not host:port:weight [name]", line)
	}
	return Node{Name: RingName(addr[:j], port, name), Weight: weight}
}

// build returns the hash, tag and distribution of a pool.
func (p twemPool) build(t testing.TB) (Func, Distribution) {
	t.Helper()
	h, err := Lookup(p.Hash)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []Node
	for _, s := range p.Servers {
		nodes = append(nodes, parseServer(t, s))
	}
	d, err := NewDistribution(p.Distribution, nodes)
	if err != nil {
		t.Fatal(err)
	}
	return h, d
}

func loadPools(t testing.TB, path string) map[string]twemPool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pools := map[string]twemPool{}
	if err := yaml.Unmarshal(b, &pools); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pools
}

// TestObservedVectors replays placements recorded from nutcracker 0.5 with
// the pools of testdata/pools.yml.
func TestObservedVectors(t *testing.T) {
	pools := loadPools(t, "testdata/pools.yml")
	type built struct {
		name string
		tag  string
		h    Func
		d    Distribution
	}
	byPort := map[int]built{}
	for name, p := range pools {
		_, ps, _ := strings.Cut(p.Listen, ":")
		port, _ := strconv.Atoi(ps)
		h, d := p.build(t)
		byPort[port] = built{name, p.HashTag, h, d}
	}
	b, err := os.ReadFile("testdata/observed_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors [][3]json.RawMessage
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) < 2000 {
		t.Fatalf("got %d vectors, want 2000", len(vectors))
	}
	perPool := map[string]int{}
	for i, v := range vectors {
		var port int
		var keyHex string
		var want []int
		if json.Unmarshal(v[0], &port) != nil || json.Unmarshal(v[1], &keyHex) != nil || json.Unmarshal(v[2], &want) != nil || len(want) != 1 {
			t.Fatalf("vector %d: malformed %s", i, v)
		}
		key, err := hex.DecodeString(keyHex)
		if err != nil {
			t.Fatalf("vector %d: %v", i, err)
		}
		p, ok := byPort[port]
		if !ok {
			t.Fatalf("vector %d: no pool listens on %d", i, port)
		}
		perPool[p.name]++
		if got := Locate(p.d, p.h, p.tag, key); got != want[0] {
			t.Errorf("pool %s key %q: got server %d, want %d", p.name, key, got, want[0])
		}
	}
	for name := range pools {
		if perPool[name] == 0 {
			t.Errorf("pool %s: no vectors", name)
		}
	}
}

func TestRingName(t *testing.T) {
	tests := []struct {
		name       string
		host       string
		port       int
		serverName string
		want       string
	}{
		{"name wins", "127.0.0.1", 37211, "server1", "server1"},
		{"name wins on 11211", "127.0.0.1", 11211, "cache-a", "cache-a"},
		{"port 11211 is left out", "10.0.0.1", 11211, "", "10.0.0.1"},
		{"other ports are kept", "127.0.0.1", 37211, "", "127.0.0.1:37211"},
		{"redis port", "redis.local", 6379, "", "redis.local:6379"},
		{"hostname is not resolved", "localhost", 11211, "", "localhost"},
		{"unix socket keeps the colon", "/tmp/mc.sock", 0, "", "/tmp/mc.sock:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RingName(tt.host, tt.port, tt.serverName); got != tt.want {
				t.Errorf("RingName(%q, %d, %q) = %q, want %q", tt.host, tt.port, tt.serverName, got, tt.want)
			}
		})
	}
}

func TestKetamaPoints(t *testing.T) {
	tests := []struct {
		name                 string
		weight, total, nodes int
		want                 int
	}{
		{"one node", 1, 1, 1, 160},
		{"equal of three", 1, 3, 3, 160},
		{"1 of 1+2+3", 1, 6, 3, 80},
		{"3 of 1+2+3", 3, 6, 3, 240},
		{"heavy of 1+1+1+10", 10, 13, 4, 492},
		// 1/25*160/4*5 is 8 exactly, but in float32 it is 7.9999995.
		{"float32 rounds 8 down to 7", 1, 25, 5, 28},
		{"float32 rounds 16 down to 15", 2, 25, 5, 60},
		{"too light for a point", 1, 1000, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ketamaPoints(tt.weight, tt.total, tt.nodes); got != tt.want {
				t.Errorf("ketamaPoints(%d, %d, %d) = %d, want %d", tt.weight, tt.total, tt.nodes, got, tt.want)
			}
		})
	}
}

// tieNames share the point value tieValue: md5("t307-30") bytes 0-3 equal
// md5("t570-31") bytes 4-7.
const (
	tieA, tieB = "t307", "t570"
	tieValue   = 0xe0c1e7ab
)

// TestKetamaTie checks that of two nodes with an equal point, the one first
// in name order wins whatever the config order, as nutcracker 0.5 does (it
// sorts servers by name, then the ring stably by value).
func TestKetamaTie(t *testing.T) {
	tests := []struct {
		name  string
		nodes []Node
		want  int
	}{
		{"t307 listed first", []Node{{tieA, 1}, {tieB, 1}}, 0},
		{"t307 listed second", []Node{{tieB, 1}, {tieA, 1}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDistribution("ketama", tt.nodes)
			if err != nil {
				t.Fatal(err)
			}
			k := d.(*ketama)
			if n := strings.Count(fmt.Sprint(k.values), fmt.Sprint(uint32(tieValue))); n != 2 {
				t.Fatalf("got %d points of value %#x, want 2", n, tieValue)
			}
			if got := d.Pick(tieValue); got != tt.want {
				t.Errorf("Pick(%#x) = %d, want %d (%s)", uint32(tieValue), got, tt.want, tieA)
			}
		})
	}
}

func TestNameOrder(t *testing.T) {
	nodes := []Node{{"10.0.0.10:6379", 1}, {"10.0.0.9:6379", 1}, {"b", 1}, {"10.0.0.2:6379", 1}, {"a", 1}}
	want := []int{4, 2, 3, 1, 0} // shorter names first, then bytewise
	if got := nameOrder(nodes); !slices.Equal(got, want) {
		t.Errorf("nameOrder = %v, want %v", got, want)
	}
}

func TestKetamaWrap(t *testing.T) {
	d, _ := NewDistribution("ketama", []Node{{"a", 1}, {"b", 1}, {"c", 1}})
	k := d.(*ketama)
	last := k.values[len(k.values)-1]
	tests := []struct {
		name string
		hash uint32
		want int
	}{
		{"zero goes to the first point", 0, int(k.nodes[0])},
		{"exact point", k.values[10], int(k.nodes[10])},
		{"just above a point goes to the next", k.values[10] + 1, int(k.nodes[11])},
		{"above the last point wraps", last + 1, int(k.nodes[0])},
		{"max wraps", ^uint32(0), int(k.nodes[0])},
	}
	if last == ^uint32(0) {
		t.Skip("ring ends at MaxUint32")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.Pick(tt.hash); got != tt.want {
				t.Errorf("Pick(%#x) = %d, want %d", tt.hash, got, tt.want)
			}
		})
	}
}

func TestModula(t *testing.T) {
	tests := []struct {
		name  string
		nodes []Node
		slots []int
	}{
		{"names in order", []Node{{"a", 1}, {"b", 2}, {"c", 1}}, []int{0, 1, 1, 2}},
		{"slots follow name order", []Node{{"c", 1}, {"a", 2}, {"b", 1}}, []int{1, 1, 2, 0}},
		{"ports sort by length first", []Node{{"h:6380", 1}, {"h:11212", 1}, {"h:6379", 1}},
			[]int{2, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDistribution("modula", tt.nodes)
			if err != nil {
				t.Fatal(err)
			}
			n := uint32(len(tt.slots))
			for _, hash := range []uint32{0, 1, 2, 3, 4, 5, 6, 7, 100, ^uint32(0)} {
				if got, want := d.Pick(hash), tt.slots[hash%n]; got != want {
					t.Errorf("Pick(%d) = %d, want %d", hash, got, want)
				}
			}
		})
	}
}

func TestRandom(t *testing.T) {
	d, err := NewDistribution("random", []Node{{"a", 1}, {"b", 5}, {"c", 1}})
	if err != nil {
		t.Fatal(err)
	}
	seen := [3]int{}
	for range 3000 {
		i := d.Pick(42)
		if i < 0 || i > 2 {
			t.Fatalf("Pick = %d, want 0..2", i)
		}
		seen[i]++
	}
	for i, n := range seen {
		if n < 700 { // expected 1000 each: weight is ignored
			t.Errorf("node %d picked %d of 3000 times, want about 1000", i, n)
		}
	}
}

func TestSingleNode(t *testing.T) {
	for _, kind := range []string{"ketama", "modula", "random"} {
		d, err := NewDistribution(kind, []Node{{"only", 3}})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []uint32{0, 1, 0x80000000, ^uint32(0)} {
			if got := d.Pick(h); got != 0 {
				t.Errorf("%s: Pick(%#x) = %d, want 0", kind, h, got)
			}
		}
	}
}

func TestNoNodes(t *testing.T) {
	for _, kind := range []string{"ketama", "modula", "random"} {
		d, err := NewDistribution(kind, nil)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if got := d.Pick(7); got != -1 {
			t.Errorf("%s: Pick on no nodes = %d, want -1", kind, got)
		}
		if got := Locate(d, fnv1a64, "", []byte("k")); got != -1 {
			t.Errorf("%s: Locate on no nodes = %d, want -1", kind, got)
		}
	}
}

func TestNewDistributionErrors(t *testing.T) {
	tests := []struct {
		name  string
		kind  string
		nodes []Node
		want  error
	}{
		{"unknown kind", "vnode", []Node{{"a", 1}}, ErrUnknownDistribution},
		{"kind is case-sensitive", "Ketama", []Node{{"a", 1}}, ErrUnknownDistribution},
		{"empty kind", "", nil, ErrUnknownDistribution},
		{"zero weight", "ketama", []Node{{"a", 1}, {"b", 0}}, ErrBadWeight},
		{"negative weight", "modula", []Node{{"a", -1}}, ErrBadWeight},
		{"duplicate name", "ketama", []Node{{"a", 1}, {"b", 1}, {"a", 2}}, ErrDuplicateName},
		{"duplicate name in random", "random", []Node{{"x", 1}, {"x", 1}}, ErrDuplicateName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDistribution(tt.kind, tt.nodes)
			if !errors.Is(err, tt.want) || d != nil {
				t.Errorf("got %v, %v; want nil, %v", d, err, tt.want)
			}
		})
	}
}

func TestLocate(t *testing.T) {
	d, _ := NewDistribution("modula", []Node{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}})
	h := func(key []byte) uint32 { return uint32(len(key)) }
	tests := []struct {
		name, tag, key string
		want           int
	}{
		{"whole key", "", "abc", 3},
		{"tag part", "{}", "ab{cd}ef", 2},
		{"empty tag hashes whole key", "{}", "ab{}ef", 6 % 5},
		{"empty key hashes to 0 without calling the hash", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Locate(d, h, tt.tag, []byte(tt.key)); got != tt.want {
				t.Errorf("Locate(%q, %q) = %d, want %d", tt.tag, tt.key, got, tt.want)
			}
		})
	}
	if got := Locate(d, func([]byte) uint32 { return 3 }, "", nil); got != 0 {
		t.Errorf("Locate of an empty key = %d, want 0 (hash 0)", got)
	}
}

func TestPickNoAlloc(t *testing.T) {
	nodes := benchNodes()
	for _, kind := range []string{"ketama", "modula", "random"} {
		d, _ := NewDistribution(kind, nodes)
		key := []byte("user:{42}:profile")
		if n := testing.AllocsPerRun(100, func() { Locate(d, fnv1a64, "{}", key) }); n != 0 {
			t.Errorf("%s: got %v allocs per Locate, want 0", kind, n)
		}
	}
}

func benchNodes() []Node {
	var nodes []Node
	for i := range 10 {
		nodes = append(nodes, Node{Name: fmt.Sprintf("10.0.0.%d:6379", i+1), Weight: 1 + i%3})
	}
	return nodes
}

func BenchmarkPick(b *testing.B) {
	for _, kind := range []string{"ketama", "modula", "random"} {
		d, _ := NewDistribution(kind, benchNodes())
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			hash := uint32(0x9e3779b9)
			sink := 0
			for b.Loop() {
				sink += d.Pick(hash)
				hash = hash*1664525 + 1013904223
			}
			_ = sink
		})
	}
}

func BenchmarkLocate(b *testing.B) {
	d, _ := NewDistribution("ketama", benchNodes())
	key := []byte("user:{1234}:prof")
	b.ReportAllocs()
	for b.Loop() {
		Locate(d, fnv1a64, "{}", key)
	}
}

func BenchmarkNewKetama(b *testing.B) {
	nodes := benchNodes()
	b.ReportAllocs()
	for b.Loop() {
		newKetama(nodes, nameOrder(nodes))
	}
}

// FuzzPick builds every distribution from fuzzed weights and checks that
// Pick returns a valid index for any hash, and Tag a subslice of the key.
func FuzzPick(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint32(0), []byte("a{b}c"), "{}")
	f.Add([]byte{255}, ^uint32(0), []byte("{}"), "{")
	f.Add([]byte{}, uint32(7), []byte(""), "")
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 200}, uint32(1<<31), []byte("x}{y}"), "}{")
	f.Fuzz(func(t *testing.T, weights []byte, hash uint32, key []byte, tag string) {
		if len(weights) > 64 {
			weights = weights[:64]
		}
		var nodes []Node
		for i, w := range weights {
			nodes = append(nodes, Node{Name: fmt.Sprintf("n%d", i), Weight: int(w%100) + 1})
		}
		for _, kind := range []string{"ketama", "modula", "random"} {
			d, err := NewDistribution(kind, nodes)
			if err != nil {
				t.Fatal(err)
			}
			got := d.Pick(hash)
			if len(nodes) == 0 && got != -1 || len(nodes) > 0 && (got < 0 || got >= len(nodes)) {
				t.Fatalf("%s over %d nodes: Pick(%#x) = %d", kind, len(nodes), hash, got)
			}
		}
		checkTag(t, key, tag)
	})
}
