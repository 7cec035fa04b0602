package main

import (
	"cmp"
	"crypto/md5"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/fae-dev/fae/hashkit"
)

// hashkit's Distribution reports only the node a hash picks. locate also
// names the ketama point or modula slot that decided it, so this file
// rebuilds both the way hashkit (and twemproxy) builds them; locate checks
// every answer against hashkit's own Distribution, so a drift between the two
// is an error, never a wrong answer.

// ketamaPointsPerServer and ketamaPointsPerHash are twemproxy's: a node of
// average weight gets 160 points, four from each MD5 digest.
const (
	ketamaPointsPerServer = 160
	ketamaPointsPerHash   = 4
)

// ringPoint is one point of a ketama ring and where it came from.
type ringPoint struct {
	value  uint32
	node   int    // index of the node in the slice the ring was built from
	source string // the string whose MD5 digest made the point: "<ring name>-<i>"
	word   int    // which little-endian word of the digest, 0 to 3
}

// ketamaRing is a ketama continuum with the provenance of each point.
type ketamaRing struct {
	points []ringPoint // sorted by value; equal values keep build order
}

// newKetamaRing builds the continuum of nodes as twemproxy does: nodes in
// ring-name order (shorter first, then bytewise), each given
// floor(weight/total*40*n + 1e-10)*4 points in float32 arithmetic, four per
// MD5 of "<name>-<i>".
func newKetamaRing(nodes []hashkit.Node) *ketamaRing {
	total := 0
	for _, n := range nodes {
		total += n.Weight
	}
	r := &ketamaRing{}
	for _, i := range nameOrder(nodes) {
		n := nodes[i]
		for j := range ketamaPoints(n.Weight, total, len(nodes)) / ketamaPointsPerHash {
			src := n.Name + "-" + strconv.Itoa(j)
			sum := md5.Sum([]byte(src))
			for w := range ketamaPointsPerHash {
				v := binary.LittleEndian.Uint32(sum[4*w:])
				r.points = append(r.points, ringPoint{value: v, node: i, source: src, word: w})
			}
		}
	}
	slices.SortStableFunc(r.points, func(a, b ringPoint) int { return cmp.Compare(a.value, b.value) })
	return r
}

// ketamaPoints is the number of points of a node of weight out of total
// among n nodes. Each float32 step is rounded on its own, as in C, so no
// fused multiply-add changes the result.
func ketamaPoints(weight, total, n int) int {
	pct := float32(weight) / float32(total)
	f := float32(pct * float32(ketamaPointsPerServer))
	f = float32(f / float32(ketamaPointsPerHash))
	f = float32(f * float32(n))
	f = float32(float64(f) + 0.0000000001)
	return int(math.Floor(float64(f))) * ketamaPointsPerHash
}

// pick returns the index on the ring of the point that owns hash: the first
// point >= hash, or the first point when hash is past the last (wrapped).
// It returns -1 on an empty ring.
func (r *ketamaRing) pick(hash uint32) (i int, wrapped bool) {
	if len(r.points) == 0 {
		return -1, false
	}
	i, _ = slices.BinarySearchFunc(r.points, hash, func(p ringPoint, h uint32) int { return cmp.Compare(p.value, h) })
	if i == len(r.points) {
		return 0, true
	}
	return i, false
}

// modulaSlots returns modula's slot table over nodes: one slot per unit of
// weight, nodes in ring-name order; each slot holds a node index.
func modulaSlots(nodes []hashkit.Node) []int {
	var slots []int
	for _, i := range nameOrder(nodes) {
		for range nodes[i].Weight {
			slots = append(slots, i)
		}
	}
	return slots
}

// nameOrder returns the indices of nodes sorted as twemproxy sorts a pool's
// servers: by ring name length, then bytewise.
func nameOrder(nodes []hashkit.Node) []int {
	order := make([]int, len(nodes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := nodes[a].Name, nodes[b].Name
		return cmp.Or(cmp.Compare(len(x), len(y)), strings.Compare(x, y))
	})
	return order
}
