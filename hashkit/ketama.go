package hashkit

import (
	"cmp"
	"crypto/md5"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
)

// An average-weight server gets ketamaPointsPerServer ring points, made from
// MD5 digests that give ketamaPointsPerHash points each.
const (
	ketamaPointsPerServer = 160
	ketamaPointsPerHash   = 4
)

// ketama is twemproxy's consistent-hash ring. values holds the sorted point
// values and nodes the node index of each point; Pick reads only these two.
// For Explain, sources holds where each point came from, j<<2 | word: word
// (0-3) of md5("<names[node]>-<j>"), and names the nodes' ring names.
type ketama struct {
	values  []uint32
	nodes   []int32
	sources []uint32
	names   []string
}

var _ Distribution = (*ketama)(nil)

// ketamaPoints returns the number of ring points twemproxy gives a node of
// weight out of total, among n nodes. The arithmetic is float32 as in C, each
// step rounded on its own so that no fused multiply-add changes the result.
func ketamaPoints(weight, total, n int) int {
	pct := float32(weight) / float32(total)
	f := float32(pct * float32(ketamaPointsPerServer))
	f = float32(f / float32(ketamaPointsPerHash))
	f = float32(f * float32(n))
	f = float32(float64(f) + 0.0000000001)
	return int(math.Floor(float64(f))) * ketamaPointsPerHash
}

// newKetama builds the ring, visiting nodes in order (see nameOrder).
func newKetama(nodes []Node, order []int) *ketama {
	total := 0
	for _, n := range nodes {
		total += n.Weight
	}
	type point struct {
		value  uint32
		node   int32
		source uint32
	}
	var pts []point
	var buf []byte
	for _, i := range order {
		n := nodes[i]
		points := ketamaPoints(n.Weight, total, len(nodes))
		for j := range points / ketamaPointsPerHash {
			buf = append(append(buf[:0], n.Name...), '-')
			buf = strconv.AppendInt(buf, int64(j), 10)
			sum := md5.Sum(buf)
			for x := range ketamaPointsPerHash {
				v := binary.LittleEndian.Uint32(sum[4*x:])
				pts = append(pts, point{v, int32(i), uint32(j)<<2 | uint32(x)})
			}
		}
	}
	// Stable, like glibc's merge-sort qsort: equal points keep build order,
	// so of two nodes with a tied point the one first in name order wins.
	slices.SortStableFunc(pts, func(a, b point) int { return cmp.Compare(a.value, b.value) })
	k := &ketama{
		values:  make([]uint32, len(pts)),
		nodes:   make([]int32, len(pts)),
		sources: make([]uint32, len(pts)),
		names:   make([]string, len(nodes)),
	}
	for i, p := range pts {
		k.values[i], k.nodes[i], k.sources[i] = p.value, p.node, p.source
	}
	for i, n := range nodes {
		k.names[i] = n.Name
	}
	return k
}

// Pick returns the node of the first point >= hash, wrapping to the first
// point; -1 on an empty ring.
func (k *ketama) Pick(hash uint32) int {
	if len(k.values) == 0 {
		return -1
	}
	i, _ := slices.BinarySearch(k.values, hash)
	if i == len(k.values) {
		i = 0
	}
	return int(k.nodes[i])
}

// explain finds the point as Pick does and says where it came from.
func (k *ketama) explain(hash uint32) Placement {
	p := Placement{Node: -1, Kind: "ketama", Size: len(k.values)}
	if len(k.values) == 0 {
		return p
	}
	i, _ := slices.BinarySearch(k.values, hash)
	if i == len(k.values) {
		i, p.Wrapped = 0, true
	}
	node, src := k.nodes[i], k.sources[i]
	p.Node, p.Point, p.Position = int(node), k.values[i], i
	p.Source = k.names[node] + "-" + strconv.FormatUint(uint64(src>>2), 10)
	p.Word = int(src & 3)
	return p
}
