package hashkit

import (
	"crypto/md5"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// explainNodes are node sets with unequal weights and named, unnamed and
// tied nodes, listed out of name order.
var explainNodes = []struct {
	name  string
	nodes []Node
}{
	{"bench", benchNodes()},
	{"named and weighted", []Node{{"z", 1}, {"10.0.0.9", 2}, {"big", 3}, {"127.0.0.1:7001", 1}}},
	{"tied points", []Node{{tieB, 1}, {tieA, 1}}},
	{"heavy", []Node{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 10}}},
	{"one node", []Node{{"only", 3}}},
}

// TestExplainAgreesWithPick checks, for random and edge hashes over several
// distributions, that Explain picks the node Pick picks, and that a ketama
// point is the first point >= the hash (or the first of all, wrapped) and
// the named word of md5(Source); a modula slot is hash % slots.
func TestExplainAgreesWithPick(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, ns := range explainNodes {
		for _, kind := range []string{"ketama", "modula"} {
			t.Run(ns.name+"/"+kind, func(t *testing.T) {
				d, err := NewDistribution(kind, ns.nodes)
				if err != nil {
					t.Fatal(err)
				}
				hashes := []uint32{0, 1, tieValue, tieValue + 1, ^uint32(0)}
				if k, ok := d.(*ketama); ok {
					last := k.values[len(k.values)-1]
					hashes = append(hashes, k.values[0], k.values[0]+1, last, last+1)
				}
				for range 20000 {
					hashes = append(hashes, rng.Uint32())
				}
				for _, h := range hashes {
					p, ok := Explain(d, h)
					if !ok {
						t.Fatalf("Explain(%#x): not explained", h)
					}
					if got, want := p.Node, d.Pick(h); got != want || p.Kind != kind {
						t.Fatalf("Explain(%#x) = %+v, want node %d of %s", h, p, want, kind)
					}
					if kind == "ketama" {
						checkKetamaPlacement(t, d.(*ketama), ns.nodes, h, p)
					} else {
						checkModulaPlacement(t, ns.nodes, h, p)
					}
				}
			})
		}
	}
}

// checkKetamaPlacement checks a ketama placement of hash against the ring.
func checkKetamaPlacement(t *testing.T, k *ketama, nodes []Node, hash uint32, p Placement) {
	t.Helper()
	vs := k.values
	if p.Size != len(vs) || p.Position < 0 || p.Position >= len(vs) || vs[p.Position] != p.Point {
		t.Fatalf("hash %#x: point %+v is not on the ring of %d points", hash, p, len(vs))
	}
	first := p.Point >= hash && (p.Position == 0 || vs[p.Position-1] < hash)
	wrapped := p.Position == 0 && vs[len(vs)-1] < hash
	if !first && !wrapped || p.Wrapped != wrapped {
		t.Fatalf("hash %#x took point %+v", hash, p)
	}
	sum := md5.Sum([]byte(p.Source))
	if p.Word < 0 || p.Word > 3 {
		t.Fatalf("hash %#x: word %d, want 0 to 3", hash, p.Word)
	}
	if v := binary.LittleEndian.Uint32(sum[4*p.Word:]); v != p.Point {
		t.Fatalf("hash %#x: word %d of md5(%q) is %#x, not the point %#x", hash, p.Word, p.Source, v, p.Point)
	}
	if name := p.Source[:strings.LastIndexByte(p.Source, '-')]; name != nodes[p.Node].Name {
		t.Fatalf("hash %#x: point made from %q belongs to node %d (%q)", hash, p.Source, p.Node, nodes[p.Node].Name)
	}
}

// checkModulaPlacement checks a modula placement: one slot per unit of
// weight, hash % slots.
func checkModulaPlacement(t *testing.T, nodes []Node, hash uint32, p Placement) {
	t.Helper()
	slots := 0
	for _, n := range nodes {
		slots += n.Weight
	}
	if p.Size != slots || p.Position != int(hash%uint32(slots)) || p.Point != 0 || p.Source != "" {
		t.Fatalf("hash %#x: got %+v, want slot %d of %d", hash, p, hash%uint32(slots), slots)
	}
}

// TestExplainTie checks that a tied point is explained by the node that
// wins it, whatever the config order.
func TestExplainTie(t *testing.T) {
	for _, nodes := range [][]Node{{{tieA, 1}, {tieB, 1}}, {{tieB, 1}, {tieA, 1}}} {
		d, _ := NewDistribution("ketama", nodes)
		p, _ := Explain(d, tieValue)
		if p.Point != tieValue || nodes[p.Node].Name != tieA || !strings.HasPrefix(p.Source, tieA+"-") {
			t.Errorf("nodes %v: got %+v, want the point %#x of %s", nodes, p, uint32(tieValue), tieA)
		}
	}
}

func TestExplainRandomAndEmpty(t *testing.T) {
	tests := []struct {
		name     string
		kind     string
		nodes    []Node
		wantSize int
	}{
		{"random", "random", []Node{{"a", 1}, {"b", 5}, {"c", 1}}, 3},
		{"empty random", "random", nil, 0},
		{"empty ketama", "ketama", nil, 0},
		{"empty modula", "modula", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDistribution(tt.kind, tt.nodes)
			if err != nil {
				t.Fatal(err)
			}
			p, ok := Explain(d, 42)
			want := Placement{Node: -1, Kind: tt.kind, Size: tt.wantSize}
			if !ok || p != want {
				t.Errorf("got %+v, %v; want %+v, true", p, ok, want)
			}
		})
	}
}

// pickFunc is a Distribution hashkit did not build.
type pickFunc func(uint32) int

func (f pickFunc) Pick(h uint32) int { return f(h) }

func TestExplainForeign(t *testing.T) {
	p, ok := Explain(pickFunc(func(uint32) int { return 0 }), 1)
	if ok || p.Node != -1 {
		t.Errorf("got %+v, %v; want node -1, false", p, ok)
	}
}

func BenchmarkExplain(b *testing.B) {
	d, _ := NewDistribution("ketama", benchNodes())
	b.ReportAllocs()
	hash := uint32(0x9e3779b9)
	for b.Loop() {
		Explain(d, hash)
		hash = hash*1664525 + 1013904223
	}
}
